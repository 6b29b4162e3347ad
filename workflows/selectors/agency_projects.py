"""Reads for the agency's procurement pages: open projects it may sign up for, one project, its sign-ups
and engagements, one engagement.

Every selector takes the agency the signed-in clerk acts for, so a page only ever shows that agency's
sign-ups and engagements. Eligibility for the list is decided in SQL (category, licences valid today,
avoid list, direct selection) so the list page costs the same number of queries for 1 or 50 projects;
the reasons shown for ineligible projects come from the same facts, loaded once for the whole page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    When,
)
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from credit_rules import gate
from credit_rules.gate import Reason
from credit_rules.kinds import MeasureKind
from credit_rules.policy import policy_at
from marketplace.errors import ApplicationError
from marketplace.models import Agency

from ..models import Engagement, Payment, Project, Rating, SignUp
from ..services.procurement.sealing import QuoteSealed, quote_open_own
from .eligibility import (
    AgencyStatus,
    agency_status,
    ineligibility_reasons,
    licences_of,
    projects_with_eligibility,
)
from .facts import signup_context
from .public import requirement_summary

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 50


# --- agency-projects ------------------------------------------------------------------------------


@dataclass
class ProjectListPage:
    """The open-project list: one page of projects, each with ``eligible`` and ``reasons``."""

    agency: Agency
    show_all: bool
    page: Page
    rows: list[Project]
    status: AgencyStatus
    now: datetime.datetime
    hidden_count: int = 0


class _CountedPaginator(Paginator):
    """A paginator told its count (counted beside other numbers in one query) instead of counting again."""

    def __init__(self, object_list, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


def project_list_for_agency_projects(
    agency: Agency, *, show_all: bool = False, page_number: str | int | None = 1, now: datetime.datetime | None = None
) -> ProjectListPage:
    """Open projects before their deadline that the agency is eligible for (or all, marked with why not)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    qs = projects_with_eligibility(agency, day).filter(state=Project.State.OPEN, signup_deadline__gt=now)
    qs = qs.order_by("signup_deadline", "pk")
    # Both counts in one query: the paginator's and the projects the agency may not sign up for.
    counts = {row["eligible"]: row["n"] for row in qs.order_by().values("eligible").annotate(n=Count("pk"))}
    eligible, ineligible = counts.get(True, 0), counts.get(False, 0)
    listed = qs if show_all else qs.filter(eligible=True)
    paginator = _CountedPaginator(listed, PAGE_SIZE, eligible + ineligible if show_all else eligible)
    page = paginator.get_page(page_number)
    rows = list(page.object_list)
    held = licences_of(agency) if show_all else []
    for project in rows:
        project.reasons = [] if project.eligible else ineligibility_reasons(project, agency, held, day)
        project.requirement_summary = requirement_summary(project)
    hidden = 0 if show_all else ineligible
    return ProjectListPage(agency, show_all, page, rows, agency_status(agency), now, hidden)


# --- agency-project -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureInForce:
    """A measure in force on the agency as the sign-up panel names it: what, and until when (None: until lifted)."""

    label: str
    ends_at: datetime.datetime | None


def signup_precheck(project: Project, agency: Agency, now: datetime.datetime, status: AgencyStatus) -> gate.Decision:
    """What the gate would say to this agency signing up now (a read: nothing is recorded); ``status``: the
    agency's membership and credit subject, as the page has just read them."""
    context = signup_context(project, agency, now, membership=status.membership)
    return gate.evaluate(status.subject or agency, "signup.submit", now, context)


def _measures_of(decision: gate.Decision) -> tuple[MeasureInForce, ...]:
    labels = dict(MeasureKind.choices)
    out = []
    for m in decision.inputs.get("measures", []):
        if m["kind"] == MeasureKind.REWARD:
            continue
        ends = datetime.datetime.fromisoformat(m["ends_at"]) if m.get("ends_at") else None
        out.append(MeasureInForce(str(labels.get(m["kind"], m["kind"])), ends))
    return tuple(out)


@dataclass
class AgencyProjectPage:
    """One project as an agency sees it: the announcement, its own sign-up, and what it may do."""

    agency: Agency
    project: Project
    signup: SignUp | None
    engagement: Engagement | None
    reasons: list[str]
    requirement_text: str
    status: AgencyStatus
    decline_points: int | None
    now: datetime.datetime
    # The gate asked now, before the form is offered: refusals mean no form, only the reasons.
    gate_refusals: tuple[Reason, ...] = ()
    gate_measures: tuple[MeasureInForce, ...] = ()
    # The agency's own quote while it is sealed to everyone else (None once opened, or withdrawn).
    own_sealed_quote: Decimal | None = None
    shows_commitment: bool = field(init=False)

    def __post_init__(self) -> None:
        # A draw's commitment; for other methods only once a tie was broken by the draw.
        self.shows_commitment = self.project.method == Project.Method.DRAW or bool(self.project.draw_proof)

    @property
    def open_for_signup(self) -> bool:
        p = self.project
        return p.state == Project.State.OPEN and p.signup_deadline is not None and self.now < p.signup_deadline

    @property
    def live_signup(self) -> SignUp | None:
        return self.signup if self.signup and self.signup.state != SignUp.State.WITHDRAWN else None

    @property
    def may_try_sign_up(self) -> bool:
        """Open for sign-up and no live sign-up of this agency: the gate is asked before the form is shown."""
        return self.open_for_signup and self.live_signup is None

    @property
    def can_sign_up(self) -> bool:
        return self.may_try_sign_up and not self.gate_refusals

    @property
    def can_withdraw(self) -> bool:
        s = self.live_signup
        return self.open_for_signup and s is not None and s.state in (SignUp.State.SUBMITTED, SignUp.State.ADMITTED)

    @property
    def can_confirm(self) -> bool:
        s = self.live_signup
        return s is not None and s.state == SignUp.State.SELECTED

    @property
    def can_decline(self) -> bool:
        s = self.live_signup
        return s is not None and s.state in (SignUp.State.SELECTED, SignUp.State.CONFIRMED)

    @property
    def is_rate(self) -> bool:
        return self.project.quote_kind == Project.QuoteKind.RATE


def project_get_for_agency_project(
    agency: Agency, code: str, now: datetime.datetime | None = None
) -> AgencyProjectPage | None:
    """A published project by code with this agency's sign-up on it; None when there is none to show."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    project = (
        projects_with_eligibility(agency, day)
        .select_related("direct_agency")
        .filter(code=code, published_at__isnull=False)
        .first()
    )
    if project is None:
        return None
    # The live sign-up if there is one, else the last withdrawn one (so the page can say so).
    signup = (
        SignUp.objects.filter(project=project, agency=agency)
        .order_by(Case(When(state=SignUp.State.WITHDRAWN, then=1), default=0), "-submitted_at", "-pk")
        .first()
    )
    engagement = Engagement.objects.filter(project=project, agency=agency).order_by("-pk").first()
    reasons = ineligibility_reasons(project, agency, licences_of(agency), day) if not project.eligible else []
    try:
        points = policy_at(now).entry("DECLINE_WIN").points
    except ApplicationError:
        points = None
    refusals: tuple[Reason, ...] = ()
    measures: tuple[MeasureInForce, ...] = ()
    status = agency_status(agency)
    live = signup is not None and signup.state != SignUp.State.WITHDRAWN
    if project.state == Project.State.OPEN and project.signup_deadline and now < project.signup_deadline and not live:
        decision = signup_precheck(project, agency, now, status)
        refusals = decision.refusals
        measures = _measures_of(decision) if refusals else ()
    own_quote = None
    if live and signup is not None and signup.quote is None and signup.sealed_quote:
        try:
            own_quote = quote_open_own(signup, agency)
        except (QuoteSealed, ValueError):
            own_quote = None
    return AgencyProjectPage(
        agency=agency,
        project=project,
        signup=signup,
        engagement=engagement,
        reasons=reasons,
        requirement_text=requirement_summary(project),
        status=status,
        decline_points=points,
        now=now,
        gate_refusals=refusals,
        gate_measures=measures,
        own_sealed_quote=own_quote,
    )


# --- agency-signups -------------------------------------------------------------------------------


def _signup_next_action(signup: SignUp, now: datetime.datetime) -> str:
    project = signup.project
    before_deadline = project.signup_deadline is not None and now < project.signup_deadline
    if signup.state in (SignUp.State.SUBMITTED, SignUp.State.ADMITTED):
        return _("等待报名截止，可在截止前撤回") if before_deadline else _("等待选取结果")
    if signup.state == SignUp.State.RANKED:
        return _("备选：中选机构放弃或被撤销时依次递补")
    if signup.state == SignUp.State.SELECTED:
        return _("请确认中选或放弃中选")
    if signup.state == SignUp.State.CONFIRMED:
        return _("已确认，等待公示期满后签约")
    return ""


def _engagement_next_action(engagement: Engagement) -> str:
    state = engagement.state
    if state == Engagement.State.AWAITING_CONTRACT:
        if engagement.contract_file:
            return _("合同已上传，等待项目业主确认签约")
        return _("请在签约截止前上传合同")
    if state == Engagement.State.CONTRACTED:
        return _("已签约，服务即将开始")
    if state == Engagement.State.IN_SERVICE:
        return _("请在服务截止前提交服务成果")
    if state == Engagement.State.RETURNED_FOR_REWORK:
        return _("成果被退回整改，请修改后重新提交")
    if state == Engagement.State.RESULT_SUBMITTED:
        return _("等待项目业主验收")
    payment = getattr(engagement, "payment", None)
    if state in (Engagement.State.ACCEPTED, Engagement.State.RATED) and payment is not None:
        if payment.state == payment.State.RECORDED:
            return _("业主已登记转账，请核对后确认收款")
        if payment.state == payment.State.DUE:
            return _("等待项目业主付款")
    if state == Engagement.State.ACCEPTED:
        return _("等待项目业主评价")
    return ""


class NextAction(TypedDict):
    """What the sign-ups page attaches to each sign-up and engagement it lists."""

    next_action: str


@dataclass
class SignupListPage:
    """The agency's sign-ups and engagements, each with the next thing to do."""

    agency: Agency
    signups: list[WithAnnotations[SignUp, NextAction]]
    engagements: list[WithAnnotations[Engagement, NextAction]]
    now: datetime.datetime


def signup_list_for_agency_signups(agency: Agency, now: datetime.datetime | None = None) -> SignupListPage:
    """All the agency's sign-ups (newest first) and engagements (open ones first), in three queries."""
    now = now or timezone.now()
    # Typed with ``next_action`` from the start: the loops below set it on every row.
    signups = cast(
        "list[WithAnnotations[SignUp, NextAction]]",
        list(
            SignUp.objects.filter(agency=agency)
            .select_related("project", "project__buyer", "project__category")
            .order_by("-submitted_at", "-pk")
        ),
    )
    for signup in signups:
        signup.next_action = _signup_next_action(signup, now)
    engagements = cast(
        "list[WithAnnotations[Engagement, NextAction]]",
        list(
            Engagement.objects.filter(agency=agency)
            .select_related("project", "project__buyer", "payment")
            .annotate(is_open=Case(When(state__in=Engagement.OPEN, then=0), default=1, output_field=IntegerField()))
            .order_by("is_open", "-created_at", "-pk")
        ),
    )
    for engagement in engagements:
        engagement.next_action = _engagement_next_action(engagement)
    return SignupListPage(agency, signups, engagements, now)


# --- agency-engagement ----------------------------------------------------------------------------


@dataclass
class EngagementPage:
    """One engagement of the agency with everything its page shows and which forms apply."""

    engagement: Engagement
    payment: Payment | None
    rating: Rating | None
    now: datetime.datetime

    @property
    def can_upload_contract(self) -> bool:
        e = self.engagement
        return e.state == Engagement.State.AWAITING_CONTRACT and (e.contract_due is None or self.now < e.contract_due)

    @property
    def contract_deadline_passed(self) -> bool:
        e = self.engagement
        return (
            e.state == Engagement.State.AWAITING_CONTRACT and e.contract_due is not None and self.now >= e.contract_due
        )

    @property
    def can_submit_result(self) -> bool:
        return self.engagement.state in (Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK)

    @property
    def is_late(self) -> bool:
        e = self.engagement
        return self.can_submit_result and e.service_end is not None and self.now > e.service_end

    @property
    def can_confirm_payment(self) -> bool:
        return self.payment is not None and self.payment.state == Payment.State.RECORDED


def engagement_get_for_agency_engagement(
    agency: Agency, pk: int, now: datetime.datetime | None = None
) -> EngagementPage | None:
    """One of the agency's engagements with its project, payment and rating; None for anyone else's."""
    engagement = (
        Engagement.objects.filter(agency=agency, pk=pk)
        .select_related("project", "project__buyer", "project__category", "signup", "payment", "rating")
        .first()
    )
    if engagement is None:
        return None
    # A missing reverse one-to-one raises an AttributeError subclass, so getattr's default applies.
    return EngagementPage(
        engagement, getattr(engagement, "payment", None), getattr(engagement, "rating", None), now or timezone.now()
    )
