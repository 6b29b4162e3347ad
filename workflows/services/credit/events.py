"""Credit events: a catalogue entry recorded (and published if asked), then escalated by the policy; supervisors' warnings."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from credit_rules.models import CreditSubject, LedgerEntry, Source
from credit_rules.policy import policy_at
from credit_rules.services import (
    event_record,
    subject_for_agency,
)
from marketplace.models import Agency

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
