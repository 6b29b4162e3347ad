"""Government integrity (政务诚信) in the buyer's life: its failures written to its own record by the rules,
and a public warning — told also to its supervising department — when their number reaches the policy's
threshold within its window.

Buyers are government units: nothing here refuses or stops a project. The sweeps and services that
notice a failure (late payment, a contract left unsigned, a result left unaccepted, a service left
unrated) call ``buyer_failure_record``.
"""

from __future__ import annotations

import datetime

from cms.services import notice_request
from credit_rules import gate
from credit_rules.buyer_record import buyer_failures_since_warning
from credit_rules.gate import Decision
from credit_rules.models import CreditSubject, LedgerEntry
from credit_rules.policy import policy_at
from credit_rules.services import decision_record, subject_for_buyer
from marketplace.models import BuyerUnit

from .events import consequences_record, decision_events_record
from .notices import entry_notice_key, entry_notice_payload

# A buyer has no objection page of its own: it writes to the operator, copying its supervising department.
BUYER_HOW_TO_OBJECT = (
    "对本记录有异议的，可自公告之日起 30 日内向平台运营机构书面提出并抄送主管部门；经核实有误的予以更正。"
)


def buyer_failure_record(
    *,
    unit: BuyerUnit,
    step: str,
    context: dict,
    target: str,
    at: datetime.datetime,
    evidence: dict | None = None,
) -> Decision:
    """Ask the rules what ``step`` means for the buyer unit's record, write what they name, then see
    whether the failures now warrant a warning."""
    subject = subject_for_buyer(unit)
    # The project a record is about is part of it: the buyer's page links each record to the project.
    evidence = {"project": context.get("project", ""), **(evidence or {})}
    decision = consequences_record(subject=subject, step=step, context=context, target=target, evidence=evidence, at=at)
    if decision.events:
        buyer_warning_review(unit, subject=subject, at=at)
    return decision


def buyer_warning_review(
    unit: BuyerUnit, *, subject: CreditSubject | None = None, at: datetime.datetime
) -> LedgerEntry | None:
    """A warning (信用警告, 政务诚信) when the failures since the last one reach the policy's number within its
    window: recorded on the unit's record and published, addressed also to its supervising department."""
    subject = subject or subject_for_buyer(unit)
    failures = buyer_failures_since_warning(subject, at)
    decision = gate.evaluate(subject, "buyer.recorded", at, {"failures": failures})
    if not decision.events:
        return None
    decision_record(decision=decision, target=f"{unit._meta.label_lower}:{unit.pk}")
    entries = decision_events_record(decision, subject=subject, evidence={"failures": failures})
    for entry in entries:
        buyer_entry_publish(entry, unit)
    return entries[0] if entries else None


def buyer_entry_publish(entry: LedgerEntry, unit: BuyerUnit) -> None:
    """The public notice of a buyer's record (a warning): organisation data only, the unit's supervising
    department named as an addressee; unless the policy does not publish the entry's class."""
    if not policy_at(entry.effective_at).periods(entry.severity).published:
        return
    department = unit.supervising_department.strip()
    notice_request(
        kind="warning",
        source_key=entry_notice_key(entry),
        payload=entry_notice_payload(
            entry,
            subject_kind="buyer",
            supervising_department=department,
            addressed_to=[unit.name, *([department] if department else [])],
            how_to_object=BUYER_HOW_TO_OBJECT,
        ),
    )
