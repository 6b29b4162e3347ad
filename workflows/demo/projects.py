"""Demo projects and credit stories that produce every kind of public notice through the real services.

One seeding shortcut here: to show finished projects without waiting days, the demo moves a
project's stored sign-up deadline or publicity end (or a payment's due date) to "just now" (a plain
date field) and then lets the real deadline sweep act on it. Every state change still goes through the
services.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db.models import Exists, OuterRef
from django.utils import timezone

from credit_rules.models import LedgerEntry, Source
from credit_rules.rules.base import code_of
from credit_rules.rules.service import rating_result
from credit_rules.services import subject_for_agency
from marketplace import services as market
from marketplace.models import Agency, AgencyStaff, BuyerUnit, Qualification, QualificationLevel, ServiceCategory
from marketplace.roles import Role

from ..models import Engagement, Membership, Payment, Project, SignUp
from ..services.credit import events as event_services
from ..services.credit import repairs as repair_services
from ..services.credit.cases import notices_take_effect
from ..services.deadlines import deadlines_sweep
from ..services.delivery import engagements as engagement_services
from ..services.delivery import payments as payment_services
from ..services.procurement import award as award_services
from ..services.procurement import projects as project_services
from ..services.procurement import signups as signup_services
from ..services.procurement.projects import Requirement
from ..services.transitions import row_reload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARK = "【演示】"


def _end_now(project: Project, field: str) -> None:
    """Seeding shortcut: the stored deadline is moved to just now; the sweep then acts on it."""
    Project.objects.filter(pk=project.pk).update(**{field: timezone.now() - datetime.timedelta(seconds=1)})


def pool_username(category: ServiceCategory, i: int) -> str:
    """The demo login of the ``i``-th pool agency of a field (printed by seed_demo, e.g. agency_val_re_1)."""
    return f"agency_{category.code.lower().replace('-', '_')}_{i}"


# What the seed gives each appraisal pool agency beyond its sign-ups (by its number in the pool).
POOL_NOTES = {
    1: "房地产估价，与 agency_demo 同一领域：已报名随机抽取项目",
    2: "房地产估价，与 agency_demo 同一领域：已报名随机抽取项目",
    3: "房地产估价，与 agency_demo 同一领域：已报名随机抽取项目，一条评价差记录已修复",
    4: "房地产估价：两次信用警告，告知期满后被暂停 1 个月",
}


def pool_logins() -> list[tuple[str, Agency, str]]:
    """The printed logins of the appraisal pool (agencies of agency_demo's field, to try a draw) and their notes."""
    appraisal = ServiceCategory.objects.get(code="VAL-RE")
    notes = {pool_username(appraisal, i): note for i, note in POOL_NOTES.items()}
    staff = AgencyStaff.objects.filter(user__username__in=list(notes)).select_related("user", "agency")
    return sorted(((s.user.get_username(), s.agency, notes[s.user.get_username()]) for s in staff), key=lambda r: r[0])


def _pool(
    category: ServiceCategory, qualification_code: str, count: int, password: str
) -> list[tuple[Agency, AbstractBaseUser]]:
    """Admitted, unrestricted agencies of a category with a valid licence, each with a demo clerk login."""
    today = timezone.localdate()
    valid = Qualification.objects.filter(
        agency=OuterRef("pk"), qualification_type__code=qualification_code, valid_until__gte=today
    )
    candidates = (
        Agency.objects.filter(
            categories=category, memberships__state=Membership.State.ACTIVE, credit__is_rewarded=False
        )
        .filter(Exists(valid))
        .exclude(staff__user__username__startswith="agency_demo")
        .order_by("uscc")
        .distinct()[:count]
    )
    User = get_user_model()
    out: list[tuple[Agency, AbstractBaseUser]] = []
    for i, agency in enumerate(candidates, start=1):
        username = pool_username(category, i)
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": "经办人"})
        if created:
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=Role.AGENCY))
        if not AgencyStaff.objects.filter(user=user).exists():
            market.agency_staff_add(agency=agency, user=user, is_admin=True, position="经办人")
        out.append((agency, user))
    return out


def _requirement(code: str, rank: int) -> Requirement:
    """The licence a demo project asks for: type ``code`` at its level ranked ``rank``."""
    level = QualificationLevel.objects.select_related("qualification_type").get(
        qualification_type__code=code, rank=rank
    )
    return Requirement(level.qualification_type, level)


def _post(
    buyer_user, operator, *, name: str, method: str, category: ServiceCategory, req: Requirement, **extra
) -> Project:
    """A buyer posts a demo project and the operator publishes it (both through the services)."""
    unit = BuyerUnit.objects.get(staff__user=buyer_user)
    data = {
        "name": f"{MARK}{name}",
        "category": category,
        "content": f"{name}：按国家及广东省相关技术规范开展服务，出具正式成果文件。",
        "scale": extra.pop("scale", ""),
        "budget": Decimal("80000"),
        "quote_kind": Project.QuoteKind.AMOUNT,
        "quote_floor": Decimal("40000"),
        "quote_ceiling": Decimal("80000"),
        "method": method,
        **extra,
    }
    project = project_services.project_create(buyer=unit, actor=buyer_user, data=data, requirements=[req])
    project_services.project_submit(project=project, actor=buyer_user)
    project_services.project_review(project=project, actor=operator, publish=True)
    row_reload(project)
    return project


def _sign(project: Project, pool, quotes) -> None:
    """Pool agencies sign up with their quotes, through the sign-up service (a refusal stops the seed)."""
    for (agency, user), quote in zip(pool, quotes, strict=False):
        outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote)
        if not outcome.ok:
            raise RuntimeError(f"demo sign-up refused: {[r.message for r in outcome.refusals]}")


def _run_to_award(project: Project) -> Project:
    """Sign-up closes now and the deadline sweep selects the winner (or declares the project failed)."""
    _end_now(project, "signup_deadline")
    deadlines_sweep()
    row_reload(project)
    return project


def _run_to_acceptance(project: Project, pool, buyer_user) -> tuple[Engagement, SignUp, AbstractBaseUser]:
    """The winner confirms, publicity ends, then contract, result and acceptance."""
    winner = SignUp.objects.get(project=project, state=SignUp.State.SELECTED)
    user = next(u for a, u in pool if a.pk == winner.agency_id)
    award_services.winner_confirm(signup=winner, actor=user)
    _end_now(project, "publicity_ends_at")
    deadlines_sweep()
    engagement = project.engagements.get()
    engagement_services.contract_upload(engagement=engagement, actor=user, file=ContentFile(PDF, name="合同.pdf"))
    engagement_services.contract_sign(engagement=engagement, actor=buyer_user, amount=winner.quote)
    engagement_services.result_submit(engagement=engagement, actor=user, file=ContentFile(PDF, name="成果报告.pdf"))
    engagement_services.result_review(engagement=engagement, actor=buyer_user, accept=True)
    return engagement, winner, user


def _run_to_close(project: Project, pool, buyer_user, marks: dict[str, int]) -> None:
    """The winner confirms, publicity ends, then contract, result, acceptance, rating and payment."""
    engagement, winner, user = _run_to_acceptance(project, pool, buyer_user)
    engagement_services.rating_submit(
        engagement=engagement, actor=buyer_user, marks=marks, comment="服务规范，按期交付。"
    )
    payment = engagement.payment
    payment_services.payment_record(
        payment=payment,
        actor=buyer_user,
        reference="HX20261101-0832",
        provider="bank_transfer",
        key=f"demo-pay-{project.code}",
    )
    payment_services.payment_confirm(payment=payment, actor=user, key=f"demo-confirm-{project.code}")


def projects_seed(*, password: str, progress: Callable[[str], None] = lambda _m: None) -> None:
    """Projects in every stage and the credit stories behind the remaining notice kinds (idempotent)."""
    if Project.objects.filter(name__startswith=MARK).exists():
        return
    User = get_user_model()
    buyer_user = User.objects.get(username="buyer_demo")
    operator = User.objects.get(username="operator_demo")
    supervisor = User.objects.get(username="supervisor_demo")
    appraisal = ServiceCategory.objects.get(code="VAL-RE")
    pool = _pool(appraisal, "Q-RE", 4, password)
    excellent = dict.fromkeys(("quality", "timeliness", "attitude", "fees", "conformity"), 5)

    # a price selection run from posting to payment: announcement, result, contract notices
    closed = _post(
        buyer_user,
        operator,
        name="惠城区棚改安置房房地产估价（竞价）",
        method="price",
        category=appraisal,
        req=_requirement("Q-RE", 3),
        scale="安置房 86 套",
    )
    _sign(closed, pool[:3], ("58000", "52000", "61000"))
    _run_to_close(_run_to_award(closed), pool, buyer_user, excellent)
    progress("  demo: a price project closed")

    # too few sign-ups: 流标 with its termination notice
    failed = _post(
        buyer_user,
        operator,
        name="惠阳区公租房租金评估（随机抽取）",
        method="draw",
        category=appraisal,
        req=_requirement("Q-RE", 3),
    )
    _sign(failed, pool[:1], ("45000",))
    _run_to_award(failed)

    # a draw awarded now: its publicity lasts the usual three working days, and the public can
    # verify the proof meanwhile
    drawn = _post(
        buyer_user,
        operator,
        name="江北片区征收房屋价值评估（随机抽取）",
        method="draw",
        category=appraisal,
        req=_requirement("Q-RE", 3),
        draw_beacon="2026-11-20 福彩3D 第 2026312 期 5 8 1",
        publicity_days=3,
    )
    _sign(drawn, pool[:4], ("50000", "50000", "50000", "50000"))
    _run_to_award(drawn)
    # the winner acts in time: it confirms the win during publicity, as a real agency would that day
    drawn_winner = SignUp.objects.get(project=drawn, state=SignUp.State.SELECTED)
    award_services.winner_confirm(signup=drawn_winner, actor=next(u for a, u in pool if a.pk == drawn_winner.agency_id))
    progress("  demo: a draw awarded and its win confirmed")

    # cancelled by the buyer with a published reason
    cancelled = _post(
        buyer_user,
        operator,
        name="老旧小区改造项目资产评估（比选）",
        method="scored",
        category=appraisal,
        req=_requirement("Q-RE", 3),
        weight_price=40,
        weight_credit=30,
        weight_proposal=30,
    )
    project_services.project_cancel(
        project=cancelled, actor=buyer_user, reason="上级批复调整建设内容，本项目暂停实施。"
    )

    # open for sign-up in real time, in the demo agency's own field, so agency_demo can sign up
    demo_agency = Agency.objects.get(staff__user__username="agency_demo")
    qual = demo_agency.qualifications.select_related("qualification_type", "level").first()
    if qual is not None:
        category = demo_agency.categories.filter(qualification_types=qual.qualification_type).first() or appraisal
        lowest = qual.qualification_type.levels.order_by("-rank").first()
        assert lowest is not None  # the type has levels: the agency's licence is at one of them
        _post(
            buyer_user,
            operator,
            name=f"{category.name}服务（竞价，报名中）",
            method="price",
            category=category,
            req=Requirement(qual.qualification_type, lowest),
        )
    # open for sign-up in the same field, three agencies signed up already: agency_demo may be the fourth, and
    # when the short sign-up period passes (a day or two on the demo clock) the draw picks the winner
    open_draw = _post(
        buyer_user,
        operator,
        name="市民服务中心房地产估价（随机抽取，报名中）",
        method="draw",
        category=appraisal,
        req=_requirement("Q-RE", 3),
        signup_days=2,
    )
    _sign(open_draw, pool[:3], ("48000", "53000", "51000"))
    progress("  demo: open, failed and cancelled projects")

    # the remaining credit notices: a suspension, and a repaired record with its withdrawal
    # (the two warnings were issued weeks ago: the suspension they set off was told to the agency first, and its
    # response period ran out unanswered, so the credit sweep's step applies it now)
    suspended_agency, _u = pool[3]
    for days, what in (
        (20, "估价报告未按约定时限提交，经督促仍逾期 15 日。"),
        (10, "估价报告引用数据错误，经复核属实。"),
    ):
        event_services.credit_event_record(
            subject=subject_for_agency(suspended_agency),
            code="CREDIT_WARNING",
            source=Source.SUPERVISOR,
            actor=supervisor,
            evidence={"summary": what, "facts": what},
            publish="warning",
            at=timezone.now() - datetime.timedelta(days=days),
        )
    notices_take_effect()
    repaired_agency, repaired_user = pool[2]
    poor = event_services.credit_event_record(
        subject=subject_for_agency(repaired_agency),
        code="RATING_POOR",
        source=Source.RATING,
        rule_code=code_of(rating_result),
        evidence={"summary": "惠州市某学校改扩建项目服务评价平均 2.2 分。"},
        at=timezone.now() - datetime.timedelta(days=150),
    )
    request = repair_services.repair_submit(
        entry=LedgerEntry.objects.get(pk=poor.pk),
        actor=repaired_user,
        correction="已完成整改：更换项目负责人，建立成果三级审核制度，并取得业主书面确认。",
        evidence=ContentFile(PDF, name="整改报告.pdf"),
    )
    repair_services.repair_decide(request=request, actor=supervisor, approve=True, note="整改到位，准予修复。")
    progress("  demo: suspension and repair notices")

    # the buyer's own record (政务诚信): a result accepted and its fee left unpaid past the due date
    unpaid = _post(
        buyer_user,
        operator,
        name="惠城区征收补偿房屋估价（竞价，逾期付款）",
        method="price",
        category=appraisal,
        req=_requirement("Q-RE", 3),
    )
    _sign(unpaid, pool[:3], ("57000", "54000", "59000"))
    engagement, _winner, _user = _run_to_acceptance(_run_to_award(unpaid), pool, buyer_user)
    Payment.objects.filter(engagement=engagement).update(due_at=timezone.now() - datetime.timedelta(seconds=1))
    deadlines_sweep()
    progress("  demo: a buyer's late payment on its 政务诚信 record")
