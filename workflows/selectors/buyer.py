"""Reads for the buyer's pages (项目业主): the unit's projects, one project's page, agency look-ups.

Every query is limited to the buyer units the account may act for (guardian, filtered in SQL), so a
project of another unit simply does not exist for the page (404). Quotes stay sealed until the
sign-up deadline: before it no quote is read, let alone decrypted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit_rules.models import CreditSubject
from marketplace.models import Agency, BuyerUnit, QualificationType, ServiceCategory
from marketplace.validators import normalise_uscc, uscc_problem

from ..models import (
    AvoidEntry,
    Engagement,
    Membership,
    Payment,
    Project,
    ProjectQualification,
    ProposalMark,
    Rating,
    SignUp,
)
from ..services.procurement.sealing import QuoteSealed, quote_open, sealed_for_good

S = Project.State

# What the buyer does next, by project state (the list's "next step" column and the page's banner).
NEXT_ACTION = {
    S.DRAFT: gettext_lazy("完善项目信息后提交审核"),
    S.RETURNED: gettext_lazy("按审核意见修改后重新提交"),
    S.PENDING_REVIEW: gettext_lazy("等待运营机构审核发布"),
    S.OPEN: gettext_lazy("报名中，截止后系统自动开标选取"),
    S.SELECTING: gettext_lazy("等待系统完成选取"),
    S.AWARDED: gettext_lazy("公示期满且中选机构确认后，确认中选结果"),
    S.CONTRACTING: gettext_lazy("核对中选机构上传的合同并确认签约"),
    S.IN_SERVICE: gettext_lazy("服务中，等待中选机构提交成果"),
    S.RESULT_SUBMITTED: gettext_lazy("验收服务成果（通过或退回整改）"),
    S.ACCEPTED: gettext_lazy("评价服务并登记付款"),
    S.RATED: gettext_lazy("登记付款后项目完结"),
    S.CLOSED: gettext_lazy("项目已完结"),
    S.CANCELLED: gettext_lazy("可重新发起"),
    S.DISCARDED: gettext_lazy("草稿已放弃，未发布"),
    S.FAILED: gettext_lazy("可重新发起"),
}
SCORING_ACTION = gettext_lazy("为各有效报名的服务方案评分，完成比选")


def next_action(project: Project) -> str:
    """The buyer's next step for a project in its current state."""
    if project.state == S.SELECTING and project.method == Project.Method.SCORED:
        return str(SCORING_ACTION)
    return str(NEXT_ACTION.get(project.state, ""))


def project_list_for_buyer_projects(unit: BuyerUnit, state: str = "") -> QuerySet[Project]:
    """The unit's projects for the list page: category joined, live sign-ups counted, never a quote."""
    qs = (
        Project.objects.filter(buyer=unit)
        .select_related("category")
        .only(
            "code",
            "name",
            "method",
            "state",
            "signup_deadline",
            "created_at",
            "category__name",
            "category__name_en",
        )
        # Counted once the close has admitted or rejected them: before it, how many signed up is sealed.
        .annotate(
            signup_count=Count(
                "signups", filter=~Q(signups__state__in=(SignUp.State.WITHDRAWN, SignUp.State.SUBMITTED))
            )
        )
        .order_by("-created_at", "-pk")
    )
    # A discarded draft was never published: the list shows it only when asked for by its state.
    qs = qs.filter(state=state) if state else qs.exclude(state=S.DISCARDED)
    return qs


def winner_for_confirmation(project: Project) -> SignUp | None:
    """The winner that has confirmed its win, with what the buyer checks before confirming it (name, USCC, region)."""
    return (
        SignUp.objects.filter(project=project, state=SignUp.State.CONFIRMED)
        .select_related("agency", "agency__region")
        .first()
    )


def project_for_buyer(unit: BuyerUnit, code: str) -> Project:
    """One project of the unit, or 404 (another unit's project does not exist here)."""
    qs = Project.objects.filter(code=code, buyer=unit).select_related(
        "buyer", "category", "category__parent", "direct_agency", "relaunch_of"
    )
    project = qs.first()
    if project is None:
        raise Http404(_("没有找到该项目。"))
    return project


@dataclass
class SignupRow:
    """A sign-up as the buyer's page shows it; ``quote`` is None while sealed."""

    signup: SignUp
    quote: Decimal | None
    sealed: bool
    my_mark: Decimal | None = None

    @property
    def agency(self) -> Agency:
        return self.signup.agency


@dataclass
class ProjectPage:
    """Everything the buyer's project page shows, loaded up front (the template runs no query)."""

    project: Project
    now: datetime.datetime
    requirements: list[ProjectQualification]
    avoid: list[AvoidEntry]
    rows: list[SignupRow]
    sealed: bool
    engagement: Engagement | None
    payment: Payment | None
    rating: Rating | None
    relaunches: list[Project] = field(default_factory=list)

    @property
    def next_action(self) -> str:
        return next_action(self.project)

    @property
    def ranking(self) -> list[SignupRow]:
        return sorted((r for r in self.rows if r.signup.rank is not None), key=lambda r: r.signup.rank or 0)

    @property
    def winner(self) -> SignupRow | None:
        chosen = [r for r in self.rows if r.signup.state in (SignUp.State.SELECTED, SignUp.State.CONFIRMED)]
        return chosen[0] if chosen else None

    @property
    def admitted(self) -> list[SignupRow]:
        return [r for r in self.rows if r.signup.state == SignUp.State.ADMITTED]

    @property
    def live_signup_count(self) -> int:
        return sum(1 for r in self.rows if r.signup.state != SignUp.State.WITHDRAWN)

    @property
    def withdrawn_count(self) -> int:
        """Withdrawn sign-ups stay in the table (greyed), so the heading counts them and says how many."""
        return len(self.rows) - self.live_signup_count

    @property
    def shows_draw_link(self) -> bool:
        return self.project.method in (Project.Method.DRAW, Project.Method.PRICE) and bool(
            self.project.draw_proof or self.project.awarded_at
        )

    @property
    def publicity_over(self) -> bool:
        ends = self.project.publicity_ends_at
        return ends is not None and self.now >= ends

    @property
    def payment_late(self) -> bool:
        p = self.payment
        return p is not None and p.state != Payment.State.PAID and self.now > p.due_at


# States in which the sign-up has not been closed: no quote has been opened yet.
BEFORE_CLOSE = (S.DRAFT, S.PENDING_REVIEW, S.RETURNED, S.OPEN, S.CANCELLED)


def signups_sealed(project: Project, now: datetime.datetime | None = None) -> bool:
    """Whether the sign-ups are still sealed — who signed up, how many, and at what price: before the
    deadline while the close has not run, and for good once the project was cancelled before its close."""
    now = now or timezone.now()
    before_deadline = project.signup_deadline is None or now < project.signup_deadline
    return (before_deadline and project.state in BEFORE_CLOSE) or sealed_for_good(project)


def _quote_for(project: Project, signup: SignUp, now: datetime.datetime) -> Decimal | None:
    """The quote once it may be read: opened by the close, or opened now for a row the close skipped."""
    if signup.state == SignUp.State.WITHDRAWN:
        return None
    if signup.quote is not None:  # only the close sets it, and the close opens quotes after the deadline
        return signup.quote
    if not signup.sealed_quote:
        return None
    try:  # quote_open itself refuses before the deadline: the seal never depends on this page alone
        return quote_open(project, signup.sealed_quote, now)
    except (QuoteSealed, ValueError):
        return None


def project_page_for_buyer(unit: BuyerUnit, user, code: str, now: datetime.datetime | None = None) -> ProjectPage:
    """The project page: data, requirements, avoid list, sign-ups (sealed before the deadline), service."""
    now = now or timezone.now()
    project = project_for_buyer(unit, code)
    sealed = signups_sealed(project, now)
    signup_qs = (
        SignUp.objects.filter(project=project)
        .select_related("agency")
        .order_by("rank", "submitted_at", "pk")
        .prefetch_related(Prefetch("marks", queryset=ProposalMark.objects.filter(scorer=user), to_attr="my_marks"))
    )
    rows = []
    # While sealed not even the rows are loaded: the names and the number of bidders are as secret as the quotes.
    for s in signup_qs if not sealed else ():
        rows.append(
            SignupRow(
                signup=s,
                quote=None if sealed else _quote_for(project, s, now),
                sealed=sealed,
                my_mark=s.my_marks[0].mark if s.my_marks else None,
            )
        )
    engagement = (
        Engagement.objects.filter(project=project)
        .exclude(state=Engagement.State.TERMINATED)
        .select_related("agency", "signup")
        .order_by("-created_at", "-pk")
        .first()
    )
    payment = rating = None
    if engagement is not None:
        payment = Payment.objects.filter(engagement=engagement).first()
        rating = Rating.objects.filter(engagement=engagement).first()
    return ProjectPage(
        project=project,
        now=now,
        requirements=list(
            project.requirements.select_related("qualification_type", "min_level").order_by("qualification_type__code")
        ),
        avoid=list(project.avoid_list.select_related("agency").order_by("agency__name")),
        rows=rows,
        sealed=sealed,
        engagement=engagement,
        payment=payment,
        rating=rating,
        relaunches=list(project.relaunches.only("code", "name", "state").order_by("-created_at")),
    )


def engagement_for_buyer(unit: BuyerUnit, code: str, pk: int) -> Engagement:
    """An engagement of one of the unit's projects, or 404."""
    engagement = (
        Engagement.objects.filter(pk=pk, project__code=code, project__buyer=unit)
        .select_related("project", "agency")
        .first()
    )
    if engagement is None:
        raise Http404(_("没有找到该服务。"))
    return engagement


def current_engagement(project: Project) -> Engagement | None:
    """The project's engagement that is not terminated (the one the buyer works with)."""
    return (
        Engagement.objects.filter(project=project)
        .exclude(state=Engagement.State.TERMINATED)
        .select_related("project", "agency", "signup")
        .order_by("-created_at", "-pk")
        .first()
    )


def signup_for_buyer(unit: BuyerUnit, code: str, pk: int) -> SignUp:
    """A sign-up of one of the unit's projects, or 404."""
    signup = (
        SignUp.objects.filter(pk=pk, project__code=code, project__buyer=unit)
        .select_related("project", "agency")
        .first()
    )
    if signup is None:
        raise Http404(_("没有找到该报名。"))
    return signup


# --- look-ups for the project form -------------------------------------------------------------------


def leaf_categories_grouped() -> list[tuple[str, list[tuple[int, str]]]]:
    """Leaf service categories grouped under their parent, for a grouped select."""
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    parents = ServiceCategory.objects.filter(parent=None).prefetch_related("children").order_by("sort_order", "code")
    for parent in parents:
        children = [(c.pk, c.label) for c in parent.children.all()]
        if children:
            groups.append((parent.label, children))
    return groups


def qualification_types_with_categories() -> list[QualificationType]:
    """Qualification types with the categories they apply to and their levels (one query each)."""
    return list(QualificationType.objects.prefetch_related("categories", "levels").order_by("code"))


def admitted_agency_by_text(text: str) -> tuple[Agency | None, str | None]:
    """An agency admitted to the market, found by USCC or by its exact name; else the problem in words."""
    text = (text or "").strip()
    if not text:
        return None, _("请填写机构的统一社会信用代码或名称。")
    uscc = normalise_uscc(text)
    admitted = Agency.objects.filter(memberships__state__in=Membership.ADMITTED).distinct()
    if len(uscc) == 18 and uscc_problem(uscc) is None:
        matches = list(admitted.filter(uscc=uscc))
    else:
        matches = list(admitted.filter(name=text))
    if not matches:
        return None, _("未找到已入驻的机构「%(text)s」，请核对统一社会信用代码或名称。") % {"text": text}
    if len(matches) > 1:
        return None, _("有多家机构名为「%(text)s」，请改用统一社会信用代码。") % {"text": text}
    agency = matches[0]
    state = Membership.objects.filter(agency=agency, state__in=Membership.ADMITTED).values_list("state", flat=True)
    subject = CreditSubject.objects.filter(agency=agency).only("is_restricted", "is_suspended").first()
    if Membership.State.SUSPENDED in state or (subject and subject.is_suspended):
        return None, _("「%(name)s」正被暂停交易，不能直接选取。") % {"name": agency.name}
    if Membership.State.RESTRICTED in state or (subject and subject.is_restricted):
        return None, _("「%(name)s」正被限制交易，不得直接选取。") % {"name": agency.name}
    return agency, None


def agency_by_uscc(uscc: str) -> Agency | None:
    """Any registered agency by its USCC (for the avoid list, which may name agencies not yet admitted)."""
    return Agency.objects.filter(uscc=uscc).first()


def direct_choice_suggestions(category_id: int | None, limit: int = 200) -> list[Agency]:
    """Admitted, unrestricted agencies serving a category: the datalist behind the direct-choice field."""
    if not category_id:
        return []
    return list(
        Agency.objects.filter(memberships__state=Membership.State.ACTIVE, categories=category_id)
        .only("name", "uscc")
        .order_by("name")
        .distinct()[:limit]
    )
