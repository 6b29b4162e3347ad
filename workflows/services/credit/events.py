"""Credit events: a catalogue entry recorded (and published if asked), then escalated by the policy; the
events the rules record as the consequence of a step; supervisors' warnings."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from credit_rules import gate
from credit_rules.gate import Decision
from credit_rules.models import CreditSubject, LedgerEntry, Source
from credit_rules.policy import policy_at
from credit_rules.services import decision_record, event_record, subject_for_agency
from marketplace.models import Agency

from ...selectors.facts import open_win_count
from .measures import escalate
from .notices import entry_publish


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
    heard: bool = False,
) -> LedgerEntry:
    """Record a catalogue event, publish it if asked, then let the policy escalate by itself.

    ``heard``: the agency was just heard on this finding (a supervisor's decided case), so the measures it
    sets off take effect without another prior notice.
    """
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
        entry_publish(entry, publish)
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
                "new_rewards": item.rewards,
                "new_points": item.points,
                "new_severity": item.severity,
                "open_wins": open_win_count(subject.agency) if subject.agency else 0,
            },
            actor=actor,
            at=at,
            heard=heard,
        )
    return entry


def decision_events_record(
    decision: Decision,
    *,
    subject: CreditSubject,
    source: str = Source.RULE,
    evidence: dict | None = None,
    actor=None,
) -> list[LedgerEntry]:
    """Write the events the rules recorded in ``decision`` (each with its rule, basis and summary), then escalate."""
    return [
        credit_event_record(
            subject=subject,
            code=event.code,
            source=source,
            actor=actor,
            evidence={"summary": event.summary, **(evidence or {})},
            basis=event.basis,
            rule_code=event.rule_code,
            at=decision.at,
        )
        for event in decision.events
    ]


def consequences_record(
    *,
    subject: CreditSubject,
    step: str,
    context: dict,
    target: str = "",
    source: str = Source.RULE,
    evidence: dict | None = None,
    actor=None,
    at: datetime.datetime | None = None,
) -> Decision:
    """Ask the rules what ``step`` (a late delivery, a missed contract, a late payment) means for the
    subject's record, keep the decision when it says something, and write the events it names.

    Measures it orders (a revocation, say) are returned in the decision for the caller to carry out.
    """
    decision = gate.evaluate(subject, step, at, context)
    if decision.events or decision.measures:
        decision_record(decision=decision, target=target, actor=actor)
    decision_events_record(decision, subject=subject, source=source, evidence=evidence, actor=actor)
    return decision


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
