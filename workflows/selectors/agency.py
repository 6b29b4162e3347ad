"""Reads for the agency's own pages: its entry application, its credit record, its credit cases.

Every selector takes the agency the signed-in clerk acts for (found through guardian), so a page
can only ever show that agency's rows; each returns everything its template needs, loaded up front.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credit_rules.gate import Reason
from credit_rules.models import CommitmentLetter, CreditSubject, DecisionRecord, Grade, LedgerEntry, MeasureKind
from credit_rules.policy import Policy, policy_at
from credit_rules.rules import REGISTRY
from credit_rules.selectors import commitment_current
from credit_rules.standing import Standing, standing_compute
from marketplace.errors import ApplicationError
from marketplace.models import Agency, Qualification, ServiceCategory

from ..models import CreditCase, Membership, Objection, RepairRequest
from ..services.credit.repairs import repair_problem
from ..services.membership import application_problems
from .facts import renewal_open, renewal_opens_on

# --- the entry application ----------------------------------------------------------------------


@dataclass
class MembershipPage:
    """What the application page shows: the open membership (or the last one that ended) and its materials."""

    agency: Agency
    membership: Membership | None
    last_ended: Membership | None
    qualifications: list[Qualification]
    categories: list[ServiceCategory]
    problems: list[str]
    letter: CommitmentLetter | None
    today: datetime.date
    term_notice_days: int = 60
    lapse_reasons: list[ShownReason] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.membership is not None and self.membership.state in (
            Membership.State.DRAFT,
            Membership.State.RETURNED,
        )

    @property
    def admitted(self) -> bool:
        return self.membership is not None and self.membership.is_admitted

    @property
    def holds_term(self) -> bool:
        """Admitted, or lapsed: the membership has a term to show (and, but for a suspension, to renew)."""
        return self.membership is not None and (self.admitted or self.membership.state == Membership.State.LAPSED)

    @property
    def can_leave_or_renew(self) -> bool:
        return self.membership is not None and self.membership.state in Membership.RENEWABLE

    @property
    def renewal_open(self) -> bool:
        """The agency may ask to renew now (see ``facts.renewal_open``)."""
        return self.membership is not None and renewal_open(self.membership, self.term_notice_days, self.today)

    @property
    def renewal_opens(self) -> datetime.date | None:
        """When renewal opens, while it is not yet open."""
        if self.membership is None or self.renewal_open:
            return None
        return renewal_opens_on(self.membership, self.term_notice_days)

    @property
    def renewal_pending(self) -> bool:
        """The agency asked to renew and a supervisor has yet to review it."""
        return self.membership is not None and self.membership.renewal_requested_at is not None

    @property
    def days_left(self) -> int | None:
        """Days until the term ends (0 on its last day; negative once it has passed)."""
        if self.membership is None or self.membership.term_until is None:
            return None
        return (self.membership.term_until - self.today).days

    @property
    def term_ending_soon(self) -> bool:
        """Within the policy's days before the end of a term still running: the page prompts to renew."""
        days = self.days_left
        return self.admitted and days is not None and 0 <= days <= self.term_notice_days


def membership_token(membership: Membership | None) -> str:
    """A fingerprint of the membership as a form saw it; a stale or re-sent form no longer matches."""
    if membership is None:
        return "none"
    return f"{membership.pk}:{membership.state}:{membership.term_until or ''}"


def membership_for_agency_page(agency: Agency) -> MembershipPage:
    """The agency's application: state, materials, problems before submitting, the letter to sign."""
    membership = (
        agency.memberships.exclude(state__in=Membership.FINAL)
        .select_related("commitment", "agency")
        .order_by("-created_at")
        .first()
    )  # current_membership's row, with what the page shows of it
    last_ended = None
    if membership is None:
        last_ended = agency.memberships.filter(state__in=Membership.FINAL).order_by("-created_at").first()
    try:
        letter: CommitmentLetter | None = commitment_current()
    except ApplicationError:
        letter = None
    problems = []
    if membership is not None and membership.state in (Membership.State.DRAFT, Membership.State.RETURNED):
        problems = application_problems(membership)
    lapse_reasons: list[ShownReason] = []
    if membership is not None and membership.state == Membership.State.LAPSED:
        # Why it lapsed: the term rule's decision, kept when the sweep asked it.
        lapse = (
            DecisionRecord.objects.filter(
                target=f"{membership._meta.label_lower}:{membership.pk}", transition="membership.term_ended"
            )
            .order_by("-at", "-pk")
            .first()
        )
        lapse_reasons = _reasons_shown(lapse.reasons) if lapse else []
    return MembershipPage(
        agency=agency,
        membership=membership,
        last_ended=last_ended,
        qualifications=list(
            agency.qualifications.select_related("qualification_type", "level").order_by(
                "qualification_type__code", "-valid_until"
            )
        ),
        categories=list(agency.categories.select_related("parent").order_by("sort_order", "code")),
        problems=problems,
        letter=letter,
        today=timezone.localdate(),
        term_notice_days=policy_at().term_notice_days,
        lapse_reasons=lapse_reasons,
    )


# --- 我的信用 -------------------------------------------------------------------------------------

STATUS_LABELS: dict[str, Promise] = {
    "overturned": gettext_lazy("异议成立，已撤销"),
    "repaired": gettext_lazy("已修复"),
    "lifted": gettext_lazy("已解除"),
    "disputed": gettext_lazy("异议处理中"),
    "expired": gettext_lazy("已失效"),
    "pending": gettext_lazy("尚未生效"),
    "in_force": gettext_lazy("生效中"),
    "followup": gettext_lazy("更正/异议标记"),
}


@dataclass
class EntryRow:
    """One ledger entry with what became of it and what the agency may still do about it."""

    entry: LedgerEntry
    status: str
    objection_until: datetime.datetime | None = None
    objection_problem: str | None = None
    repair_problem: str | None = None
    followups: list[LedgerEntry] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def can_object(self) -> bool:
        return self.is_record and self.objection_problem is None

    @property
    def can_repair(self) -> bool:
        return self.is_adverse and self.repair_problem is None

    @property
    def is_record(self) -> bool:
        """An event or a measure (the rows due process is about), not a follow-up mark."""
        return self.entry.kind in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE)

    @property
    def is_adverse(self) -> bool:
        """A record that counts against the agency, the only kind credit repair is about."""
        entry = self.entry
        if entry.kind == LedgerEntry.Kind.EVENT:
            return entry.points < 0
        return entry.kind == LedgerEntry.Kind.MEASURE and entry.measure != MeasureKind.REWARD


@dataclass(frozen=True)
class ShownReason:
    """A stored gate reason ready for ``includes/decision_reasons.html``, in the active language."""

    rule_code: str
    title: str
    message: str
    basis: str


@dataclass
class RefusedDecision:
    """A gate decision that refused the agency, with its reasons rendered from the rule codes."""

    record: DecisionRecord
    reasons: list[ShownReason]

    @property
    def transition_label(self) -> str:
        label = TRANSITION_LABELS.get(self.record.transition)
        return str(label) if label else self.record.transition


TRANSITION_LABELS: dict[str, Promise] = {
    "membership.submit": gettext_lazy("提交入驻申请"),
    "membership.approve": gettext_lazy("入驻审核"),
    "membership.renew": gettext_lazy("入驻续期"),
    "membership.withdraw": gettext_lazy("申请退出"),
    "membership.term_ended": gettext_lazy("入驻有效期届满"),
    "signup.submit": gettext_lazy("项目报名"),
}


@dataclass
class ShownMeasure:
    """A measure in force with the basis recorded on its ledger entry."""

    kind: str
    label: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    rule_code: str
    title: str
    basis: str


@dataclass
class CreditPage:
    """Everything 我的信用 shows: standing, measures, every entry, objections, repairs, refusals."""

    agency: Agency
    at: datetime.datetime
    policy: Policy
    standing: Standing | None
    measures: list[ShownMeasure]
    rows: list[EntryRow]
    objections: list[Objection]
    repairs: list[RepairRequest]
    refusals: list[RefusedDecision]
    notices: list[CreditCase] = field(default_factory=list)  # measures told to the agency, not yet in force

    @property
    def score(self) -> int:
        return self.standing.score if self.standing else self.policy.base_score

    @property
    def grade(self) -> str:
        return self.standing.grade if self.standing else self.policy.grade_for(self.policy.base_score)

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label)


def _reasons_shown(stored: list[dict[str, Any]]) -> list[ShownReason]:
    """Refusal reasons of a stored decision, rendered now from the rule codes (stored text if retired)."""
    shown = []
    for item in stored:
        if item.get("outcome") != "refuse":
            continue
        code = item.get("rule", "")
        if code in REGISTRY:
            reason = Reason(code, "refuse", item.get("params") or {}, item.get("local_basis", ""))
            shown.append(ShownReason(code, reason.title, reason.message, reason.basis))
        else:
            shown.append(ShownReason(code, "", str(item.get("message", "")), ""))
    return shown


def _objection_problem(
    entry: LedgerEntry, at: datetime.datetime, policy: Policy, *, neutralised: bool, open_objection: bool
) -> str | None:
    """Why an objection cannot be lodged now (the checks ``objection_submit`` makes), or None."""
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE):
        return _("只能对信用事件或信用措施提出异议。")
    if neutralised:
        return _("该记录已被撤销或修复，无需再提出异议。")
    if open_objection:
        return _("该记录已有正在处理的异议，请等待处理结果。")
    if at > entry.effective_at + datetime.timedelta(days=policy.objection_window_days):
        return _("异议期限已过：应在记录生效后 %(days)s 日内提出。") % {"days": policy.objection_window_days}
    return None


def _status(entry: LedgerEntry, followups: list[LedgerEntry], at: datetime.datetime, open_objection: bool) -> str:
    """What became of an entry, from the follow-up entries that refer to it."""
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE):
        return "followup"
    for followup in followups:
        if followup.kind == LedgerEntry.Kind.NEUTRALISE and followup.effective_at <= at:
            return followup.reason
    opened = sum(1 for f in followups if f.reason == LedgerEntry.Reason.DISPUTE_OPENED)
    closed = sum(1 for f in followups if f.reason == LedgerEntry.Reason.DISPUTE_CLOSED)
    if open_objection or opened > closed:
        return "disputed"
    if entry.effective_at > at:
        return "pending"
    if entry.expires_at is not None and entry.expires_at <= at:
        return "expired"
    return "in_force"


def ledger_list_for_agency_credit(agency: Agency, at: datetime.datetime | None = None) -> CreditPage:
    """我的信用: the agency's whole ledger, newest first, with statuses and actions, in a fixed number of queries."""
    at = at or timezone.now()
    policy = policy_at(at)
    subject = CreditSubject.objects.filter(agency=agency).first()
    notices = list(CreditCase.objects.filter(agency=agency, state=CreditCase.State.NOTIFIED).order_by("response_due"))
    objections = list(Objection.objects.filter(agency=agency).select_related("entry").order_by("-submitted_at", "-pk"))
    repairs = list(RepairRequest.objects.filter(agency=agency).select_related("entry").order_by("-submitted_at", "-pk"))
    if subject is None:
        return CreditPage(agency, at, policy, None, [], [], objections, repairs, [], notices)

    entries = list(LedgerEntry.objects.filter(subject=subject).order_by("-seq"))
    standing = standing_compute(subject, at)
    decisions = list(DecisionRecord.objects.filter(subject=subject, allowed=False).order_by("-at", "-pk")[:20])

    by_id = {e.pk: e for e in entries}
    followups: dict[int, list[LedgerEntry]] = defaultdict(list)
    for e in sorted(entries, key=lambda e: e.seq):
        if e.refers_to_id:
            followups[e.refers_to_id].append(e)
    open_objections = {o.entry_id for o in objections if o.state == Objection.State.SUBMITTED}
    open_repairs = {r.entry_id for r in repairs if r.state == RepairRequest.State.SUBMITTED}
    window = datetime.timedelta(days=policy.objection_window_days)

    rows = []
    for entry in entries:
        ups = followups.get(entry.pk, [])
        neutralised = any(f.kind == LedgerEntry.Kind.NEUTRALISE for f in ups)
        row = EntryRow(entry=entry, status=_status(entry, ups, at, entry.pk in open_objections), followups=ups)
        if row.is_record:
            row.objection_until = entry.effective_at + window
            row.objection_problem = _objection_problem(
                entry, at, policy, neutralised=neutralised, open_objection=entry.pk in open_objections
            )
        if row.is_adverse:
            row.repair_problem = repair_problem(
                entry, at, neutralised=neutralised, open_request=entry.pk in open_repairs
            )
        rows.append(row)

    measures = []
    for m in standing.measures:
        source = by_id.get(m.entry_id)
        measures.append(
            ShownMeasure(
                kind=m.kind,
                label=str(MeasureKind(m.kind).label),
                starts_at=m.starts_at,
                ends_at=m.ends_at,
                rule_code=m.rule_code,
                title=m.title,
                basis=source.basis if source else "",
            )
        )
    refusals = [RefusedDecision(d, _reasons_shown(d.reasons)) for d in decisions]
    return CreditPage(agency, at, policy, standing, measures, rows, objections, repairs, refusals, notices)


def entry_get_for_agency(agency: Agency, entry_id: int) -> LedgerEntry | None:
    """One ledger entry of the agency (None for another subject's entry, so the view answers 404)."""
    return LedgerEntry.objects.select_related("subject").filter(pk=entry_id, subject__agency=agency).first()


# --- credit cases (due process) -----------------------------------------------------------------


@dataclass
class CaseRow:
    """A credit case with what the agency page shows about it; for a rule's prior notice (失信告知), the rule
    that ordered the measure, its message in the reader's language and its basis."""

    case: CreditCase
    ground_title: str
    can_respond: bool
    rule: Reason | None = None


def _notified_cases(agency: Agency) -> QuerySet[CreditCase]:
    # A merely proposed case is the supervisor's draft: the agency sees it once notified.
    return (
        CreditCase.objects.filter(agency=agency)
        .exclude(state=CreditCase.State.PROPOSED)
        .order_by("-notified_at", "-pk")
    )


def case_rule_reason(case: CreditCase, policy: Policy) -> Reason | None:
    """The reason a rule's notice gives (rule, message, basis), or None for a supervisor's case."""
    if not case.rule_code or case.rule_code not in REGISTRY:
        return None
    return Reason(case.rule_code, "measure", case.rule_params or {}, policy.local.get(case.rule_code, ""))


def _case_row(case: CreditCase, at: datetime.datetime, policy: Policy) -> CaseRow:
    entry = policy.catalogue.get(case.ground_code) if case.ground_code else None
    return CaseRow(
        case=case,
        ground_title=entry.label if entry else case.ground_code,
        can_respond=case.state == CreditCase.State.NOTIFIED and (case.response_due is None or at <= case.response_due),
        rule=case_rule_reason(case, policy),
    )


def case_list_for_agency_cases(agency: Agency, at: datetime.datetime | None = None) -> list[CaseRow]:
    """Credit cases the agency has been told of, newest first, and whether it may still respond."""
    at = at or timezone.now()
    policy = policy_at(at)
    return [_case_row(case, at, policy) for case in _notified_cases(agency)]


def case_get_for_agency(agency: Agency, pk: int, at: datetime.datetime | None = None) -> CaseRow | None:
    """One notified case of the agency (None for a draft or another agency's case, so the view answers 404)."""
    at = at or timezone.now()
    case = _notified_cases(agency).filter(pk=pk).first()
    return _case_row(case, at, policy_at(at)) if case else None
