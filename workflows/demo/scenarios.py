"""The demo's credit stories: six agency logins, each admitted (or refused) and given its record."""

from __future__ import annotations

import datetime

from django.utils import timezone
from faker import Faker

from credit_rules.rules.base import code_of
from credit_rules.rules.service import decline_without_cause
from credit_rules.services import subject_for_agency
from marketplace import services as market
from marketplace.models import Agency, AgencyStaff, QualificationType
from marketplace.roles import Role

from ..models import Membership
from ..services import membership as membership_services
from ..services.credit.cases import notices_take_effect
from ..services.credit.events import credit_event_record
from ..services.transitions import row_reload
from .people import account

SCENARIOS = [
    # (username, the service field its agency works in, what the demo shows with this agency)
    ("agency_demo", "VAL-RE", "正常入驻的房地产估价机构：可报名本领域正在报名的随机抽取项目"),
    ("agency_demo2", "AUD-COST", "已有 1 次信用警告：再警告一次将先行告知拟暂停 1 个月，陈述申辩期满后生效"),
    ("agency_demo3", "ENG-FS", "有严重失信记录（无故放弃中选资格）：提交入驻申请将被拒绝"),
    ("agency_demo4", "DES-BLDG", "因提供虚假材料被清退，禁入期内不能重新申请"),
    ("agency_demo5", "LAW-LEGAL", "获表彰并受守信激励：红名单、绿色通道"),
    ("agency_demo6", "SUR-ENG", "12 个月内 2 次测绘勘察质量投诉：第 3 次将先行告知拟清退"),
]
STATEMENT = "依法诚信执业，按约定时限和质量提交服务成果，接受评价与监督。"
APPROVAL_NOTE = "材料齐全，同意入驻。"


def _scenario_agency(category_code: str, taken: set[int]) -> Agency:
    """The first agency (by USCC) working in the service field, holding that field's licence, not yet taken.

    The field decides the story's words: a survey firm carries survey complaints, a law firm none."""
    qualification_types = QualificationType.objects.filter(categories__code=category_code)
    agency = (
        Agency.objects.filter(
            categories__code=category_code, qualifications__qualification_type__in=qualification_types
        )
        .exclude(pk__in=taken)
        .order_by("uscc")
        .first()
    )
    if agency is None:
        raise RuntimeError(f"no demo agency in {category_code}: seed the agencies first")
    return agency


def agency_logins_seed(fake: Faker) -> list[tuple[str, Agency, object]]:
    """Each scenario login is the administrator of an agency of its own field (kept when it already exists)."""
    accounts = []
    taken: set[int] = set()
    for username, category_code, _note in SCENARIOS:
        user = account(username, Role.AGENCY, full_name=fake.name())
        staff = AgencyStaff.objects.filter(user=user).select_related("agency").first()
        agency = staff.agency if staff else _scenario_agency(category_code, taken)
        if staff is None:
            market.agency_staff_add(agency=agency, user=user, is_admin=True, position="经办人")
        taken.add(agency.pk)
        accounts.append((username, agency, user))
    return accounts


def licences_renew(agency: Agency) -> None:
    """Seeding shortcut: a lapsed licence is given a new expiry date, so the application is complete."""
    today = timezone.localdate()
    agency.qualifications.filter(valid_until__lt=today).update(valid_until=today + datetime.timedelta(days=400))


def member_admit(
    agency: Agency, clerk, reviewer, *, statement: str = STATEMENT, note: str = APPROVAL_NOTE
) -> Membership:
    """Take an agency through the entry services: apply, submit with the commitment, supervisor approves."""
    membership = membership_services.membership_start(agency=agency, actor=clerk)
    membership = membership_services.membership_update_application(
        membership=membership, actor=clerk, statement=statement
    )
    if membership.state in (Membership.State.DRAFT, Membership.State.RETURNED):
        submitted = membership_services.membership_submit(membership=membership, actor=clerk, accept_commitment=True)
        # Refused by the gate (or fast-tracked to active already): there is nothing to review.
        if submitted.ok and membership.state == Membership.State.SUBMITTED:
            membership_services.membership_review(membership=membership, actor=reviewer, decision="approve", note=note)
    row_reload(membership)
    return membership


def scenarios_seed(accounts, supervisor) -> None:
    """The demo's credit stories, written through the real services with past dates (once per agency)."""
    now = timezone.now()
    by_name = {username: (agency, user) for username, agency, user in accounts}

    def fresh(username):
        """The scenario's agency, login and credit subject, and whether its story is still to be written."""
        agency, user = by_name[username]
        subject = subject_for_agency(agency)
        return agency, user, subject, subject.head_seq == 0 and not agency.memberships.exists()

    def admit(agency, user):
        """A scenario agency becomes a member through the entry services, its licences renewed first."""
        licences_renew(agency)
        member_admit(agency, user, supervisor)

    agency, user, subject, new = fresh("agency_demo")
    if new:
        admit(agency, user)

    agency, user, subject, new = fresh("agency_demo2")
    if new:
        admit(agency, user)
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
        credit_event_record(
            subject=subject,
            code="DECLINE_WIN",
            source="rule",
            rule_code=code_of(decline_without_cause),
            evidence={"summary": "中选惠州市某道路工程可行性研究报告编制项目后，无正当理由放弃中选资格。"},
            at=now - datetime.timedelta(days=180),
        )
        membership = membership_services.membership_start(agency=agency, actor=user)
        membership_services.membership_update_application(
            membership=membership, actor=user, statement="申请入驻，从事工程咨询服务。"
        )

    agency, user, subject, new = fresh("agency_demo4")
    if new:
        admit(agency, user)
        credit_event_record(
            subject=subject,
            code="FALSE_MATERIALS",
            source="supervisor",
            actor=supervisor,
            evidence={"summary": "入驻时提交的建筑工程设计业绩合同经核查系伪造。"},
            at=now - datetime.timedelta(days=365),
        )

    agency, user, subject, new = fresh("agency_demo5")
    if new:
        admit(agency, user)
        credit_event_record(
            subject=subject,
            code="HONOUR_RED_LIST",  # it orders a reward, whose notice is the red-list notice
            source="honour",
            actor=supervisor,
            evidence={"summary": "获评 2025 年度惠州市优秀中介服务机构。"},
            at=now - datetime.timedelta(days=60),
        )

    agency, user, subject, new = fresh("agency_demo6")
    if new:
        admit(agency, user)
        for days, what in ((200, "工程测量成果精度不达标，经复核属实。"), (40, "控制测量报告数据错误，经复核属实。")):
            credit_event_record(
                subject=subject,
                code="QUALITY_COMPLAINT",
                source="supervisor",
                actor=supervisor,
                evidence={"summary": what},
                at=now - datetime.timedelta(days=days),
            )

    # The expulsion the false materials set off was told to agency_demo4 a year ago (失信告知) and its response
    # period ran out unanswered: the credit sweep's step applies it, as beat would have done long since.
    notices_take_effect(now)
