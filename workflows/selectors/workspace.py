"""Reads for the workspace (我的工作台, ``/me/``): what each role must do, and by when.

One selector per role, each in a fixed number of queries whatever the number of to-dos. Deadlines are
the ones stored on the rows (the deadline sweep acts on the same fields); nothing is recomputed here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.expressions import BaseExpression
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import LedgerEntry, MeasureKind
from credit_rules.policy import Policy, policy_at
from marketplace.models import Agency, BuyerUnit, SupervisorProfile
from marketplace.roles import Role, roles_of
from marketplace.selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of

from ..models import (
    CreditCase,
    Engagement,
    IdentityVerification,
    Membership,
    Notification,
    NotificationPreference,
    Objection,
    Payment,
    Project,
    SignUp,
)
from .dormancy import prompts_pending
from .identity import verification_for_agency, verification_list_for_operator_queue
from .operator import project_list_for_operator_queue
from .supervisor import (
    credit_case_list_for_supervisor_queue,
    membership_list_for_supervisor_applications,
    membership_list_for_supervisor_renewals,
    objection_list_for_supervisor_queue,
    repair_list_for_supervisor_queue,
)

# Engagement states in which the agency is still delivering.
DELIVERING = (Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK)


def countdown(deadline: datetime.datetime, now: datetime.datetime) -> str:
    """The time left before ``deadline`` in words ("还剩 2 天 3 小时"), or how long it is overdue."""
    left = deadline - now
    overdue = left.total_seconds() < 0
    seconds = int(abs(left.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(1, rest // 60) if not (days or hours) else 0
    if days:
        span = _("%(days)s 天 %(hours)s 小时") % {"days": days, "hours": hours}
    elif hours:
        span = _("%(hours)s 小时") % {"hours": hours}
    else:
        span = _("%(minutes)s 分钟") % {"minutes": minutes}
    return (_("已逾期 %(span)s") if overdue else _("还剩 %(span)s")) % {"span": span}


def day_end(day: datetime.date) -> datetime.datetime:
    """The last moment of a date stored as a date (a term, an objection's due day), in local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


@dataclass(frozen=True)
class Todo:
    """One thing a role must do: the action, what it is about, where to do it, and the deadline if any."""

    action: str
    about: str
    url: str
    deadline: datetime.datetime | None
    now: datetime.datetime

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline < self.now

    @property
    def countdown(self) -> str:
        return countdown(self.deadline, self.now) if self.deadline is not None else ""


@dataclass
class Section:
    """A role's to-dos, the most pressing first (those without a deadline last)."""

    role: Role
    title: str
    todos: list[Todo] = field(default_factory=list)

    def sort(self) -> Section:
        far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        self.todos.sort(key=lambda t: (t.deadline or far, t.about))
        return self


def _project(project: Project) -> str:
    return f"{project.code} {project.name}"


# --- agency ---------------------------------------------------------------------------------------------


def _agency_cases(agency: Agency) -> QuerySet[CreditCase]:
    """Cases told to the agency that it has not answered yet."""
    return CreditCase.objects.filter(agency=agency, state=CreditCase.State.NOTIFIED, responded_at__isnull=True)


def _agency_revocations(agency: Agency, now: datetime.datetime, window: datetime.timedelta) -> QuerySet[LedgerEntry]:
    """Revocations of the agency's wins still open to an objection: recent, not neutralised, not objected to."""
    return LedgerEntry.objects.filter(
        subject__agency=agency,
        kind=LedgerEntry.Kind.MEASURE,
        measure=MeasureKind.REVOKE,
        effective_at__gt=now - window,
    ).exclude(Q(Exists(LedgerEntry.objects.filter(refers_to=OuterRef("pk")))) | Q(objections__isnull=False))


def _agency_renewal(agency: Agency, now: datetime.datetime, policy: Policy) -> QuerySet[Membership]:
    """The agency's membership whose term ends within the policy's notice, renewal not yet asked for."""
    horizon = timezone.localdate(now) + datetime.timedelta(days=policy.term_notice_days)
    return Membership.objects.filter(
        agency=agency, state__in=Membership.RENEWABLE, term_until__lte=horizon, renewal_requested_at__isnull=True
    )


def todo_list_for_agency_workspace(agency: Agency, now: datetime.datetime | None = None) -> Section:
    """The agency's to-dos: confirm a win, upload the contract, deliver, confirm payment received, answer a
    prior notice or case, object to a revocation while it may, renew near the term's end, do business when
    prompted as dormant; until its
    identity is verified, the verification's state (a new licence after a rejection). Five queries (six unverified)."""
    now = now or timezone.now()
    policy = policy_at(now)
    todos: list[Todo] = []
    if agency.identity_verified_at is None and (verification := verification_for_agency(agency)) is not None:
        if verification.state == IdentityVerification.State.REJECTED:
            about = _("身份核验未通过：%(reason)s") % {"reason": verification.reason}
            todos.append(Todo(_("重新上传营业执照"), about, reverse("agency-identity"), None, now))
        else:
            about = _("运营机构正在核验营业执照，通过后方可申请入驻")
            todos.append(Todo(_("等待身份核验"), about, reverse("agency-identity"), None, now))
    for signup in SignUp.objects.filter(agency=agency, state=SignUp.State.SELECTED).select_related("project"):
        url = reverse("agency-project", kwargs={"code": signup.project.code})
        todos.append(Todo(_("确认中选"), _project(signup.project), url, signup.project.publicity_ends_at, now))
    engagements = (
        Engagement.objects.filter(agency=agency, state__in=Engagement.OPEN)
        .select_related("project", "payment")
        .order_by("pk")
    )
    for engagement in engagements:
        url = reverse("agency-engagement", kwargs={"pk": engagement.pk})
        about = _project(engagement.project)
        if engagement.state == Engagement.State.AWAITING_CONTRACT and not engagement.contract_file:
            todos.append(Todo(_("上传签约合同"), about, url, engagement.contract_due, now))
        elif engagement.state in DELIVERING:
            todos.append(Todo(_("提交服务成果"), about, url, engagement.service_end, now))
        payment = getattr(engagement, "payment", None)
        if payment is not None and payment.state == Payment.State.RECORDED:
            todos.append(Todo(_("确认收到服务费"), about, url, None, now))
    for case in _agency_cases(agency).order_by("pk"):
        about = case.get_measure_display() or _("信用惩戒")
        todos.append(
            Todo(
                _("陈述申辩（失信告知）") if case.is_automatic else _("陈述申辩"),
                str(about),
                reverse("agency-case-respond", kwargs={"pk": case.pk}),
                case.response_due,
                now,
            )
        )
    window = datetime.timedelta(days=policy.objection_window_days)
    for entry in _agency_revocations(agency, now, window).order_by("pk"):
        todos.append(
            Todo(
                _("对撤销中选资格提出异议（如有）"),
                entry.title,
                reverse("agency-objection-new", kwargs={"entry_id": entry.pk}),
                entry.effective_at + window,
                now,
            )
        )
    # One query for both: the renewal near the term's end, and a dormancy prompt still standing (僵尸中介).
    pending = prompts_pending(policy, now).filter(membership_id=OuterRef("pk")).values("exit_due")[:1]
    renewal = _agency_renewal(agency, now, policy).filter(pk=OuterRef("pk"))
    membership = (
        Membership.objects.filter(agency=agency, state__in=Membership.RENEWABLE)
        .annotate(renewal_due=Exists(renewal), dormancy_due=Subquery(pending))
        .first()
    )
    if membership is not None and membership.renewal_due and membership.term_until is not None:
        about = _("入驻有效期至 %(day)s") % {"day": membership.term_until.isoformat()}
        todos.append(Todo(_("申请入驻续期"), about, reverse("agency-membership"), day_end(membership.term_until), now))
    if membership is not None and membership.dormancy_due is not None:
        about = _("长期无业务，逾期将按政策退出")
        todos.append(Todo(_("参与项目报名或办理续期"), about, reverse("agency-projects"), membership.dormancy_due, now))
    return Section(Role.AGENCY, agency.name, todos).sort()


# --- buyer ----------------------------------------------------------------------------------------------


def _buyer_projects(unit: BuyerUnit) -> QuerySet[Project]:
    """The unit's projects waiting for it: returned by the operator, awarded, or a scored one to mark."""
    return Project.objects.filter(buyer=unit).filter(
        Q(state__in=[Project.State.RETURNED, Project.State.AWARDED])
        | Q(state=Project.State.SELECTING, method=Project.Method.SCORED)
    )


def todo_list_for_buyer_workspace(unit: BuyerUnit, now: datetime.datetime | None = None) -> Section:
    """The buyer unit's to-dos: fix a returned project, finish scoring, confirm the winner, sign the contract,
    accept the result, rate, pay, decide after a measure reached the agency. Two queries."""
    now = now or timezone.now()
    todos: list[Todo] = []
    for project in _buyer_projects(unit).order_by("pk"):
        url = reverse("buyer-project", kwargs={"code": project.code})
        if project.state == Project.State.RETURNED:
            todos.append(Todo(_("按审核意见修改并重新提交"), _project(project), url, None, now))
        elif project.state == Project.State.SELECTING:
            todos.append(Todo(_("录入比选评分"), _project(project), url, None, now))
        else:
            todos.append(Todo(_("确认中选结果"), _project(project), url, project.publicity_ends_at, now))
    engagements = (
        Engagement.objects.filter(project__buyer=unit, state__in=Engagement.OPEN)
        .select_related("project", "payment")
        .order_by("pk")
    )
    for engagement in engagements:
        url = reverse("buyer-project", kwargs={"code": engagement.project.code})
        about = _project(engagement.project)
        if engagement.state == Engagement.State.AWAITING_CONTRACT and engagement.contract_file:
            todos.append(Todo(_("签订合同"), about, url, engagement.contract_due, now))
        elif engagement.state == Engagement.State.RESULT_SUBMITTED:
            todos.append(Todo(_("验收服务成果"), about, url, engagement.acceptance_due, now))
        elif engagement.state == Engagement.State.ACCEPTED:
            todos.append(Todo(_("评价服务"), about, url, engagement.rating_due, now))
        if engagement.measure_decision_due and engagement.buyer_continues is None:
            todos.append(Todo(_("决定是否继续服务（信用措施）"), about, url, engagement.measure_decision_due, now))
        payment = getattr(engagement, "payment", None)
        if payment is not None and payment.state == Payment.State.DUE:
            todos.append(Todo(_("支付服务费"), about, url, payment.due_at, now))
    return Section(Role.BUYER, unit.name, todos).sort()


# --- supervisor and operator ----------------------------------------------------------------------------


def _supervisor_horizon(now: datetime.datetime, policy: Policy) -> datetime.date:
    """Terms ending by this day are shown for renewal (the policy's notice before a term ends)."""
    return timezone.localdate(now) + datetime.timedelta(days=policy.term_notice_days)


def todo_list_for_supervisor_workspace(profile: SupervisorProfile, now: datetime.datetime | None = None) -> Section:
    """The supervisor's to-dos in scope: applications, cases to notify or whose answer to review,
    objections (by their due day), repairs, renewals near their end. Five queries."""
    now = now or timezone.now()
    policy = policy_at(now)
    todos: list[Todo] = []
    for membership in membership_list_for_supervisor_applications(profile).prefetch_related(None):
        url = reverse("supervisor-application", kwargs={"pk": membership.pk})
        todos.append(Todo(_("审核入驻申请"), membership.agency.name, url, None, now))
    for case in credit_case_list_for_supervisor_queue(profile):
        url = reverse("supervisor-case", kwargs={"pk": case.pk})
        if case.state == CreditCase.State.PROPOSED:
            todos.append(Todo(_("告知拟采取的措施"), case.agency.name, url, None, now))
        elif case.responded_at is not None:
            todos.append(Todo(_("审查陈述申辩"), case.agency.name, url, None, now))
    objection: Objection
    for objection in objection_list_for_supervisor_queue(profile):
        url = reverse("supervisor-objection", kwargs={"pk": objection.pk})
        todos.append(Todo(_("处理信用异议"), objection.agency.name, url, day_end(objection.due_on), now))
    for repair in repair_list_for_supervisor_queue(profile):
        url = reverse("supervisor-repair", kwargs={"pk": repair.pk})
        todos.append(Todo(_("审核信用修复申请"), repair.agency.name, url, None, now))
    for membership in membership_list_for_supervisor_renewals(profile, _supervisor_horizon(now, policy)):
        url = reverse("supervisor-renew", kwargs={"pk": membership.pk})
        deadline = day_end(membership.term_until) if membership.term_until else None
        todos.append(Todo(_("审核入驻续期"), membership.agency.name, url, deadline, now))
    return Section(Role.SUPERVISOR, profile.authority, todos).sort()


def todo_list_for_operator_workspace(now: datetime.datetime | None = None) -> Section:
    """The operator's to-dos: registrations whose licence awaits verification, projects waiting for review
    before publication. Two queries."""
    now = now or timezone.now()
    todos = [
        Todo(
            _("核验营业执照"),
            f"{v.agency.name} {v.agency.uscc}",
            reverse("operator-identity", kwargs={"pk": v.pk}),
            None,
            now,
        )
        for v in verification_list_for_operator_queue()
    ]
    todos += [
        Todo(_("审核项目"), _project(p), reverse("operator-project", kwargs={"code": p.code}), None, now)
        for p in project_list_for_operator_queue()
    ]
    return Section(Role.OPERATOR, str(Role.OPERATOR.label), todos).sort()


# --- the whole workspace --------------------------------------------------------------------------------


@dataclass
class Workspace:
    """Every role's to-dos of one account, and its unread messages."""

    sections: list[Section]
    unread: int

    @property
    def todo_count(self) -> int:
        return sum(len(s.todos) for s in self.sections)


def workspace_for_user(user, now: datetime.datetime | None = None) -> Workspace:
    """The account's workspace: a section per role it holds (and acts for), and its unread count."""
    now = now or timezone.now()
    roles = roles_of(user)
    sections: list[Section] = []
    if Role.AGENCY in roles and (agency := agency_acted_for(user)) is not None:
        sections.append(todo_list_for_agency_workspace(agency, now))
    if Role.BUYER in roles and (unit := buyer_unit_acted_for(user)) is not None:
        sections.append(todo_list_for_buyer_workspace(unit, now))
    if Role.SUPERVISOR in roles and (profile := supervisor_profile_of(user)) is not None:
        sections.append(todo_list_for_supervisor_workspace(profile, now))
    if Role.OPERATOR in roles:
        sections.append(todo_list_for_operator_workspace(now))
    return Workspace(sections, notification_unread_count(user))


# --- the header's counts --------------------------------------------------------------------------------


class _Count(Subquery):
    """The number of rows of a queryset, as a scalar subquery of a bigger query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("pk"))


def _counts_agency(agency: Agency, now: datetime.datetime, policy: Policy) -> list[BaseExpression]:
    """One count per kind of the agency's to-dos, as ``todo_list_for_agency_workspace`` lists them."""
    engagements = Engagement.objects.filter(agency=agency)
    no_contract = Q(contract_file="") | Q(contract_file__isnull=True)
    # Until its identity is verified, the verification (awaiting review, or a licence to upload again) is one.
    unverified = (
        [_Count(IdentityVerification.objects.filter(agency=agency))] if agency.identity_verified_at is None else []
    )
    return unverified + [
        _Count(SignUp.objects.filter(agency=agency, state=SignUp.State.SELECTED)),
        _Count(engagements.filter(no_contract, state=Engagement.State.AWAITING_CONTRACT)),
        _Count(engagements.filter(state__in=DELIVERING)),
        _Count(
            Payment.objects.filter(
                engagement__agency=agency, engagement__state__in=Engagement.OPEN, state=Payment.State.RECORDED
            )
        ),
        _Count(_agency_cases(agency)),
        _Count(_agency_revocations(agency, now, datetime.timedelta(days=policy.objection_window_days))),
        Case(When(Exists(_agency_renewal(agency, now, policy)), then=1), default=0),
        _Count(prompts_pending(policy, now).filter(membership__agency=agency)),
    ]


def _counts_buyer(unit: BuyerUnit) -> list[BaseExpression]:
    """One count per kind of the buyer unit's to-dos, as ``todo_list_for_buyer_workspace`` lists them."""
    engagements = Engagement.objects.filter(project__buyer=unit, state__in=Engagement.OPEN)
    no_contract = Q(contract_file="") | Q(contract_file__isnull=True)
    return [
        _Count(_buyer_projects(unit)),
        _Count(engagements.filter(state=Engagement.State.AWAITING_CONTRACT).exclude(no_contract)),
        _Count(engagements.filter(state__in=(Engagement.State.RESULT_SUBMITTED, Engagement.State.ACCEPTED))),
        _Count(engagements.filter(measure_decision_due__isnull=False, buyer_continues__isnull=True)),
        _Count(Payment.objects.filter(engagement__in=engagements, state=Payment.State.DUE)),
    ]


def _counts_supervisor(profile: SupervisorProfile, now: datetime.datetime, policy: Policy) -> list[BaseExpression]:
    """One count per kind of the supervisor's to-dos, as ``todo_list_for_supervisor_workspace`` lists them."""
    cases = credit_case_list_for_supervisor_queue(profile)
    return [
        _Count(membership_list_for_supervisor_applications(profile).prefetch_related(None)),
        _Count(cases.filter(Q(state=CreditCase.State.PROPOSED) | Q(responded_at__isnull=False))),
        _Count(objection_list_for_supervisor_queue(profile)),
        _Count(repair_list_for_supervisor_queue(profile)),
        _Count(membership_list_for_supervisor_renewals(profile, _supervisor_horizon(now, policy))),
    ]


@dataclass(frozen=True)
class HeaderCounts:
    """What the header of every signed-in page shows: the number of to-dos and of unread messages."""

    todo_count: int
    unread: int


def header_counts_for_user(user, now: datetime.datetime | None = None) -> HeaderCounts:
    """The account's to-do and unread counts in one query, equal to ``workspace_for_user``'s: each to-do list
    above counted in SQL with the same filters (who the account acts for is asked once per request)."""
    now = now or timezone.now()
    roles = roles_of(user)
    counts: list[BaseExpression] = []
    if Role.AGENCY in roles and (agency := agency_acted_for(user)) is not None:
        counts += _counts_agency(agency, now, policy_at(now))
    if Role.BUYER in roles and (unit := buyer_unit_acted_for(user)) is not None:
        counts += _counts_buyer(unit)
    if Role.SUPERVISOR in roles and (profile := supervisor_profile_of(user)) is not None:
        counts += _counts_supervisor(profile, now, policy_at(now))
    if Role.OPERATOR in roles:
        counts.append(_Count(verification_list_for_operator_queue()))
        counts.append(_Count(project_list_for_operator_queue()))
    unread = _Count(Notification.objects.filter(recipient=user, read_at__isnull=True))
    fields = {"unread": unread, **{f"todo_{n}": count for n, count in enumerate(counts)}}
    row = get_user_model().objects.filter(pk=user.pk).values(**fields).first() or {"unread": 0}
    return HeaderCounts(sum(row.get(f"todo_{n}", 0) for n in range(len(counts))), row["unread"])


def notification_unread_count(user) -> int:
    """How many messages of the account are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list_for_inbox(user, limit: int = 100) -> list[Notification]:
    """The account's latest messages, newest first."""
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit])


def preference_for_page(user) -> NotificationPreference:
    """The account's chosen channels (the defaults when never chosen)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
