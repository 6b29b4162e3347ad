"""Reads for the supervisor's pages, each shaped for one page and filtered to the supervisor's scope in SQL."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit_rules import gate
from credit_rules.models import CreditSubject, LedgerEntry
from credit_rules.policy import policy_at
from credit_rules.rules.base import EventRow, Listing
from credit_rules.standing import ActiveMeasure
from marketplace.models import Agency, Qualification, SupervisorProfile
from marketplace.selectors import supervisor_scope_q

from ..models import CreditCase, Membership, Objection, RepairRequest, TransitionLog, WarningWithdrawal

SEARCH_LIMIT = 20
RECENT_ENTRIES = 12


# --- the queue --------------------------------------------------------------------------------------


@dataclass
class SupervisorQueue:
    """Everything waiting for a supervisor, section by section, within its scope."""

    applications: list[Membership]
    cases: list[CreditCase]
    objections: list[Objection]
    repairs: list[RepairRequest]
    renewals: list[Membership]
    today: datetime.date
    now: datetime.datetime
    renewal_horizon: datetime.date


def membership_list_for_supervisor_applications(profile: SupervisorProfile) -> QuerySet[Membership]:
    """Submitted applications in scope, oldest first, with the agency, its categories and cached grade."""
    return (
        Membership.objects.filter(state=Membership.State.SUBMITTED)
        .filter(supervisor_scope_q(profile, prefix="agency__"))
        .select_related("agency", "agency__credit", "agency__region")
        .prefetch_related("agency__categories")
        .order_by("submitted_at", "pk")
    )


def credit_case_list_for_supervisor_queue(profile: SupervisorProfile) -> QuerySet[CreditCase]:
    """Cases proposed or notified in scope; those whose response time ran out first."""
    return (
        CreditCase.objects.filter(state__in=CreditCase.OPEN)
        .filter(supervisor_scope_q(profile, prefix="agency__"))
        .select_related("agency", "subject")
        .order_by("response_due", "proposed_at", "pk")
    )


def objection_list_for_supervisor_queue(profile: SupervisorProfile) -> QuerySet[Objection]:
    """Objections waiting for a decision in scope, nearest due date first."""
    return (
        Objection.objects.filter(state=Objection.State.SUBMITTED)
        .filter(supervisor_scope_q(profile, prefix="agency__"))
        .select_related("agency", "entry")
        .order_by("due_on", "pk")
    )


def repair_list_for_supervisor_queue(profile: SupervisorProfile) -> QuerySet[RepairRequest]:
    """Repair requests waiting for a decision in scope, oldest first."""
    return (
        RepairRequest.objects.filter(state=RepairRequest.State.SUBMITTED)
        .filter(supervisor_scope_q(profile, prefix="agency__"))
        .select_related("agency", "entry")
        .order_by("submitted_at", "pk")
    )


def membership_list_for_supervisor_renewals(profile: SupervisorProfile, until: datetime.date) -> QuerySet[Membership]:
    """Renewable memberships in scope (active, restricted or lapsed) whose term ends by ``until`` — lapsed
    ones included — or whose agency asked to renew and was sent to review; soonest end first."""
    return (
        Membership.objects.filter(state__in=Membership.RENEWABLE)
        .filter(Q(term_until__lte=until) | Q(renewal_requested_at__isnull=False))
        .filter(supervisor_scope_q(profile, prefix="agency__"))
        .select_related("agency", "agency__credit")
        .order_by("term_until", "pk")
    )


def supervisor_queue(profile: SupervisorProfile) -> SupervisorQueue:
    """The supervisor's work queue: one query per section (plus the categories prefetch)."""
    now = timezone.now()
    today = timezone.localdate(now)
    # The policy's notice before a term ends: the agency is prompted from then, and the supervisor sees it.
    horizon = today + datetime.timedelta(days=policy_at(now).term_notice_days)
    return SupervisorQueue(
        applications=list(membership_list_for_supervisor_applications(profile)),
        cases=list(credit_case_list_for_supervisor_queue(profile)),
        objections=list(objection_list_for_supervisor_queue(profile)),
        repairs=list(repair_list_for_supervisor_queue(profile)),
        renewals=list(membership_list_for_supervisor_renewals(profile, horizon)),
        today=today,
        now=now,
        renewal_horizon=horizon,
    )


# --- credit standing shown next to any decision -----------------------------------------------------


@dataclass
class CreditStanding:
    """An agency's credit as a supervisor needs it to decide: score, grade, measures, serious events."""

    score: int
    grade: str
    warnings_in_window: int
    measures: tuple[ActiveMeasure, ...]
    serious_events: tuple[EventRow, ...]
    listings: tuple[Listing, ...]
    entries: list[LedgerEntry] = field(default_factory=list)
    lookback_months: int = 36
    warnings_window_months: int = 12


def credit_standing_for_supervisor(agency: Agency) -> CreditStanding:
    """The agency's standing now from the ledger (the gate's facts) and its latest ledger entries."""
    now = timezone.now()
    facts = gate.facts_load(agency, now)
    entries = list(
        LedgerEntry.objects.filter(subject__agency=agency).select_related("refers_to").order_by("-seq")[:RECENT_ENTRIES]
    )
    policy = policy_at(now)
    return CreditStanding(
        score=facts.score,
        grade=facts.grade,
        warnings_in_window=facts.warnings_in_window,
        measures=facts.measures,
        serious_events=facts.serious_events,
        listings=facts.listings,
        entries=entries,
        lookback_months=policy.entry_lookback_months,
        warnings_window_months=policy.warnings_window_months,
    )


# --- single objects, 404 outside the scope ----------------------------------------------------------


def _in_scope_or_404(qs: QuerySet, profile: SupervisorProfile, pk: int):
    obj = qs.filter(supervisor_scope_q(profile, prefix="agency__")).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def membership_for_supervisor_application(profile: SupervisorProfile, pk: int) -> Membership:
    """One application in scope with everything the review page shows (404 outside the scope)."""
    qualifications = Qualification.objects.select_related("qualification_type", "level").order_by(
        "qualification_type__code", "valid_until"
    )
    qs = Membership.objects.select_related(
        "agency", "agency__region", "agency__credit", "commitment", "commitment_accepted_by"
    ).prefetch_related(
        "agency__categories__parent",
        Prefetch("agency__qualifications", queryset=qualifications),
    )
    return _in_scope_or_404(qs, profile, pk)


def membership_for_supervisor_renewal(profile: SupervisorProfile, pk: int) -> Membership:
    """A membership in scope, to renew (404 outside the scope)."""
    return _in_scope_or_404(Membership.objects.select_related("agency"), profile, pk)


def credit_case_for_supervisor(profile: SupervisorProfile, pk: int) -> CreditCase:
    """One credit case in scope with its agency, people, measure entry and triggering entry (404 outside the scope)."""
    qs = CreditCase.objects.select_related(
        "agency",
        "agency__credit",
        "agency__region",
        "subject",
        "proposed_by",
        "decided_by",
        "measure_entry",
        "trigger_entry",
    )
    return _in_scope_or_404(qs, profile, pk)


TRANSITION_LABELS = {
    "notify": _("告知"),
    "apply": _("决定实施"),
    "dismiss": _("不予处理"),
    "object": _("提出异议"),
    "uphold": _("维持"),
    "overturn": _("撤销"),
    "expire": _("期满"),
    "repair": _("信用修复"),
}


@dataclass(frozen=True)
class HistoryRow:
    """One attempted transition of a row, with its states and outcome in words."""

    log: TransitionLog
    action: str
    from_label: str
    to_label: str


def transition_history_for_object(obj) -> list[HistoryRow]:
    """The history of one stateful row: every transition attempted (done or refused), oldest first."""
    ct = ContentType.objects.get_for_model(type(obj))
    labels = dict(type(obj).State.choices)
    logs = TransitionLog.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor").order_by("at", "pk")
    return [
        HistoryRow(
            log=log,
            action=str(TRANSITION_LABELS.get(log.transition, log.transition)),
            from_label=str(labels.get(log.from_state, log.from_state)),
            to_label=str(labels.get(log.to_state, log.to_state)),
        )
        for log in logs
    ]


def objection_for_supervisor(profile: SupervisorProfile, pk: int) -> Objection:
    """One objection in scope with the disputed entry (404 outside the scope)."""
    qs = Objection.objects.select_related("agency", "agency__credit", "entry", "entry__subject", "decided_by")
    return _in_scope_or_404(qs, profile, pk)


def repair_for_supervisor(profile: SupervisorProfile, pk: int) -> RepairRequest:
    """One repair request in scope with the entry to repair (404 outside the scope)."""
    qs = RepairRequest.objects.select_related("agency", "agency__credit", "entry", "entry__subject", "decided_by")
    return _in_scope_or_404(qs, profile, pk)


def qualification_for_supervisor(profile: SupervisorProfile, pk: int) -> Qualification:
    """A qualification certificate of an agency in scope, for its scan (404 outside the scope)."""
    return _in_scope_or_404(Qualification.objects.select_related("agency"), profile, pk)


# --- agencies and ledger entries --------------------------------------------------------------------


def agencies_in_scope(profile: SupervisorProfile | None) -> QuerySet[Agency]:
    """Agencies a supervisor may act on (none without a profile)."""
    return Agency.objects.filter(supervisor_scope_q(profile))


def agency_list_for_supervisor_search(profile: SupervisorProfile, query: str) -> list[Agency]:
    """Agencies in scope whose name or USCC contains ``query``, with cached grade and membership."""
    query = query.strip()
    if not query:
        return []
    return list(
        agencies_in_scope(profile)
        .filter(Q(name__icontains=query) | Q(uscc__icontains=query.replace(" ", "").upper()))
        .select_related("credit", "region")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.exclude(state__in=Membership.FINAL).order_by("-created_at"),
                to_attr="open_memberships",
            )
        )
        .order_by("name")[:SEARCH_LIMIT]
    )


def agency_in_scope_by_uscc(profile: SupervisorProfile | None, uscc: str) -> Agency | None:
    """The agency with this USCC if it lies in the supervisor's scope (None for anything not shaped like one)."""
    if not uscc or len(uscc) != 18 or not uscc.isalnum():
        return None
    return agencies_in_scope(profile).select_related("credit", "region").filter(uscc=uscc).first()


def agencies_named_in_list(usccs: set[str]) -> list[Agency]:
    """The registered agencies an external list names, with their region, for the import's confirmation."""
    found: list[Agency] = []
    ordered = sorted(usccs)
    for start in range(0, len(ordered), 5000):  # stay under SQL variable limits on long lists
        found.extend(Agency.objects.filter(uscc__in=ordered[start : start + 5000]).select_related("region"))
    return sorted(found, key=lambda agency: agency.name)


def warning_withdrawal_of(entry: LedgerEntry) -> WarningWithdrawal | None:
    """The withdrawal of a warning, if its issuer withdrew it."""
    return WarningWithdrawal.objects.filter(entry=entry).select_related("requested_by").first()


@dataclass(frozen=True)
class Followup:
    """A measure (or lift) an event set off at once, and the policy's reason where it skipped prior notice."""

    entry: LedgerEntry
    immediate_reason: str = ""


@dataclass
class EventOutcome:
    """What recording one event did: the entry, the standing after it, the measures it set off at once and
    those first told to the agency (the rules' prior notices, 失信告知)."""

    entry: LedgerEntry
    subject: CreditSubject
    followups: list[Followup]
    membership: Membership | None
    notices: list[CreditCase] = field(default_factory=list)


def ledger_event_for_supervisor(profile: SupervisorProfile, pk: int) -> EventOutcome:
    """A recorded event in scope with the measures its escalation wrote at the same moment."""
    entry = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EVENT, subject__agency__isnull=False)
        .filter(supervisor_scope_q(profile, prefix="subject__agency__"))
        .select_related("subject", "subject__agency", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    # The escalation writes its measures (and lifts) with the event's own timestamp, right after it.
    followups = LedgerEntry.objects.filter(
        subject=entry.subject,
        seq__gt=entry.seq,
        effective_at=entry.effective_at,
        kind__in=[LedgerEntry.Kind.MEASURE, LedgerEntry.Kind.NEUTRALISE],
    ).order_by("seq")
    immediate = policy_at(entry.effective_at).immediate_measures or {}
    membership = (
        (Membership.objects.filter(agency=entry.subject.agency).exclude(state=Membership.State.DRAFT))
        .order_by("-created_at")
        .first()
    )
    return EventOutcome(
        entry=entry,
        subject=entry.subject,
        followups=[Followup(f, str(immediate.get(f.rule_code, "")) if f.measure else "") for f in followups],
        membership=membership,
        notices=list(CreditCase.objects.filter(trigger_entry=entry).order_by("pk")),
    )


def ledger_event_by_idempotency_key(subject: CreditSubject, key: str) -> LedgerEntry | None:
    """An event already recorded for a form with this one-time key, if any."""
    return LedgerEntry.objects.filter(
        subject=subject, kind=LedgerEntry.Kind.EVENT, evidence__idempotency_key=key
    ).first()


def open_case_like(agency: Agency, *, measure: str, ground_code: str) -> CreditCase | None:
    """An open case already proposing the same thing against the agency (a double submit, or a duplicate)."""
    return (
        CreditCase.objects.filter(agency=agency, state__in=CreditCase.OPEN, measure=measure, ground_code=ground_code)
        .order_by("-proposed_at")
        .first()
    )


def ledger_entry_for_supervisor_file(profile: SupervisorProfile, pk: int) -> LedgerEntry:
    """A ledger entry in scope, for its evidence file (404 outside the scope)."""
    entry = (
        LedgerEntry.objects.filter(subject__agency__isnull=False)
        .filter(supervisor_scope_q(profile, prefix="subject__agency__"))
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    return entry
