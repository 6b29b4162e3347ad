"""Credit in the agency's life: events, escalations, measures, cases, objections, repairs, sweeps.

Each service writes the ledger (credit_rules), moves the membership through the runner, and asks
for notices (cms) — all in one transaction. Measures are the ledger's; the membership state mirrors
them so the workflow pages and the gate never disagree.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request, notice_withdraw
from credit_rules import gate
from credit_rules.gate import Decision, MeasureOrder
from credit_rules.models import CreditSubject, ExternalListing, Grade, LedgerEntry, MeasureKind, Source
from credit_rules.policy import policy_at
from credit_rules.services import (
    decision_record,
    dispute_mark,
    entry_neutralise,
    event_record,
    measure_record,
    subject_for_agency,
)
from credit_rules.standing import in_force, neutralised_by, standing_refresh_due
from marketplace.calendar import add_working_days
from marketplace.models import Agency

from ..models import CreditCase, Membership, Objection, RepairRequest
from .periods import after_months
from .sweeps import sweep_each
from .transitions import TransitionResult, row_reload, transition_run

NOTICE_FOR_MEASURE: dict[str, str] = {
    MeasureKind.SUSPEND: "suspension",
    MeasureKind.EXPEL: "expulsion",
    MeasureKind.REWARD: "red_list",
}
HOW_TO_OBJECT = (
    "对本记录有异议的，可自公告之日起 30 日内通过平台“我的信用”提出异议；符合条件的，可在规定期限后申请信用修复。"
)


def current_membership(agency: Agency) -> Membership | None:
    """The agency's open membership (not rejected, expelled or withdrawn), if any."""
    return agency.memberships.exclude(state__in=Membership.FINAL).order_by("-created_at").first()


def entry_notice_key(entry: LedgerEntry) -> str:
    return f"credit:{entry.subject.uscc}:{entry.seq}"


def _notice_payload(entry: LedgerEntry, **extra: Any) -> dict[str, Any]:
    """A snapshot of a credit entry for a public notice: organisation data only, never persons."""
    subject = entry.subject
    return {
        "title": f"{entry.title}：{subject.name}",
        "agency": {"name": subject.name, "uscc": subject.uscc},
        "measure": entry.measure or "",
        "code": entry.code,
        "entry_title": entry.title,
        "points": entry.points,
        "rule_code": entry.rule_code,
        "basis": entry.basis,
        "evidence_summary": str(entry.evidence.get("summary", "")),
        "starts_at": timezone.localtime(entry.effective_at).date().isoformat(),
        "ends_at": timezone.localtime(entry.expires_at).date().isoformat() if entry.expires_at else "",
        "how_to_object": HOW_TO_OBJECT,
        "ledger_hash": entry.hash,
        **extra,
    }


def _publish_entry(entry: LedgerEntry, kind: str) -> None:
    policy = policy_at(entry.effective_at)
    notice_request(
        kind=kind,
        source_key=entry_notice_key(entry),
        payload=_notice_payload(entry),
        moderated=policy.moderate_measure_notices and kind in ("suspension", "expulsion"),
    )


# --- membership mirrors the measures in force -------------------------------------------------------


def membership_sync(agency: Agency, *, actor=None, at: datetime.datetime | None = None) -> Membership | None:
    """Bring the membership state in line with the measures in force in the ledger."""
    membership = current_membership(agency)
    if membership is None or not membership.is_admitted:
        return membership
    at = at or timezone.now()
    facts = gate.facts_load(subject_for_agency(agency), at)
    suspensions = [m for m in facts.measures if m.kind == MeasureKind.SUSPEND]
    restricted = any(m.kind == MeasureKind.RESTRICT for m in facts.measures)
    State = Membership.State
    # Re-fetch rather than refresh_from_db(): FSMModelMixin toggles the field's ``protected`` flag
    # for the whole process while refreshing, which breaks transitions running in other threads.
    if suspensions:
        ends = [m.ends_at for m in suspensions if m.ends_at is not None]
        until = max(ends) if len(ends) == len(suspensions) else None  # None: one is open-ended
        if membership.state != State.SUSPENDED or membership.suspended_until != until:
            transition_run(obj=membership, name="suspend", actor=None, params={"until": until}, at=at)
            membership = Membership.objects.get(pk=membership.pk)
    if (
        restricted
        and membership.state == State.ACTIVE
        or restricted
        and membership.state == State.SUSPENDED
        and membership.resume_state != State.RESTRICTED
    ):
        transition_run(obj=membership, name="restrict", actor=None, at=at)
    elif (
        not restricted
        and membership.state == State.RESTRICTED
        or not restricted
        and membership.state == State.SUSPENDED
        and membership.resume_state == State.RESTRICTED
    ):
        transition_run(obj=membership, name="unrestrict", actor=None, at=at)
    membership = Membership.objects.get(pk=membership.pk)
    if not suspensions and membership.state == State.SUSPENDED:
        transition_run(obj=membership, name="reinstate", actor=None, at=at)
        membership = Membership.objects.get(pk=membership.pk)
    return membership


def _expel(agency: Agency, entry: LedgerEntry, *, actor=None, at: datetime.datetime) -> None:
    membership = current_membership(agency)
    if membership is not None:
        transition_run(
            obj=membership,
            name="expel",
            actor=None,
            params={"at": at, "barred_until": entry.expires_at},
            at=at,
            note=f"{entry.rule_code} {entry.title}",
        )
    from .procurement_hooks import agency_open_signups_withdraw

    agency_open_signups_withdraw(agency, actor=None, reason=entry.title)


@transaction.atomic
def measures_apply(
    *,
    subject: CreditSubject,
    orders: Iterable[MeasureOrder],
    actor=None,
    source: str = Source.RULE,
    evidence: dict | None = None,
    at: datetime.datetime | None = None,
) -> list[LedgerEntry]:
    """Write the ordered measures to the ledger, move the membership, and ask for the notices."""
    at = at or timezone.now()
    entries: list[LedgerEntry] = []
    agency = subject.agency
    for order in orders:
        if order.kind == "lift":
            target = LedgerEntry.objects.select_related("subject").get(pk=order.lifts_entry)
            entries.append(
                entry_neutralise(entry=target, reason=LedgerEntry.Reason.LIFTED, rule_code=order.rule_code, at=at)
            )
            continue
        if order.kind == MeasureKind.REVOKE:
            continue  # revocation belongs to the engagement that asked for it
        ends_at = order.ends_at or (after_months(at, order.months) if order.months else None)
        entry = measure_record(
            subject=subject,
            kind=order.kind,
            starts_at=at,
            ends_at=ends_at,
            rule_code=order.rule_code,
            basis=order.basis,
            source=source,
            actor=actor,
            evidence=evidence,
        )
        entries.append(entry)
        if order.kind in NOTICE_FOR_MEASURE:
            _publish_entry(entry, NOTICE_FOR_MEASURE[order.kind])
        if order.kind == MeasureKind.EXPEL and agency is not None:
            _expel(agency, entry, actor=actor, at=at)
    if agency is not None:
        membership_sync(agency, actor=actor, at=at)
    return entries


def escalate(
    *, subject: CreditSubject, transition: str, context: dict[str, Any], actor=None, at: datetime.datetime | None = None
) -> Decision:
    """Ask the gate what the policy does after a new entry, and carry it out (recorded if it acts)."""
    at = at or timezone.now()
    decision = gate.evaluate(subject, transition, at, context)
    if decision.measures:
        decision_record(decision=decision, target=f"credit_rules.creditsubject:{subject.pk}", actor=actor)
        # The measure names the entry that triggered it, so it falls with that entry if it is overturned.
        trigger = context.get("new_entry")
        evidence = {"trigger_entry": trigger} if trigger else None
        measures_apply(subject=subject, orders=decision.measures, actor=None, at=at, evidence=evidence)
    return decision


@transaction.atomic
def credit_event_record(
    *,
    subject: CreditSubject,
    code: str,
    source: str,
    actor=None,
    evidence: dict | None = None,
    basis: str = "",
    rule_code: str = "",
    publish: str | None = None,
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Record a catalogue event, publish it if asked, then let the policy escalate by itself."""
    # Take the subject's chain lock before reading the clock: an append that waited for a concurrent
    # one must stamp (and escalate at) a later moment, or two simultaneous warnings escalate to nothing.
    CreditSubject.objects.select_for_update().filter(pk=subject.pk).values_list("pk", flat=True).get()
    at = at or timezone.now()
    entry = event_record(
        subject=subject,
        code=code,
        source=source,
        actor=actor,
        evidence=evidence,
        basis=basis,
        rule_code=rule_code,
        at=at,
    )
    if publish:
        _publish_entry(entry, publish)
    if subject.kind == CreditSubject.Kind.AGENCY:
        item = policy_at(at).entry(code)
        escalate(
            subject=subject,
            transition="ledger.recorded",
            context={
                "new_entry": entry.pk,
                "new_code": code,
                "new_title": item.name,
                "new_is_warning": item.is_warning,
                "new_is_quality_complaint": item.is_quality_complaint,
                "new_expels": item.expels,
            },
            actor=actor,
            at=at,
        )
    return entry


def warning_issue(
    *, agency: Agency, actor, facts: str, evidence_summary: str, evidence_file: str = "", idempotency_key: str = ""
) -> LedgerEntry:
    """A supervisor's credit warning (信用警告): published, costs points, may escalate."""
    evidence = {"summary": evidence_summary, "facts": facts, "file": evidence_file}
    if idempotency_key:
        # Kept with the entry so a re-sent form can be recognised and not recorded twice.
        evidence["idempotency_key"] = idempotency_key
    return credit_event_record(
        subject=subject_for_agency(agency),
        code="CREDIT_WARNING",
        source=Source.SUPERVISOR,
        actor=actor,
        evidence=evidence,
        publish="warning",
    )


# --- credit cases (due process for discretionary measures) -----------------------------------------


@transaction.atomic
def case_propose(
    *,
    agency: Agency,
    actor,
    facts: str,
    measure: str = "",
    months: int | None = None,
    ground_code: str = "",
    evidence=None,
) -> CreditCase:
    """A supervisor proposes a measure (or a grave finding) against an agency."""
    if not measure and not ground_code:
        raise ValidationError(_("请选择拟采取的措施或失信事项。"))
    if measure == MeasureKind.SUSPEND and not (months and 1 <= months <= 3):
        raise ValidationError(_("暂停期限为 1–3 个月。"))
    case = CreditCase.objects.create(
        agency=agency,
        subject=subject_for_agency(agency),
        measure=measure,
        months=months,
        ground_code=ground_code,
        facts=facts,
        evidence=evidence or "",
        proposed_by=actor,
    )
    return case


def case_notify(*, case: CreditCase, actor) -> TransitionResult:
    """Tell the agency; it may respond within the policy's days."""
    now = timezone.now()
    due = now + datetime.timedelta(days=policy_at(now).case_response_days)
    return transition_run(obj=case, name="notify", actor=actor, params={"at": now, "response_due": due})


@transaction.atomic
def case_respond(*, case: CreditCase, actor, response: str) -> CreditCase:
    """The agency states its case (陈述申辩) before the due date."""
    case = CreditCase.objects.select_for_update().get(pk=case.pk)
    if not actor.has_perm("marketplace.act_for_agency", case.agency):
        raise PermissionError(_("您无权代表该机构陈述申辩。"))
    if case.state != CreditCase.State.NOTIFIED:
        raise ValidationError(_("该案件当前不接受陈述申辩。"))
    if case.response_due and timezone.now() > case.response_due:
        raise ValidationError(
            _("陈述申辩期限已过（截止 %(due)s）。")
            % {"due": timezone.localtime(case.response_due).strftime("%Y-%m-%d %H:%M")}
        )
    CreditCase.objects.filter(pk=case.pk).update(agency_response=response, responded_at=timezone.now())
    row_reload(case)
    return case


def case_hearing_pending(case: CreditCase, now: datetime.datetime) -> str | None:
    """Due process: why a measure cannot be applied yet (the agency may still be heard), or None.

    A notified agency is heard before a measure is applied: the supervisor decides once its
    statement (陈述申辩) is in or the response period has run out. Dismissing is always possible.
    """
    if (
        case.state == CreditCase.State.NOTIFIED
        and not case.responded_at
        and case.response_due
        and now < case.response_due
    ):
        return _("陈述申辩期至 %(due)s，机构尚未陈述申辩；期满或收到申辩意见后方可作出实施决定。") % {
            "due": timezone.localtime(case.response_due).strftime("%Y-%m-%d %H:%M")
        }
    return None


@transaction.atomic
def case_decide(*, case: CreditCase, actor, apply: bool, note: str) -> TransitionResult:
    """Apply the measure or dismiss the case; two supervisors at once give exactly one effect.

    Applying while the agency may still respond is refused (``ValidationError``), whoever calls.
    """
    now = timezone.now()
    if apply:
        # Read under the lock, so a statement committed a moment ago counts.
        pending = case_hearing_pending(CreditCase.objects.select_for_update().get(pk=case.pk), now)
        if pending:
            raise ValidationError(pending)
    if not apply:
        return transition_run(obj=case, name="dismiss", actor=actor, params={"at": now, "user": actor, "note": note})

    def effects(locked: CreditCase, _decision) -> None:
        subject = locked.subject
        evidence = {"summary": locked.facts[:300], "case": locked.pk}
        entries: list[LedgerEntry] = []
        if locked.ground_code:
            entries.append(
                credit_event_record(
                    subject=subject, code=locked.ground_code, source=Source.SUPERVISOR, actor=actor, evidence=evidence
                )
            )
        if locked.measure:
            p = policy_at(now)
            months = locked.months or (p.reentry_bar_months if locked.measure == MeasureKind.EXPEL else None)
            entries += measures_apply(
                subject=subject,
                orders=[MeasureOrder("CR-SUP-001", locked.measure, months=months)],
                actor=actor,
                source=Source.SUPERVISOR,
                evidence=evidence,
                at=now,
            )
        measure_entry = next((e for e in entries if e.kind == LedgerEntry.Kind.MEASURE), None)
        if measure_entry:
            CreditCase.objects.filter(pk=locked.pk).update(measure_entry=measure_entry)

    return transition_run(
        obj=case, name="apply", actor=actor, params={"at": now, "user": actor, "note": note}, on_done=effects
    )


# --- objections (异议) -------------------------------------------------------------------------------


def _case_for_entry(entry: LedgerEntry) -> CreditCase | None:
    return CreditCase.objects.filter(measure_entry=entry).first()


@transaction.atomic
def objection_submit(*, entry: LedgerEntry, actor, reason: str, evidence=None) -> Objection:
    """The agency objects to an entry within the window; it is flagged disputed at once."""
    agency = entry.subject.agency
    if agency is None or not actor.has_perm("marketplace.act_for_agency", agency):
        raise PermissionError(_("您无权对该记录提出异议。"))
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE):
        raise ValidationError(_("只能对信用事件或信用措施提出异议。"))
    now = timezone.now()
    policy = policy_at(now)
    if now > entry.effective_at + datetime.timedelta(days=policy.objection_window_days):
        raise ValidationError(
            _("异议期限已过：应在记录生效后 %(days)s 日内提出。") % {"days": policy.objection_window_days}
        )
    if entry.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists():
        raise ValidationError(_("该记录已被撤销或修复，无需再提出异议。"))
    if Objection.objects.filter(entry=entry, state=Objection.State.SUBMITTED).exists():
        raise ValidationError(_("该记录已有正在处理的异议，请等待处理结果。"))
    objection = Objection.objects.create(
        agency=agency,
        entry=entry,
        reason=reason,
        evidence=evidence or "",
        submitted_by=actor,
        submitted_at=now,
        due_on=add_working_days(timezone.localdate(now), policy.objection_decide_working_days),
    )
    dispute_mark(entry=entry, opened=True, actor=actor, note=reason[:200])
    case = _case_for_entry(entry)
    if case is not None:
        transition_run(obj=case, name="object", actor=None)
    return objection


# Measures the escalation rules ordered stand only while the events they count still count.
THRESHOLD_RULES = {
    "CR-ESC-001": ("is_warning", "warnings_window_months", "warnings_to_suspend"),
    "CR-ESC-002": ("is_quality_complaint", "complaints_window_months", "complaints_to_expel"),
}
TRIGGERED_RULES = ("CR-ESC-001", "CR-ESC-002", "CR-ESC-003")


def measures_resting_on(entry: LedgerEntry, at: datetime.datetime) -> list[LedgerEntry]:
    """Measures that fall with an overturned entry: it triggered them, or without it their threshold is not met."""
    found = []
    measures = (
        LedgerEntry.objects.filter(
            subject_id=entry.subject_id,
            kind=LedgerEntry.Kind.MEASURE,
            rule_code__in=TRIGGERED_RULES,
            effective_at__gte=entry.effective_at,
        )
        .exclude(neutralised_by(at))
        .order_by("seq")
    )
    for measure in measures:
        if measure.evidence.get("trigger_entry") == entry.pk:
            found.append(measure)
            continue
        spec = THRESHOLD_RULES.get(measure.rule_code)
        if spec is None or not getattr(entry, spec[0]):
            continue
        flag, window, needed = spec
        policy = policy_at(measure.effective_at)
        # The measure was ordered at its trigger's moment: count what still supports it at that moment.
        support = (
            LedgerEntry.objects.filter(
                subject_id=entry.subject_id,
                kind=LedgerEntry.Kind.EVENT,
                effective_at__gt=measure.effective_at - policy.months(getattr(policy, window)),
                effective_at__lte=measure.effective_at,
                **{flag: True},
            )
            .exclude(neutralised_by(at))
            .count()
        )
        if support < getattr(policy, needed):
            found.append(measure)
    return found


def objection_decide(*, objection: Objection, actor, overturn: bool, note: str) -> TransitionResult:
    """Uphold the record, or overturn it with a reversal entry; the notice is withdrawn if overturned."""
    now = timezone.now()

    def effects(locked: Objection, _decision) -> None:
        entry = LedgerEntry.objects.select_related("subject__agency").get(pk=locked.entry_id)
        case = _case_for_entry(entry)
        if overturn:
            entry_neutralise(entry=entry, reason=LedgerEntry.Reason.OVERTURNED, actor=actor, note=note, at=now)
            notice_withdraw(source_key=entry_notice_key(entry), reason=_("异议成立，已撤销"))
            for measure in measures_resting_on(entry, now):
                entry_neutralise(entry=measure, reason=LedgerEntry.Reason.OVERTURNED, actor=actor, note=note, at=now)
                notice_withdraw(source_key=entry_notice_key(measure), reason=_("异议成立，已撤销"))
            if case is not None:
                transition_run(obj=case, name="overturn", actor=None)
            if entry.subject.agency is not None:
                escalate(subject=entry.subject, transition="standing.review", context={}, actor=actor, at=now)
                membership_sync(entry.subject.agency, at=now)
        else:
            dispute_mark(entry=entry, opened=False, actor=actor, note=note)
            if case is not None:
                transition_run(obj=case, name="uphold", actor=None)

    name = "overturn" if overturn else "uphold"
    return transition_run(
        obj=objection, name=name, actor=actor, params={"at": now, "user": actor, "note": note}, on_done=effects
    )


# --- credit repair (信用修复) -------------------------------------------------------------------------


def repair_problem(
    entry: LedgerEntry,
    at: datetime.datetime | None = None,
    *,
    neutralised: bool | None = None,
    open_request: bool | None = None,
) -> str | None:
    """Why an entry cannot be repaired now, or None if it can.

    List pages pass ``neutralised`` and ``open_request`` from data they already loaded, so asking
    for every row of a ledger costs no query; left None, they are looked up.
    """
    at = at or timezone.now()
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE) or (
        entry.kind == LedgerEntry.Kind.EVENT and entry.points >= 0
    ):
        return _("该记录不属于可修复的失信记录。")
    if entry.repairable_after is None:
        return _("该类记录按规定不可修复。")
    if neutralised is None:
        neutralised = entry.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists()
    if neutralised:
        return _("该记录已被撤销或修复。")
    if at < entry.repairable_after:
        return _("须在 %(date)s 之后方可申请修复（最短公示期未满）。") % {
            "date": timezone.localtime(entry.repairable_after).date().isoformat()
        }
    if open_request is None:
        open_request = RepairRequest.objects.filter(entry=entry, state=RepairRequest.State.SUBMITTED).exists()
    if open_request:
        return _("该记录已有正在审核的修复申请。")
    return None


@transaction.atomic
def repair_submit(*, entry: LedgerEntry, actor, correction: str, evidence) -> RepairRequest:
    """The agency applies for repair of an eligible entry after the minimum period, with evidence."""
    agency = entry.subject.agency
    if agency is None or not actor.has_perm("marketplace.act_for_agency", agency):
        raise PermissionError(_("您无权为该记录申请修复。"))
    problem = repair_problem(entry)
    if problem:
        raise ValidationError(problem)
    return RepairRequest.objects.create(
        agency=agency, entry=entry, correction=correction, evidence=evidence, submitted_by=actor
    )


def repair_decide(*, request: RepairRequest, actor, approve: bool, note: str) -> TransitionResult:
    """Approve (the entry stops counting, its notice is withdrawn) or refuse a repair."""
    now = timezone.now()

    def effects(locked: RepairRequest, _decision) -> None:
        if not approve:
            return
        entry = LedgerEntry.objects.select_related("subject__agency").get(pk=locked.entry_id)
        repaired = entry_neutralise(entry=entry, reason=LedgerEntry.Reason.REPAIRED, actor=actor, note=note, at=now)
        notice_withdraw(source_key=entry_notice_key(entry), reason=_("信用修复，已撤销公示"))
        notice_request(
            kind="repair",
            source_key=entry_notice_key(repaired),
            payload=_notice_payload(repaired, repaired_title=entry.title),
        )
        case = _case_for_entry(entry)
        if case is not None:
            transition_run(obj=case, name="repair", actor=None)
        if entry.subject.agency is not None:
            escalate(subject=entry.subject, transition="standing.review", context={}, actor=actor, at=now)
            membership_sync(entry.subject.agency, at=now)

    name = "approve" if approve else "reject"
    return transition_run(
        obj=request, name=name, actor=actor, params={"at": now, "user": actor, "note": note}, on_done=effects
    )


# --- periodic sweeps --------------------------------------------------------------------------------


def suspensions_expire(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Reinstate memberships whose suspension has ended; idempotent and safe with several workers."""
    now = now or timezone.now()

    def reinstate(membership: Membership) -> bool:
        after = membership_sync(membership.agency, at=now)
        return after is not None and after.state != Membership.State.SUSPENDED

    due = Membership.objects.filter(state=Membership.State.SUSPENDED, suspended_until__lte=now)
    return sweep_each(due.order_by("suspended_until", "pk").select_related("agency"), reinstate, batch)


def grade_d_restrictions_begin(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Restrict members whose grade fell to D with time, no entry causing it (an honour's points expiring).

    A new entry that lowers the grade escalates at once (CR-ESC-004 after ``ledger.recorded``); this
    review catches the fall the clock causes. Idempotent and safe with several workers.
    """
    now = now or timezone.now()

    def restrict(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        decision = escalate(subject=subject, transition="standing.review", context={}, at=now)
        membership_sync(membership.agency, at=now)
        return bool(decision.measures)

    # Cached standings were refreshed for ``now`` by the sweep's first step.
    fallen = CreditSubject.objects.filter(grade=Grade.D, is_restricted=False, agency__isnull=False)
    due = Membership.objects.filter(
        state__in=[Membership.State.ACTIVE, Membership.State.SUSPENDED], agency_id__in=fallen.values("agency_id")
    )
    return sweep_each(due.order_by("pk").select_related("agency"), restrict, batch)


def restrictions_end(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Un-restrict memberships whose restriction time ended (its period ran out, or grade D aged out).

    A suspended member due to return restricted is included: it returns active instead.
    """
    now = now or timezone.now()

    def review(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        escalate(subject=subject, transition="standing.review", context={}, at=now)
        after = membership_sync(membership.agency, at=now)
        return after is not None and Membership.State.RESTRICTED not in (after.state, after.resume_state)

    grade_d_restriction = (
        LedgerEntry.objects.filter(
            subject_id=OuterRef("pk"),
            kind=LedgerEntry.Kind.MEASURE,
            measure=MeasureKind.RESTRICT,
            rule_code="CR-ESC-004",
        )
        .filter(in_force(now))
        .exclude(neutralised_by(now))
    )
    # Cached standings were refreshed for ``now`` by the sweep's first step.
    subjects = CreditSubject.objects.filter(
        Q(is_restricted=False) | (~Q(grade=Grade.D) & Exists(grade_d_restriction)), agency__isnull=False
    )
    restricted = Q(state=Membership.State.RESTRICTED) | Q(
        state=Membership.State.SUSPENDED, resume_state=Membership.State.RESTRICTED
    )
    due = Membership.objects.filter(restricted, agency_id__in=subjects.values("agency_id"))
    return sweep_each(due.order_by("pk").select_related("agency"), review, batch)


def listings_review(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Suspend members whose listing starts and restore those whose listing ends on the dates the file gave."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    listed = ExternalListing.objects.filter(uscc=OuterRef("agency__uscc"), listed_on__lte=today).filter(
        Q(delisted_on__isnull=True) | Q(delisted_on__gt=today)
    )
    suspended_for_listing = (
        LedgerEntry.objects.filter(
            subject__agency=OuterRef("agency"),
            kind=LedgerEntry.Kind.MEASURE,
            measure=MeasureKind.SUSPEND,
            rule_code="CR-LST-001",
        )
        .filter(in_force(now))
        .exclude(neutralised_by(now))
    )

    def review(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        return bool(escalate(subject=subject, transition="listing.recorded", context={}, at=now).measures)

    # Only where the listing and the measure disagree: listed but not suspended, or suspended but no longer listed.
    out_of_step = Membership.objects.filter(state__in=Membership.ADMITTED).filter(
        (Exists(listed) & ~Exists(suspended_for_listing)) | (~Exists(listed) & Exists(suspended_for_listing))
    )
    return sweep_each(out_of_step.order_by("pk").select_related("agency"), review, batch)


def cases_expire(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Close applied cases whose measure period has run out."""
    now = now or timezone.now()
    due = CreditCase.objects.filter(
        state__in=[CreditCase.State.APPLIED, CreditCase.State.UPHELD], measure_entry__expires_at__lte=now
    )
    return sweep_each(
        due.order_by("pk"), lambda case: transition_run(obj=case, name="expire", actor=None, at=now), batch
    )


def credit_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic credit sweep: standings overtaken by time, suspensions ended, grade D restricted or recovered, listings and cases reviewed."""
    now = now or timezone.now()
    return {
        "standings": standing_refresh_due(now),
        "reinstated": suspensions_expire(now),
        "restricted": grade_d_restrictions_begin(now),
        "unrestricted": restrictions_end(now),
        "listings": listings_review(now),
        "cases_expired": cases_expire(now),
    }
