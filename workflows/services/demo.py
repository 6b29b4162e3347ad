"""Demo data: realistic Chinese buyers, agencies, supervisors and an operator (``seed_demo``).

Idempotent: every row is keyed by a deterministic USCC or username, so running it twice changes
nothing. ``scale`` multiplies the agencies with bulk inserts for benchmarks.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from faker import Faker

from credit_rules.models import CommitmentLetter, CreditSubject
from marketplace import services as market
from marketplace.models import (
    Agency,
    AgencyStaff,
    BuyerStaff,
    BuyerUnit,
    Qualification,
    QualificationType,
    Region,
    ServiceCategory,
)
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build

from ..models import Membership
from .transitions import row_reload

DEMO_PASSWORD = "demo-2026"
AGENCIES_PER_SCALE = 60
BATCH = 5000

BUYERS = [
    # (name, region code, admin username)
    ("惠州市住房和城乡建设局", "441300", "buyer_demo"),
    ("惠州市发展和改革局", "441300", "buyer_fgj"),
    ("惠州市自然资源局", "441300", "buyer_zrzy"),
    ("惠州市生态环境局", "441300", "buyer_sthj"),
    ("惠州市教育局", "441300", "buyer_jyj"),
    ("惠城区财政局", "441302", "buyer_hccz"),
    ("惠阳区交通运输局", "441303", "buyer_hyjt"),
]

# Trade names (字号) and, per top-level category, the business phrase and legal form.
TRADE_NAMES = [
    "粤信",
    "恒基",
    "中正",
    "华诚",
    "德正",
    "弘达",
    "鹏程",
    "嘉信",
    "东江",
    "西湖",
    "罗浮",
    "南粤",
    "汇通",
    "博衡",
    "信达",
    "泰和",
    "广衡",
    "金鹏",
    "众联",
    "天衡",
    "正源",
    "宏图",
    "瑞丰",
    "诚安",
    "智远",
    "同创",
    "合力",
    "致远",
    "永信",
    "立信",
    "明正",
    "公信",
    "卓越",
    "中衡",
    "华粤",
    "新鸿",
    "海岳",
    "长青",
    "融信",
    "广正",
]
BUSINESS = {
    "ENG": ("工程咨询", "有限公司"),
    "AUD": ("工程造价咨询", "有限公司"),
    "DES": ("建筑设计院", "有限公司"),
    "SUR": ("测绘勘察", "有限公司"),
    "ENV": ("环境安全技术", "有限公司"),
    "VAL": ("房地产土地资产评估", "有限公司"),
    "TST": ("检测技术", "有限公司"),
    "LAW": ("律师事务所", ""),
    "SUP": ("工程监理", "有限公司"),
}
CITY_PREFIX = {"441300": "惠州市", "441302": "惠州市", "441303": "惠州市", "441322": "博罗县", "441323": "惠东县"}


@dataclass
class DemoLogin:
    """One demo account to print for the person trying the site."""

    role: str
    username: str
    note: str


def _user(username: str, role: Role | None, *, full_name: str, staff: bool = False, superuser: bool = False):
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


def _seed_buyers(fake: Faker) -> list[DemoLogin]:
    regions = {r.code: r for r in Region.objects.all()}
    logins = []
    for i, (name, region_code, username) in enumerate(BUYERS):
        uscc = uscc_build(authority="1", kind="1", region_code=region_code, org_code=org_code_for_serial(i + 1, "GW"))
        unit, _ = BuyerUnit.objects.get_or_create(
            uscc=uscc,
            defaults={
                "name": name,
                "region": regions[region_code],
                "address": f"惠州市{fake.street_name()}{fake.building_number()}号",
                "contact_name": fake.name(),
                "contact_phone": fake.phone_number(),
            },
        )
        admin = _user(username, Role.BUYER, full_name=fake.name())
        if not BuyerStaff.objects.filter(user=admin).exists():
            market.buyer_staff_add(unit=unit, user=admin, is_admin=True, position="办公室主任")
        delegate = _user(f"{username}_staff", Role.BUYER, full_name=fake.name())
        if not BuyerStaff.objects.filter(user=delegate).exists():
            market.buyer_staff_add(unit=unit, user=delegate, is_admin=False, position="采购受托人")
        if i == 0:
            logins.append(DemoLogin("项目业主 Buyer", username, name))
    return logins


def _agency_rows(start: int, stop: int, fake: Faker, rng: random.Random) -> list[tuple[Agency, list[ServiceCategory]]]:
    tops = list(ServiceCategory.objects.filter(parent=None).prefetch_related("children"))
    regions = list(Region.objects.filter(code__in=list(CITY_PREFIX)))
    rows = []
    for serial in range(start, stop):
        top = tops[serial % len(tops)]
        region = regions[serial % len(regions)]
        trade = TRADE_NAMES[serial % len(TRADE_NAMES)]
        phrase, form = BUSINESS[top.code]
        suffix = "" if serial < len(TRADE_NAMES) * len(tops) else f"（{serial // (len(TRADE_NAMES) * len(tops))}）"
        name = f"{CITY_PREFIX[region.code]}{trade}{phrase}{form}{suffix}"
        children = list(top.children.all())
        picked = rng.sample(children, k=min(len(children), 1 + serial % 3))
        agency = Agency(
            uscc=uscc_build(region_code=region.code, org_code=org_code_for_serial(serial, "MA")),
            name=name,
            region=region,
            address=f"{CITY_PREFIX[region.code]}{fake.street_name()}{fake.building_number()}号",
            contact_name=fake.name(),
            contact_phone=fake.phone_number(),
            legal_representative=fake.name(),
            introduction=f"{name}专业从事{'、'.join(c.name for c in picked)}等中介服务。",
        )
        rows.append((agency, picked))
    return rows


def _seed_agencies(count: int, fake: Faker, rng: random.Random, progress: Callable[[str], None]) -> None:
    """Bulk-insert agencies with their categories and qualifications, skipping those already there."""
    today = timezone.localdate()
    qtypes = {
        cat_id: qt
        for qt in QualificationType.objects.prefetch_related("categories", "levels")
        for cat_id in qt.categories.values_list("pk", flat=True)
    }
    levels = {qt.pk: list(qt.levels.all()) for qt in QualificationType.objects.prefetch_related("levels")}
    through = Agency.categories.through
    for start in range(0, count, BATCH):
        stop = min(count, start + BATCH)
        planned = _agency_rows(start, stop, fake, rng)
        existing = set(Agency.objects.filter(uscc__in=[a.uscc for a, _ in planned]).values_list("uscc", flat=True))
        fresh = [(a, cats) for a, cats in planned if a.uscc not in existing]
        if not fresh:
            continue
        with transaction.atomic():
            Agency.objects.bulk_create([a for a, _ in fresh], batch_size=BATCH)
            ids = dict(Agency.objects.filter(uscc__in=[a.uscc for a, _ in fresh]).values_list("uscc", "pk"))
            links, quals = [], []
            for serial_offset, (agency, cats) in enumerate(fresh):
                agency_id = ids[agency.uscc]
                seen_types = set()
                for cat in cats:
                    links.append(through(agency_id=agency_id, servicecategory_id=cat.pk))
                    qt = qtypes.get(cat.pk)
                    if qt and qt.pk not in seen_types:
                        seen_types.add(qt.pk)
                        lvls = levels[qt.pk]
                        # A few licences have lapsed, so expiry visibly removes eligibility.
                        lapsed = (start + serial_offset) % 17 == 5
                        quals.append(
                            Qualification(
                                agency_id=agency_id,
                                qualification_type=qt,
                                level=lvls[(start + serial_offset) % len(lvls)],
                                certificate_no=f"{qt.code[2:]}-{agency.uscc[8:16]}",
                                issued_by=qt.issuing_body,
                                valid_until=today
                                + datetime.timedelta(days=-20 if lapsed else 200 + rng.randint(0, 900)),
                            )
                        )
            through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
            Qualification.objects.bulk_create(quals, batch_size=BATCH)
        progress(f"  agencies {stop}/{count}")


SCENARIOS = [
    # (username, what the demo shows with this agency)
    ("agency_demo", "正常入驻的机构"),
    ("agency_demo2", "已有 1 次信用警告：再警告一次将自动暂停 1 个月"),
    ("agency_demo3", "有严重失信记录（无故放弃中选资格）：提交入驻申请将被拒绝"),
    ("agency_demo4", "因提供虚假材料被清退，禁入期内不能重新申请"),
    ("agency_demo5", "连续 A 级并获表彰：红名单、绿色通道"),
    ("agency_demo6", "12 个月内 2 次质量投诉：第 3 次将被清退"),
]


def _seed_agency_logins(fake: Faker) -> list[tuple[str, Agency, object]]:
    accounts = []
    first = list(Agency.objects.order_by("uscc")[: len(SCENARIOS)])
    for (username, _note), agency in zip(SCENARIOS, first, strict=True):
        user = _user(username, Role.AGENCY, full_name=fake.name())
        if not AgencyStaff.objects.filter(user=user).exists():
            market.agency_staff_add(agency=agency, user=user, is_admin=True, position="经办人")
        accounts.append((username, agency, user))
    return accounts


def _bulk_memberships(exclude: set[int], progress: Callable[[str], None]) -> None:
    """Every other demo agency is an admitted member with a credit subject (bulk, for scale)."""
    letter = CommitmentLetter.objects.order_by("-version").first()
    assert letter is not None, "the commitment letter is installed by migration credit_rules 0002"
    now = timezone.now()
    ids = list(
        Agency.objects.exclude(pk__in=exclude)
        .exclude(memberships__isnull=False)
        .order_by("pk")
        .values_list("pk", "uscc", "name")
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            Membership.objects.bulk_create(
                [
                    Membership(
                        agency_id=pk,
                        state=Membership.State.ACTIVE,
                        statement="依法诚信执业，按约定时限和质量提交服务成果。",
                        commitment=letter,
                        commitment_digest=letter.digest,
                        commitment_accepted_at=now - datetime.timedelta(days=30 + pk % 700),
                        submitted_at=now - datetime.timedelta(days=30 + pk % 700),
                        decided_at=now - datetime.timedelta(days=28 + pk % 700),
                        member_since=now - datetime.timedelta(days=28 + pk % 700),
                        term_until=(now + datetime.timedelta(days=365 * 3 - pk % 700)).date(),
                    )
                    for pk, _uscc, _name in chunk
                ],
                batch_size=BATCH,
            )
            CreditSubject.objects.bulk_create(
                [CreditSubject(kind="agency", agency_id=pk, uscc=uscc, name=name) for pk, uscc, name in chunk],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
        progress(f"  memberships {min(start + BATCH, len(ids))}/{len(ids)}")


def _admit(agency: Agency, user, supervisor) -> Membership:
    """Take an agency through the real entry path."""
    from workflows.services import membership as membership_services

    today = timezone.localdate()
    agency.qualifications.filter(valid_until__lt=today).update(valid_until=today + datetime.timedelta(days=400))
    membership = membership_services.membership_start(agency=agency, actor=user)
    membership = membership_services.membership_update_application(
        membership=membership, actor=user, statement="依法诚信执业，按约定时限和质量提交服务成果，接受评价与监督。"
    )
    if membership.state in (Membership.State.DRAFT, Membership.State.RETURNED):
        membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
        membership_services.membership_review(
            membership=membership, actor=supervisor, decision="approve", note="材料齐全，同意入驻。"
        )
    row_reload(membership)
    return membership


def _seed_scenarios(accounts, supervisor) -> None:
    """The demo's credit stories, written through the real services with past dates."""
    from credit_rules.services import subject_for_agency
    from workflows.services.credit.events import credit_event_record

    now = timezone.now()
    by_name = {username: (agency, user) for username, agency, user in accounts}

    def fresh(username):
        agency, user = by_name[username]
        subject = subject_for_agency(agency)
        return agency, user, subject, subject.head_seq == 0 and not agency.memberships.exists()

    agency, user, subject, new = fresh("agency_demo")
    if new:
        _admit(agency, user, supervisor)

    agency, user, subject, new = fresh("agency_demo2")
    if new:
        _admit(agency, user, supervisor)
        credit_event_record(
            subject=subject,
            code="CREDIT_WARNING",
            source="supervisor",
            actor=supervisor,
            publish="warning",
            evidence={"summary": "工程造价咨询报告逾期 12 日提交，经责令整改后仍未说明理由。"},
            at=now - datetime.timedelta(days=90),
        )

    agency, user, subject, new = fresh("agency_demo3")
    if new:
        from workflows.services import membership as membership_services

        credit_event_record(
            subject=subject,
            code="DECLINE_WIN",
            source="rule",
            rule_code="CR-SVC-010",
            evidence={"summary": "中选惠州市某道路工程造价咨询项目后，无正当理由放弃中选资格。"},
            at=now - datetime.timedelta(days=180),
        )
        membership = membership_services.membership_start(agency=agency, actor=user)
        membership_services.membership_update_application(
            membership=membership, actor=user, statement="申请入驻，从事工程咨询服务。"
        )

    agency, user, subject, new = fresh("agency_demo4")
    if new:
        _admit(agency, user, supervisor)
        credit_event_record(
            subject=subject,
            code="FALSE_MATERIALS",
            source="supervisor",
            actor=supervisor,
            evidence={"summary": "入驻时提交的业绩合同经核查系伪造。"},
            at=now - datetime.timedelta(days=365),
        )

    agency, user, subject, new = fresh("agency_demo5")
    if new:
        _admit(agency, user, supervisor)
        credit_event_record(
            subject=subject,
            code="HONOUR_RED_LIST",
            source="honour",
            actor=supervisor,
            publish="red_list",
            evidence={"summary": "获评 2025 年度惠州市优秀中介服务机构。"},
            at=now - datetime.timedelta(days=60),
        )

    agency, user, subject, new = fresh("agency_demo6")
    if new:
        _admit(agency, user, supervisor)
        for days, what in ((200, "测绘成果精度不达标，经复核属实。"), (40, "勘察报告数据错误，经复核属实。")):
            credit_event_record(
                subject=subject,
                code="QUALITY_COMPLAINT",
                source="supervisor",
                actor=supervisor,
                evidence={"summary": what},
                at=now - datetime.timedelta(days=days),
            )


def _seed_officials(fake: Faker) -> list[DemoLogin]:
    from marketplace.models import SupervisorProfile

    sup = _user("supervisor_demo", None, full_name=fake.name())
    if not SupervisorProfile.objects.filter(user=sup).exists():
        market.supervisor_create(
            user=sup, authority="惠州市发展和改革局（信用办）", all_regions=True, all_categories=True
        )
    env = _user("supervisor_env", None, full_name=fake.name())
    if not SupervisorProfile.objects.filter(user=env).exists():
        market.supervisor_create(
            user=env,
            authority="惠州市生态环境局",
            regions=Region.objects.filter(code__startswith="4413"),
            categories=ServiceCategory.objects.filter(code__startswith="ENV-"),
        )
    operator = _user("operator_demo", Role.OPERATOR, full_name=fake.name(), staff=True)
    operator.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    _user("admin", None, full_name="平台管理员", superuser=True)
    return [
        DemoLogin("监管部门 Supervisor", "supervisor_demo", "惠州市发展和改革局（信用办），全部地区与事项"),
        DemoLogin("运营机构 Operator", "operator_demo", "平台运营"),
        DemoLogin("系统管理员 Admin", "admin", "/admin/ 与 /cms/"),
    ]


def demo_seed(*, scale: int = 1, progress: Callable[[str], None] = lambda _m: None) -> list[DemoLogin]:
    """Seed the demo data set (idempotent) and return one login per role."""
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    rng = random.Random(2026)
    logins = _seed_buyers(fake)
    _seed_agencies(AGENCIES_PER_SCALE * max(1, scale), fake, rng, progress)
    accounts = _seed_agency_logins(fake)
    logins += _seed_officials(fake)
    supervisor = get_user_model().objects.get(username="supervisor_demo")
    _seed_scenarios(accounts, supervisor)
    _bulk_memberships({agency.pk for _u, agency, _user in accounts}, progress)
    from .demo_projects import demo_projects_seed

    demo_projects_seed(password=DEMO_PASSWORD, progress=progress)
    notes = dict(SCENARIOS)
    logins[1:1] = [
        DemoLogin("中介机构 Agency", username, f"{agency.name} — {notes[username]}")
        for username, agency, _u in accounts
    ]
    return logins
