"""Demo people: the accounts of buyer units, supervisors, the operator and the site administrator."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from faker import Faker

from marketplace import services as market
from marketplace.models import BuyerStaff, BuyerUnit, Region, ServiceCategory, SupervisorProfile
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build

DEMO_PASSWORD = "demo-2026"

BUYERS = [
    # (name, region code, admin username, supervising department: told of the unit's credit warnings)
    ("惠州市住房和城乡建设局", "441300", "buyer_demo", "惠州市人民政府"),
    ("惠州市发展和改革局", "441300", "buyer_fgj", "惠州市人民政府"),
    ("惠州市自然资源局", "441300", "buyer_zrzy", "惠州市人民政府"),
    ("惠州市生态环境局", "441300", "buyer_sthj", "惠州市人民政府"),
    ("惠州市教育局", "441300", "buyer_jyj", "惠州市人民政府"),
    ("惠城区财政局", "441302", "buyer_hccz", "惠州市惠城区人民政府"),
    ("惠阳区交通运输局", "441303", "buyer_hyjt", "惠州市惠阳区人民政府"),
]


@dataclass
class DemoLogin:
    """One demo account to print for the person trying the site."""

    role: str
    username: str
    note: str


def account(username: str, role: Role | None, *, full_name: str, staff: bool = False, superuser: bool = False):
    """A demo login with the shared password, in its role group (kept as it is when it exists)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = staff or superuser
        user.is_superuser = superuser
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def buyers_seed(fake: Faker) -> list[DemoLogin]:
    """The buyer units (项目业主), each with an administrator and a delegated officer."""
    regions = {r.code: r for r in Region.objects.all()}
    logins = []
    for i, (name, region_code, username, department) in enumerate(BUYERS):
        uscc = uscc_build(authority="1", kind="1", region_code=region_code, org_code=org_code_for_serial(i + 1, "GW"))
        unit, _ = BuyerUnit.objects.get_or_create(
            uscc=uscc,
            defaults={
                "name": name,
                "region": regions[region_code],
                "supervising_department": department,
                "address": f"惠州市{fake.street_name()}{fake.building_number()}号",
                "contact_name": fake.name(),
                "contact_phone": fake.phone_number(),
            },
        )
        admin = account(username, Role.BUYER, full_name=fake.name())
        if not BuyerStaff.objects.filter(user=admin).exists():
            market.buyer_staff_add(unit=unit, user=admin, is_admin=True, position="办公室主任")
        delegate = account(f"{username}_staff", Role.BUYER, full_name=fake.name())
        if not BuyerStaff.objects.filter(user=delegate).exists():
            market.buyer_staff_add(unit=unit, user=delegate, is_admin=False, position="采购受托人")
        if i == 0:
            logins.append(DemoLogin("项目业主 Buyer", username, name))
    return logins


def officials_seed(fake: Faker) -> list[DemoLogin]:
    """Two supervisors (one for everything, one for environmental services), the platform credit office,
    the operator and the admin."""
    sup = account("supervisor_demo", None, full_name=fake.name())
    if not SupervisorProfile.objects.filter(user=sup).exists():
        market.supervisor_create(
            user=sup, authority="惠州市发展和改革局（信用办）", all_regions=True, all_categories=True
        )
    env = account("supervisor_env", None, full_name=fake.name())
    if not SupervisorProfile.objects.filter(user=env).exists():
        market.supervisor_create(
            user=env,
            authority="惠州市生态环境局",
            regions=Region.objects.filter(code__startswith="4413"),
            categories=ServiceCategory.objects.filter(code__startswith="ENV-"),
        )
    operator = account("operator_demo", Role.OPERATOR, full_name=fake.name(), staff=True)
    operator.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    account("admin", None, full_name="平台管理员", superuser=True)
    # A fixed name: the seeded Faker stream, and so every name after it, stays what it was.
    office = account("credit_office_demo", None, full_name="平台信用管理员")
    market.credit_office_add(user=office)
    return [
        DemoLogin("监管部门 Supervisor", "supervisor_demo", "惠州市发展和改革局（信用办），全部地区与事项"),
        DemoLogin("监管部门 Supervisor", "supervisor_env", "惠州市生态环境局，惠州市内的环境服务事项"),
        DemoLogin("平台信用管理 Credit office", "credit_office_demo", "信用政策与承诺书版本、全平台失信名单导入"),
        DemoLogin("运营机构 Operator", "operator_demo", "平台运营"),
        DemoLogin("系统管理员 Admin", "admin", "/admin/ 与 /cms/"),
    ]
