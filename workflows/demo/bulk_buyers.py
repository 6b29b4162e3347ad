"""Buyer units in proportion to the agencies (README, "A realistic year per agency"), inserted in bulk.

Jiangsu's platform had 7,887 buyers beside 7,452 agencies in 2023: 1.058 a agency. The seed's year spreads its
projects over every unit's officer, so a unit holds about one project a year, as there. Each unit gets the rows
``market.user_create`` and ``market.buyer_staff_add`` write for its administrator — the account in the buyer
group, the staff link, the unit's object permissions — and nothing else: a unit's credit subject is made with
its first record, as the services make it. ``tests/workflows/test_demo_bulk_buyers.py`` compares the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from faker import Faker
from guardian.models import UserObjectPermission

from marketplace.models import BuyerStaff, BuyerUnit, Region
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build

from .people import DEMO_PASSWORD

BUYER_UNITS_PER_AGENCY = 1.058
BATCH = 2000
# The demo's named units take serials 1–7 (people.BUYERS); the bulk ones follow from here.
FIRST_SERIAL = 1000
OFFICER_POSITION = "采购经办人"

# Departments of a people's government (机关, USCC kind 1) and public institutions (事业单位, kind 2).
DEPARTMENTS = [
    "财政局",
    "教育局",
    "卫生健康局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "住房和城乡建设局",
    "自然资源分局",
    "生态环境分局",
    "市场监督管理局",
    "应急管理局",
    "城市管理和综合执法局",
    "文化广电旅游体育局",
    "民政局",
    "人力资源和社会保障局",
    "司法局",
    "退役军人事务局",
    "统计局",
    "林业局",
    "工业和信息化局",
]
INSTITUTIONS = ["人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心", "职业技术学校", "图书馆", "档案馆"]
NUMBERED = ["中学", "小学", "幼儿园", "社区卫生服务中心"]
CHINESE_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class UnitSpec:
    """A buyer unit to seed and its administrator's login."""

    uscc: str
    name: str
    region: Region
    supervising_department: str
    address: str
    contact_name: str
    contact_phone: str
    username: str


def _number(n: int) -> str:
    """第 n in Chinese numerals up to 99 (第十二), Arabic above."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return f"{CHINESE_NUMBERS[tens - 1] if tens > 1 else ''}十{CHINESE_NUMBERS[ones - 1] if ones else ''}"
    return str(n)


def unit_names(regions: list[Region]) -> Iterator[tuple[str, str, Region]]:
    """Distinct unit names with their USCC kind and region: each region's departments and institutions, then
    numbered schools and clinics in turn, without end."""
    for region in regions:
        for department in DEPARTMENTS:
            yield f"{region.name}{department}", "1", region
        for institution in INSTITUTIONS:
            yield f"{region.name}{institution}", "2", region
    n = 1
    while True:
        for region in regions:
            for kind in NUMBERED:
                yield f"{region.name}第{_number(n)}{kind}", "2", region
        n += 1


def unit_specs(count: int, fake: Faker, start: int = 0) -> list[UnitSpec]:
    """The ``count`` units from position ``start`` of the sequence, in Huizhou's county-level regions."""
    regions = list(Region.objects.filter(code__startswith="4413").exclude(code="441300").order_by("code"))
    names = unit_names(regions)
    for _skip in range(start):
        next(names)
    specs = []
    for position in range(start, start + count):
        name, kind, region = next(names)
        uscc = uscc_build(
            authority="1",
            kind=kind,
            region_code=region.code,
            org_code=org_code_for_serial(FIRST_SERIAL + position, "GW"),
        )
        specs.append(
            UnitSpec(
                uscc=uscc,
                name=name,
                region=region,
                supervising_department=f"惠州市{region.name}人民政府",
                address=f"惠州市{region.name}{fake.street_name()}{fake.building_number()}号",
                contact_name=fake.name(),
                contact_phone=fake.phone_number(),
                username=f"buyer_{uscc.lower()}",
            )
        )
    return specs


def buyer_units_insert(specs: list[UnitSpec], password: str | None = None) -> list[BuyerUnit]:
    """Write each unit with its administrator, as ``user_create`` and ``buyer_staff_add(is_admin=True)`` would."""
    if not specs:
        return []
    User = get_user_model()
    # One hash for every administrator: hashing 100,000 passwords would take hours; the demo password is public.
    password = password or make_password(DEMO_PASSWORD)
    group, _ = Group.objects.get_or_create(name=str(Role.BUYER))
    unit_type = ContentType.objects.get_for_model(BuyerUnit)
    permissions = [
        Permission.objects.get(content_type=unit_type, codename=codename)
        for codename in ("act_for_buyerunit", "administer_buyerunit")
    ]
    with transaction.atomic():
        units = BuyerUnit.objects.bulk_create(
            [
                BuyerUnit(
                    uscc=s.uscc,
                    name=s.name,
                    region=s.region,
                    supervising_department=s.supervising_department,
                    address=s.address,
                    contact_name=s.contact_name,
                    contact_phone=s.contact_phone,
                )
                for s in specs
            ]
        )
        users = User.objects.bulk_create(
            [User(username=s.username, first_name=s.contact_name, password=password) for s in specs]
        )
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
        BuyerStaff.objects.bulk_create(
            [
                BuyerStaff(unit=unit, user=user, is_admin=True, position=OFFICER_POSITION)
                for unit, user in zip(units, users, strict=True)
            ]
        )
        UserObjectPermission.objects.bulk_create(
            [
                UserObjectPermission(user=user, permission=perm, content_type=unit_type, object_pk=str(unit.pk))
                for unit, user in zip(units, users, strict=True)
                for perm in permissions
            ]
        )
    return units


def buyer_units_seed(agencies: int, fake: Faker, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Add units until there are ``BUYER_UNITS_PER_AGENCY`` a agency (idempotent: only the missing ones, the
    sequence of names continued after the bulk units already there)."""
    target = round(agencies * BUYER_UNITS_PER_AGENCY)
    existing = BuyerUnit.objects.count()
    bulk_so_far = BuyerStaff.objects.filter(position=OFFICER_POSITION).count()
    missing = max(0, target - existing)
    added = 0
    while added < missing:
        size = min(BATCH, missing - added)
        buyer_units_insert(unit_specs(size, fake, start=bulk_so_far + added))
        added += size
        progress(f"  buyer units {existing + added}/{target}")
    return added
