"""Writes to credit: subjects, ledger entries (events, measures, neutralisations, dispute marks).

Every append locks the subject row, extends its hash chain and refreshes its cached standing in
the same transaction. Nothing here changes a workflow state: that is ``workflows``' job.
"""

from __future__ import annotations

import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from marketplace.models import Agency, BuyerUnit

from .defaults import MEASURE_BASIS, MEASURE_CLASS, MEASURE_NEVER_REPAIRABLE
from .models import CreditSubject, DecisionRecord, LedgerEntry, MeasureKind, Severity, Source
from .policy import basis_join, policy_at
from .standing import Standing, standing_refresh


def subject_for_agency(agency: Agency) -> CreditSubject:
    """The agency's credit subject, created on first use."""
    subject, _ = CreditSubject.objects.get_or_create(
        agency=agency, defaults={"kind": CreditSubject.Kind.AGENCY, "uscc": agency.uscc, "name": agency.name}
    )
    return subject


def subject_for_buyer(unit: BuyerUnit) -> CreditSubject:
    """The buyer unit's credit subject (government integrity, 政务诚信), created on first use."""
    subject, _ = CreditSubject.objects.get_or_create(
        buyer_unit=unit, defaults={"kind": CreditSubject.Kind.BUYER, "uscc": unit.uscc, "name": unit.name}
    )
    return subject


@transaction.atomic
def ledger_append(*, subject: CreditSubject, actor=None, **fields: Any) -> LedgerEntry:
    """Append one entry to a subject's chain (locks the subject; refreshes its cached standing)."""
    locked = CreditSubject.objects.select_for_update().get(pk=subject.pk)
    now = timezone.now()
    fields.setdefault("effective_at", now)
    entry = LedgerEntry(
        subject=locked,
        seq=locked.head_seq + 1,
        prev_hash=locked.head_hash,
        recorded_at=now,
        recorded_by=actor,
        **fields,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    CreditSubject.objects.filter(pk=locked.pk).update(head_seq=entry.seq, head_hash=entry.hash)
    standing_refresh(locked)
    subject.head_seq, subject.head_hash = entry.seq, entry.hash
    return entry


def event_record(
    *,
    subject: CreditSubject,
    code: str,
    source: str,
    actor=None,
    evidence: dict | None = None,
    basis: str = "",
    rule_code: str = "",
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Record a catalogue event with the points, class, periods and basis of the policy in force.

    The entry keeps its class and, from the policy's periods of that class, when it may be repaired
    (whether it is published as a notice is asked of its class when a notice is requested).
    """
    at = at or timezone.now()
    policy = policy_at(at)
    item = policy.entry(code)
    return ledger_append(
        subject=subject,
        actor=actor,
        kind=LedgerEntry.Kind.EVENT,
        code=code,
        title=item.name,
        points=item.points,
        severity=item.severity,
        source=source,
        rule_code=rule_code,
        basis=basis or policy.basis(item.basis, code),
        evidence=evidence or {},
        is_warning=item.is_warning,
        is_quality_complaint=item.is_quality_complaint,
        public=item.public,
        repairable_after=policy.repairable_after(item.severity, at) if item.repairable else None,
        effective_at=at,
        expires_at=at + relativedelta(months=policy.event_window_months),
        policy=policy.version,
    )


# Keyed by the measure's value: a MeasureKind member or the plain string stored on a row.
MEASURE_TITLES: dict[str, str] = {
    MeasureKind.REWARD: "绿色通道激励",
    MeasureKind.RESTRICT: "限制交易",
    MeasureKind.SUSPEND: "暂停交易资格",
    MeasureKind.EXPEL: "清退并列入黑名单",
    MeasureKind.REVOKE: "撤销中选资格",
}


def measure_record(
    *,
    subject: CreditSubject,
    kind: str,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    rule_code: str,
    basis: str,
    source: str = Source.RULE,
    actor=None,
    evidence: dict | None = None,
) -> LedgerEntry:
    """Record a measure of the ladder with its period (``ends_at`` None: until lifted).

    The entry takes the class its measure implies (``defaults.MEASURE_CLASS``) and, from the policy's
    periods of that class, when it may be repaired (never for an expulsion). Without a rule's basis
    (or with a rule the deployment gave no local basis), the measure's own local basis is added.
    """
    starts_at = starts_at or timezone.now()
    policy = policy_at(starts_at)
    code = f"MEASURE_{kind.upper()}"
    if basis and not policy.local.get(rule_code) and policy.local.get(code):
        basis = basis_join(basis, policy.local[code])
    severity = MEASURE_CLASS.get(kind, Severity.GENERAL)
    repairable = kind not in MEASURE_NEVER_REPAIRABLE
    return ledger_append(
        subject=subject,
        actor=actor,
        kind=LedgerEntry.Kind.MEASURE,
        code=code,
        title=MEASURE_TITLES[kind],
        measure=kind,
        severity=severity,
        source=source,
        rule_code=rule_code,
        basis=basis
        or basis_join(MEASURE_BASIS.get(kind, ""), policy.local.get(rule_code) or policy.local.get(code, "")),
        evidence=evidence or {},
        repairable_after=policy.repairable_after(severity, starts_at) if repairable else None,
        effective_at=starts_at,
        expires_at=ends_at,
        policy=policy.version,
    )


def entry_neutralise(
    *,
    entry: LedgerEntry,
    reason: str,
    actor=None,
    note: str = "",
    rule_code: str = "",
    at: datetime.datetime | None = None,
) -> LedgerEntry:
    """Stop an event or measure counting from ``at`` (default now): overturned, repaired or lifted. History stays."""
    # The caller's ``at`` is the moment it then re-checks standing and membership at; a neutralisation
    # stamped a few microseconds later would not yet count at that moment.
    return ledger_append(
        **({"effective_at": at} if at else {}),
        subject=entry.subject,
        actor=actor,
        kind=LedgerEntry.Kind.NEUTRALISE,
        code=f"{reason.upper()}",
        title=f"{LedgerEntry.Reason(reason).label}：{entry.title}",
        points=-entry.points,
        severity="info",
        source=Source.SUPERVISOR if actor else Source.RULE,
        reason=reason,
        refers_to=entry,
        rule_code=rule_code,
        basis=note,
        public=entry.public,
        expires_at=entry.expires_at,
    )


def dispute_mark(*, entry: LedgerEntry, opened: bool, actor=None, note: str = "") -> LedgerEntry:
    """Mark an entry disputed (objection lodged) or the dispute closed (objection decided)."""
    reason = LedgerEntry.Reason.DISPUTE_OPENED if opened else LedgerEntry.Reason.DISPUTE_CLOSED
    return ledger_append(
        subject=entry.subject,
        actor=actor,
        kind=LedgerEntry.Kind.DISPUTE,
        code=reason.upper(),
        title=f"{reason.label}：{entry.title}",
        severity="info",
        source=Source.SUPERVISOR if not opened else Source.RULE,
        reason=reason,
        refers_to=entry,
        basis=note,
        public=entry.public,
    )


def decision_record(*, decision, target: str = "", actor=None) -> DecisionRecord:
    """Keep a gate decision with its inputs (always, allowed or not)."""
    record = decision_row(decision=decision, target=target, actor=actor)
    record.save(force_insert=True)
    return record


def decision_row(*, decision, target: str = "", actor=None) -> DecisionRecord:
    """The row ``decision_record`` keeps, unsaved: the bulk paths of the demo seed write many at once."""
    return DecisionRecord(
        at=decision.at,
        subject_id=decision.subject_id,
        transition=decision.transition,
        target=target,
        allowed=decision.allowed,
        reasons=[r.as_json() for r in decision.reasons],
        measures=[m.as_json() for m in decision.measures],
        inputs=decision.inputs,
        policy_id=decision.policy_id,
        actor=actor if getattr(actor, "pk", None) else None,
    )


__all__ = [
    "Standing",
    "decision_record",
    "decision_row",
    "dispute_mark",
    "entry_neutralise",
    "event_record",
    "ledger_append",
    "measure_record",
    "subject_for_agency",
    "subject_for_buyer",
]
