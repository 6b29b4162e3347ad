"""The credit gate: ``evaluate(subject, transition, at) → Decision``. Pure: it reads, never writes.

Facts are loaded in at most three queries (ledger aggregates, measures and serious events in
force, external listings); the policy comes from the per-process cache. Each rule in force for the
transition looks at the facts and may refuse, fast-track, or order a measure. A refusal is a
normal outcome, returned with the rule codes and legal basis to show the actor.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.models import Agency

from .models import CreditSubject, ExternalListing, LedgerEntry, Severity
from .policy import basis_join, policy_at
from .rules import REGISTRY, Facts, Outcome
from .rules.base import EventRow, Listing
from .standing import ActiveMeasure, in_force, neutralised_by, points_in_force, punitive_measure, withdrawn_by


@dataclass(frozen=True)
class Reason:
    """Why the gate said what it said: the rule, its outcome, its parameters."""

    rule_code: str
    outcome: str
    params: Mapping[str, Any] = field(default_factory=dict)
    local_basis: str = ""  # the policy's local basis for the rule, shown after the national one

    @property
    def rule(self):
        return REGISTRY[self.rule_code]

    @property
    def message(self) -> str:
        return self.rule.render(self.params)

    @property
    def title(self) -> str:
        return str(self.rule.title)

    @property
    def basis(self) -> str:
        return basis_join(str(self.rule.basis), self.local_basis)

    def as_json(self) -> dict[str, Any]:
        found = {"rule": self.rule_code, "outcome": self.outcome, "params": dict(self.params), "message": self.message}
        return {**found, "local_basis": self.local_basis} if self.local_basis else found


@dataclass(frozen=True)
class MeasureOrder:
    """A measure that goes with the transition: kind and period, or the lifting of one in force."""

    rule_code: str
    kind: str  # a MeasureKind, or "lift"
    months: int | None = None
    ends_at: datetime.datetime | None = None
    lifts_entry: int | None = None
    local_basis: str = ""

    @property
    def basis(self) -> str:
        return basis_join(str(REGISTRY[self.rule_code].basis), self.local_basis)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_code,
            "kind": self.kind,
            "months": self.months,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "lifts_entry": self.lifts_entry,
        }


@dataclass(frozen=True)
class EventOrder:
    """A catalogue event a rule records as the consequence of a step (a decline, a late delivery, a rating)."""

    rule_code: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    local_basis: str = ""

    @property
    def basis(self) -> str:
        return basis_join(str(REGISTRY[self.rule_code].basis), self.local_basis)

    @property
    def summary(self) -> str:
        """The rule's message for this event, in the active language: the record's evidence summary."""
        return REGISTRY[self.rule_code].render(self.params)

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule_code, "event": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class Decision:
    """The gate's answer for one subject, transition and moment."""

    transition: str
    at: datetime.datetime
    subject_id: int | None
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    measures: tuple[MeasureOrder, ...] = ()
    events: tuple[EventOrder, ...] = ()
    fast_track: bool = False
    policy_id: int | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def refusals(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.outcome == "refuse")

    @classmethod
    def allow(cls, transition: str, at: datetime.datetime | None = None) -> Decision:
        """A decision for a transition the gate does not look at (no credit subject)."""
        return cls(transition=transition, at=at or timezone.now(), subject_id=None, allowed=True)


def facts_load(
    subject: CreditSubject | Agency, at: datetime.datetime, context: Mapping[str, Any] | None = None
) -> Facts:
    """Load the facts the rules need in at most three queries."""
    policy = policy_at(at)
    if isinstance(subject, CreditSubject):
        by_subject = Q(subject_id=subject.pk)
        subject_id: int | None = subject.pk
    else:
        by_subject = Q(subject__agency_id=subject.pk)
        subject_id = None
    uscc = subject.uscc
    months = policy.months
    warn_from = at - months(policy.warnings_window_months)
    complaint_from = at - months(policy.complaints_window_months)
    green_from = at - months(policy.green_channel_months)
    not_neutralised = ~Q(neutralised_by(at))
    event = Q(kind=LedgerEntry.Kind.EVENT, effective_at__lte=at)

    # 1: aggregates over the subject's ledger
    agg = LedgerEntry.objects.filter(by_subject).aggregate(
        points_now=Coalesce(Sum("points", filter=points_in_force(at)), Value(0), output_field=IntegerField()),
        points_green_start=Coalesce(
            Sum("points", filter=points_in_force(green_from)), Value(0), output_field=IntegerField()
        ),
        warnings=Count("pk", filter=event & Q(is_warning=True, effective_at__gt=warn_from) & not_neutralised),
        complaints=Count(
            "pk", filter=event & Q(is_quality_complaint=True, effective_at__gt=complaint_from) & not_neutralised
        ),
        negatives=Count(
            "pk",
            # events that cost points, and measures that punish, within the green-channel window
            filter=Q(effective_at__gt=green_from)
            & ((event & Q(points__lt=0) & not_neutralised) | (punitive_measure(at) & ~Q(withdrawn_by(at)))),
        ),
    )
    # 2: measures in force and serious events within the entry look-back, not neutralised
    lookback_from = at - months(policy.entry_lookback_months)
    rows = (
        LedgerEntry.objects.filter(by_subject)
        .filter(
            (Q(kind=LedgerEntry.Kind.MEASURE) & in_force(at))
            | (event & Q(severity__in=[Severity.SERIOUS, Severity.GRAVE], effective_at__gt=lookback_from))
        )
        .exclude(neutralised_by(at))
        .order_by("effective_at", "pk")
        .values_list(
            "subject_id",
            "pk",
            "kind",
            "code",
            "title",
            "severity",
            "measure",
            "effective_at",
            "expires_at",
            "rule_code",
        )
    )
    measures: list[ActiveMeasure] = []
    serious: list[EventRow] = []
    for sid, pk, kind, code, title, severity, measure, start, end, rule_code in rows:
        subject_id = subject_id or sid
        if kind == LedgerEntry.Kind.MEASURE:
            measures.append(ActiveMeasure(pk, measure, start, end, rule_code, title))
        else:
            serious.append(EventRow(pk, code, title, severity, start))
    # 3: external dishonesty listings in force
    today = timezone.localtime(at).date()
    listings = [
        Listing(source, reason, listed_on)
        for source, reason, listed_on in ExternalListing.objects.filter(uscc=uscc, listed_on__lte=today)
        .filter(Q(delisted_on__isnull=True) | Q(delisted_on__gt=today))
        .values_list("source", "reason", "listed_on")
    ]
    score = policy.base_score + agg["points_now"]
    return Facts(
        subject_id=subject_id,
        uscc=uscc,
        at=at,
        policy=policy,
        score=score,
        grade=policy.grade_for(score),
        score_green_start=policy.base_score + agg["points_green_start"],
        warnings_in_window=agg["warnings"],
        complaints_in_window=agg["complaints"],
        negatives_in_green_window=agg["negatives"],
        measures=tuple(measures),
        serious_events=tuple(serious),
        listings=tuple(listings),
        context=dict(context or {}),
    )


def _outcomes(result: Outcome | list[Outcome] | None) -> list[Outcome]:
    if result is None:
        return []
    return list(result) if isinstance(result, list | tuple) else [result]


def evaluate(
    subject: CreditSubject | Agency,
    transition: str,
    at: datetime.datetime | None = None,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Apply every rule in force that gates ``transition`` to the subject's facts at ``at``."""
    at = at or timezone.now()
    return decide(facts_load(subject, at, context), transition)


def _rules_for(transition: str) -> tuple:
    """The registered rules gating ``transition``, in code order (the registry is complete once imported)."""
    found = _RULES_FOR.get(transition)
    if found is None:
        found = _RULES_FOR[transition] = tuple(
            (code, REGISTRY[code]) for code in sorted(REGISTRY) if transition in REGISTRY[code].transitions
        )
    return found


_RULES_FOR: dict[str, tuple] = {}


def decide(facts: Facts, transition: str, *, inputs: bool = True) -> Decision:
    """Apply every rule in force that gates ``transition`` to ``facts`` (pure: no query); ``inputs``: keep
    the facts as JSON on the decision (for the record), which a preview that records nothing leaves out.

    ``evaluate`` asks it with the facts of the ledger; the policy what-if (``whatif``) with the facts a draft
    policy would give, so a preview decides by the very rules the gate runs.
    """
    at = facts.at
    reasons: list[Reason] = []
    measures: list[MeasureOrder] = []
    events: list[EventOrder] = []
    fast = False
    for code, rule in _rules_for(transition):
        if not rule.in_force(at):
            continue
        local = facts.policy.local.get(code, "")
        for outcome in _outcomes(rule.func(facts)):
            reasons.append(Reason(code, outcome.kind, dict(outcome.params), local))
            if outcome.kind == "fast_track":
                fast = True
            elif outcome.kind == "measure":
                measures.append(MeasureOrder(code, outcome.measure, outcome.months, outcome.ends_at, local_basis=local))
            elif outcome.kind == "lift":
                measures.append(MeasureOrder(code, "lift", lifts_entry=outcome.lifts_entry, local_basis=local))
            elif outcome.kind == "record":
                events.append(EventOrder(code, outcome.event, dict(outcome.params), local_basis=local))
    allowed = not any(r.outcome == "refuse" for r in reasons)
    return Decision(
        transition=transition,
        at=at,
        subject_id=facts.subject_id,
        allowed=allowed,
        reasons=tuple(reasons),
        measures=tuple(measures),
        events=tuple(events),
        fast_track=fast and allowed,
        policy_id=facts.policy.version.pk,
        inputs=facts.as_inputs() if inputs else {},
    )
