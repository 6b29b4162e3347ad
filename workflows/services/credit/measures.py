"""Measures (奖 · 限 · 停 · 退) in the agency's life: written to the ledger, mirrored on the membership, escalated by policy."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from credit_rules import gate
from credit_rules.gate import Decision, MeasureOrder
from credit_rules.models import CreditSubject, LedgerEntry, MeasureKind, Source
from credit_rules.policy import policy_at
from credit_rules.rules import REGISTRY
from credit_rules.rules.reward import PUNITIVE
from credit_rules.services import (
    decision_record,
    entry_neutralise,
    measure_record,
    subject_for_agency,
)
from marketplace.models import Agency

from ...models import Membership
from ...selectors.facts import current_membership
from ..periods import after_months
from ..procurement.revocation import measure_reaches_service, wins_revoke
from ..procurement.signups import agency_open_signups_withdraw
from ..transitions import transition_run
from .notices import NOTICE_FOR_MEASURE, entry_publish
from .prior_notice import needs_notice, notice_open


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
            # A rule revokes the agency's wins for a new record: each win is its own revocation measure.
            if agency is not None:
                reason = f"{order.rule_code} {REGISTRY[order.rule_code].title}"
                wins_revoke(agency, rule_code=order.rule_code, reason=reason, at=at, in_service=True)
            continue
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
            entry_publish(entry, NOTICE_FOR_MEASURE[order.kind])
        if order.kind == MeasureKind.EXPEL and agency is not None:
            _expel(agency, entry, actor=actor, at=at)
        if agency is not None:
            measure_reaches_service(agency, entry, at)
    if agency is not None:
        membership_sync(agency, actor=actor, at=at)
    punished = [e for e in entries if e.kind == LedgerEntry.Kind.MEASURE and e.measure in PUNITIVE]
    if punished and CreditSubject.objects.filter(pk=subject.pk, is_rewarded=True).exists():
        # A punitive measure is a negative entry: the rules end the reward it finds in force.
        escalate(
            subject=subject,
            transition="ledger.recorded",
            context={"new_entry": punished[-1].pk, "new_measure": punished[-1].measure},
            at=at,
        )
    return entries


def escalate(
    *,
    subject: CreditSubject,
    transition: str,
    context: dict[str, Any],
    actor=None,
    at: datetime.datetime | None = None,
    heard: bool = False,
) -> Decision:
    """Ask the gate what the policy does after a new entry (or on review), and carry it out (recorded if it acts).

    A punitive measure is first told to the agency (``prior_notice``) unless the policy lets its rule act at
    once, or the agency was just ``heard`` on the finding that set it off (a supervisor's decided case).
    """
    at = at or timezone.now()
    decision = gate.evaluate(subject, transition, at, context)
    if decision.measures:
        decision_record(decision=decision, target=f"credit_rules.creditsubject:{subject.pk}", actor=actor)
        # The measure names the entry that triggered it, so it falls with that entry if it is overturned.
        trigger = context.get("new_entry")
        evidence = {"trigger_entry": trigger} if trigger else None
        policy = policy_at(at)
        now: list[MeasureOrder] = []
        for order in decision.measures:
            if not heard and subject.agency_id is not None and needs_notice(order, policy):
                notice_open(subject=subject, order=order, decision=decision, policy=policy, trigger=trigger, at=at)
            else:
                now.append(order)
        if now:
            measures_apply(subject=subject, orders=now, actor=None, at=at, evidence=evidence)
    return decision
