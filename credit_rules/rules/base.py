"""What a rule is: a small pure function with a stable code, the transitions it gates, an effective
period and the legal basis shown to the user; and what it may return."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext

from ..standing import ActiveMeasure

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class EventRow:
    """A serious or grave event still counting (not neutralised) within the look-back."""

    entry_id: int
    code: str
    title: str
    severity: str
    effective_at: datetime.datetime


@dataclass(frozen=True)
class Listing:
    """An external dishonesty listing in force."""

    source: str
    reason: str
    listed_on: datetime.date


@dataclass(frozen=True)
class Facts:
    """Everything the rules may look at, loaded by the gate in at most three queries."""

    subject_id: int | None
    uscc: str
    at: datetime.datetime
    policy: Any  # credit_rules.policy.Policy
    score: int
    grade: str
    score_green_start: int
    warnings_in_window: int
    complaints_in_window: int
    negatives_in_green_window: int  # events that cost points and punitive measures within the green window
    measures: tuple[ActiveMeasure, ...]
    serious_events: tuple[EventRow, ...]
    listings: tuple[Listing, ...]
    context: Mapping[str, Any] = field(default_factory=dict)

    def measure(self, kind: str) -> ActiveMeasure | None:
        """The latest-ending measure of a kind in force, if any."""
        found = [m for m in self.measures if m.kind == kind]
        if not found:
            return None
        return max(found, key=lambda m: m.ends_at or datetime.datetime.max.replace(tzinfo=datetime.UTC))

    def as_inputs(self) -> dict[str, Any]:
        """The facts as JSON, kept with the decision so it can be re-examined later."""
        return {
            "subject_id": self.subject_id,
            "uscc": self.uscc,
            "at": self.at.isoformat(),
            "policy_version": self.policy.version.version,
            "score": self.score,
            "grade": self.grade,
            "score_green_start": self.score_green_start,
            "warnings_in_window": self.warnings_in_window,
            "complaints_in_window": self.complaints_in_window,
            "negatives_in_green_window": self.negatives_in_green_window,
            "measures": [
                {"entry": m.entry_id, "kind": m.kind, "ends_at": m.ends_at.isoformat() if m.ends_at else None}
                for m in self.measures
            ],
            "serious_events": [{"entry": e.entry_id, "code": e.code} for e in self.serious_events],
            "listings": [{"source": ls.source, "listed_on": ls.listed_on.isoformat()} for ls in self.listings],
            "context": {k: _jsonable(v) for k, v in self.context.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """What one rule says: refuse, fast-track, order a measure (or lift one), or record a catalogue event."""

    kind: str  # "refuse" | "fast_track" | "measure" | "lift" | "record"
    params: Mapping[str, Any] = field(default_factory=dict)
    measure: str = ""
    months: int | None = None
    ends_at: datetime.datetime | None = None
    lifts_entry: int | None = None
    event: str = ""


def refuse(**params: Any) -> Outcome:
    return Outcome("refuse", params)


def fast_track(**params: Any) -> Outcome:
    return Outcome("fast_track", params)


def order(
    measure: str, /, *, months: int | None = None, ends_at: datetime.datetime | None = None, **params: Any
) -> Outcome:
    # ``measure`` is positional-only so a message parameter may also be called "measure" (CR-CON-001);
    # the period is also a message parameter, since messages say how long ("暂停 %(months)s 个月").
    if months is not None:
        params = {**params, "months": months}
    return Outcome("measure", params, measure=measure, months=months, ends_at=ends_at)


def lift(entry_id: int, **params: Any) -> Outcome:
    return Outcome("lift", params, lifts_entry=entry_id)


def record(event: str, /, **params: Any) -> Outcome:
    """The step writes catalogue event ``event`` to the subject's record (a consequence, never a refusal)."""
    return Outcome("record", params, event=event)


def recorded(f: Facts, event: str, /, **params: Any) -> Outcome | None:
    """``record(event)`` where the policy in force lists the item; a policy without it records nothing."""
    return record(event, **params) if event in f.policy.catalogue else None


# A rule says nothing (None), one thing, or several (e.g. refuse and order a measure: CR-CON-001).
RuleResult = Outcome | list[Outcome] | None
RuleFunc = Callable[[Facts], RuleResult]
F = TypeVar("F", bound=RuleFunc)


@dataclass(frozen=True)
class Rule:
    """A registered rule: code, title, gated transitions, effective period, basis, message."""

    code: str
    title: str | Promise
    transitions: frozenset[str]
    basis: str | Promise
    message: str | Promise
    func: RuleFunc
    effective_from: datetime.datetime = EPOCH
    effective_until: datetime.datetime | None = None

    def in_force(self, at: datetime.datetime) -> bool:
        return self.effective_from <= at and (self.effective_until is None or at < self.effective_until)

    def render(self, params: Mapping[str, Any]) -> str:
        """The message in the active language, filled with the outcome's parameters."""
        text = gettext(str(self.message)) if not isinstance(self.message, Promise) else str(self.message)
        try:
            return text % dict(params)
        except (KeyError, TypeError, ValueError):
            return text


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    code: str,
    title: str | Promise,
    transitions: set[str] | frozenset[str],
    basis: str | Promise,
    message: str | Promise,
    effective_from: datetime.datetime = EPOCH,
    effective_until: datetime.datetime | None = None,
) -> Callable[[F], F]:
    """Register a rule function under its stable code."""

    def register(func: F) -> F:
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        REGISTRY[code] = Rule(
            code=code,
            title=title,
            transitions=frozenset(transitions),
            basis=basis,
            message=message,
            func=func,
            effective_from=effective_from,
            effective_until=effective_until,
        )
        func.rule_code = code  # type: ignore[attr-defined]
        return func

    return register


def code_of(func: RuleFunc) -> str:
    """The code a rule function is registered under: how code outside the registry names a rule."""
    return str(func.__dict__["rule_code"])


def fmt_date(value: datetime.datetime | datetime.date | None) -> str:
    """Dates in messages: local calendar date, or a dash for open-ended periods."""
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).date().isoformat()
    return value.isoformat()
