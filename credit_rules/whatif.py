"""The policy what-if (试算): a draft policy version replayed over the real ledger at a chosen moment.

For every agency it answers, under the policy in force and under the draft: the score and grade, the measures
the credit sweep's review would start or end (``standing.review``: the grade D restriction and its end, a
listing's suspension ending), whether each starts at once or is told first (``told_first``, the caller's
prior-notice test), and whether the agency would be refused at entry (``membership.submit``) or at sign-up
(``signup.submit``). Nothing is decided here: the facts are built set-based and handed to ``gate.decide``,
the same function the gate runs, so the registered rules decide and nothing re-implements them.

Set-based (``whatif_ledger``): one aggregate of the points in force per subject (the very query a raw SQL baseline
runs: points are recorded on the entries, so no policy changes them), one query for the rows whose meaning depends on
others (measures, serious events, neutralisations; warnings and complaints only when the versions' windows differ),
one for the external listings; the agencies with their names in one more. Grades are bands applied here.

Decided once per class of facts: the rules are pure functions of the facts, and the review, entry and sign-up decide
by the grade, the measures' kinds, rule codes and order of their ends, whether a serious event or a listing counts,
and the context — never by the score, the counts, entry ids, dates, titles or sources, which only fill messages a
``Side`` does not carry. So one agency of each class is decided and the others take its side with their own score;
under the same rules, an agency whose facts come out alike under both versions is not asked at all.
tests/credit_rules/test_whatif_groups.py proves it: on random facts (a rule deciding by a fact left out of the class
fails it) and on a varied ledger, against ``grouped=False``, which decides every agency on its own facts.

What the preview leaves out, and says so: the reward the sweep grants for sustained grade A needs
each agency's record at the start of the green-channel window, so no ``member_since`` is given to the rules and
they grant none; catalogue points and windows apply to entries recorded after publication (the ledger keeps
what each entry was recorded with), so they change no standing here.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from .gate import MeasureOrder, decide
from .models import CreditSubject, Grade, MeasureKind, PolicyVersion
from .policy import Policy, policy_at
from .rules.base import Facts
from .standing import ActiveMeasure, _rows
from .whatif_ledger import Ledger, count_since, ledger_load

GRADES = (Grade.A, Grade.B, Grade.C, Grade.D)
REVIEW, ENTRY, SIGNUP = "standing.review", "membership.submit", "signup.submit"
# The memberships the credit sweep reviews (active, restricted, suspended): only they get the review's measures.
REVIEWED_STATES = ("active", "restricted", "suspended")
# What the caller may tell the rules about an agency's place in the market (``workflows.selectors``).
CONTEXT_KEYS = ("member_state", "open_engagements")

ToldFirst = Callable[[MeasureOrder, Policy], bool]


def policy_of(version: PolicyVersion) -> Policy:
    """A policy version (a draft too) as the rules read it: with its catalogue and local bases."""
    return Policy(
        version,
        {c.code: c for c in version.catalogue.all()},
        {b.code: b.text for b in version.local_bases.all()},
    )


# What a policy makes of a subject's ledger: score, grade, warnings and complaints in window, serious events.
Shape = tuple[int, str, int, int, tuple]


@dataclass(frozen=True, slots=True)
class Side:
    """One agency under one policy, after the review: what the gate would then say."""

    score: int
    grade: str
    measures: tuple[str, ...]  # the kinds in force after the review (sorted)
    starts: tuple[tuple[str, str], ...] = ()  # (rule, kind) starting at once
    notices: tuple[tuple[str, str], ...] = ()  # (rule, kind) told to the agency first (失信告知)
    ends: tuple[tuple[str, str], ...] = ()  # (rule, kind) lifted
    refused_entry: tuple[str, ...] = ()  # rule codes refusing membership.submit
    refused_signup: tuple[str, ...] = ()  # rule codes refusing signup.submit


@dataclass(frozen=True, slots=True)
class Row:
    """An agency the draft changes something for: its side under the policy in force and under the draft."""

    subject_id: int
    agency_id: int | None
    before: Side
    after: Side
    uscc: str = ""
    name: str = ""

    @property
    def grade_changed(self) -> bool:
        return self.before.grade != self.after.grade

    @property
    def starts(self) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in self.after.starts if s not in self.before.starts)

    @property
    def notices(self) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in self.after.notices if s not in self.before.notices)

    @property
    def ends(self) -> tuple[tuple[str, str], ...]:
        return tuple(s for s in self.after.ends if s not in self.before.ends)

    @property
    def newly_refused_entry(self) -> tuple[str, ...]:
        return self.after.refused_entry if not self.before.refused_entry else ()

    @property
    def newly_refused_signup(self) -> tuple[str, ...]:
        return self.after.refused_signup if not self.before.refused_signup else ()


@dataclass
class WhatIf:
    """The what-if's answer: counts, the grade transition matrix and the agencies that change."""

    at: datetime.datetime
    current: Policy
    draft: Policy
    subjects: int
    matrix: dict[tuple[str, str], int]
    rows: list[Row] = field(default_factory=list)

    def count(self, what: str) -> int:
        """How many agencies ``grade_changed``, ``starts``, ``notices``, ``ends``, ``newly_refused_entry`` or
        ``newly_refused_signup``."""
        return sum(1 for row in self.rows if getattr(row, what))

    def counts(self) -> dict[str, int]:
        names = ("grade_changed", "starts", "notices", "ends", "newly_refused_entry", "newly_refused_signup")
        return {name: self.count(name) for name in names}

    def matrix_rows(self) -> list[tuple[str, list[int]]]:
        """The matrix as table rows: old grade, then the count for each new grade."""
        return [(old, [self.matrix.get((old, new), 0) for new in GRADES]) for old in GRADES]


class _Judge:
    """One policy's side of an agency, decided by the registered rules on the agency's facts."""

    def __init__(self, policy: Policy, at: datetime.datetime, told_first: ToldFirst):
        self.policy, self.at, self.told_first = policy, at, told_first
        self.warn_from = at - policy.months(policy.warnings_window_months)
        self.complaint_from = at - policy.months(policy.complaints_window_months)
        self.lookback_from = at - policy.months(policy.entry_lookback_months)
        self.windows = (self.warn_from, self.complaint_from, self.lookback_from)
        self.memo: dict[tuple, Side] = {}
        self.grades: dict[int, str] = {}

    def shape(self, sid: int, points: int, ledger: Ledger) -> Shape:
        """What this policy makes of the subject's ledger: score, grade, warnings, complaints, serious events."""
        score = self.policy.base_score + points
        grade = self.grades.get(score)
        if grade is None:
            grade = self.grades[score] = self.policy.grade_for(score)
        serious = ledger.serious.get(sid)
        return (
            score,
            grade,
            count_since(ledger.warnings.get(sid), self.warn_from),
            count_since(ledger.complaints.get(sid), self.complaint_from),
            tuple(e for e in serious if e.effective_at > self.lookback_from) if serious else (),
        )

    def side(self, sid: int, shape: Shape, ledger: Ledger, context: tuple) -> Side:
        """The agency decided on its own facts (the reference the grouped path is tested against)."""
        return self._decide(sid, *shape, tuple(ledger.measures.get(sid, ())), ledger.listings.get(sid, ()), context)

    def side_grouped(self, sid: int, shape: Shape, ledger: Ledger, context: tuple) -> Side:
        """The side of the first agency met with the same class of facts, with this agency's score: the class is
        what the rules the what-if asks read to decide — the grade, whether a serious event or a listing counts,
        the measures' signature (``whatif_ledger.measure_signature``), the context. The score, the counts in a
        window, entry ids, dates, titles and sources only fill messages, which a side does not carry
        (tests/credit_rules/test_whatif_groups.py fails if a rule ever decides by one of them)."""
        score, grade, _warnings, _complaints, serious = shape
        listings = ledger.listings.get(sid, ())
        key = (grade, bool(serious), ledger.signatures.get(sid), bool(listings), context)
        found = self.memo.get(key)
        if found is None:
            measures = tuple(ledger.measures.get(sid, ()))
            found = self.memo[key] = self._decide(sid, *shape, measures, listings, context)
        if found.score == score:
            return found
        f = found
        return Side(score, f.grade, f.measures, f.starts, f.notices, f.ends, f.refused_entry, f.refused_signup)

    def _decide(self, sid, score, grade, warnings, complaints, serious, measures, listings, context) -> Side:
        ctx = dict(context)
        facts = Facts(
            subject_id=sid,
            uscc="",
            at=self.at,
            policy=self.policy,
            score=score,
            grade=grade,
            # Not loaded (see the module's note on rewards): with no member_since the reward rules grant nothing.
            score_green_start=score,
            warnings_in_window=warnings,
            complaints_in_window=complaints,
            negatives_in_green_window=0,
            measures=measures,
            serious_events=serious,
            listings=listings,
            context={},
        )
        starts: list = []
        notices: list = []
        ends: list = []
        after = list(measures)
        if ctx.get("member_state") in REVIEWED_STATES:
            for order in decide(facts, REVIEW, inputs=False).measures:
                if order.kind == "lift":
                    lifted = [m for m in after if m.entry_id == order.lifts_entry]
                    after = [m for m in after if m.entry_id != order.lifts_entry]
                    ends.extend((order.rule_code, m.kind) for m in lifted)
                elif self.told_first(order, self.policy):
                    notices.append((order.rule_code, order.kind))
                else:
                    starts.append((order.rule_code, order.kind))
                    if order.kind != MeasureKind.REVOKE:
                        after.append(ActiveMeasure(0, order.kind, self.at, order.ends_at, order.rule_code, ""))
        reviewed = replace(facts, measures=tuple(after))
        entry = decide(reviewed, ENTRY, inputs=False)
        signup = decide(replace(reviewed, context=ctx), SIGNUP, inputs=False)
        return Side(
            score=score,
            grade=grade,
            measures=tuple(sorted({m.kind for m in after})),
            starts=tuple(starts),
            notices=tuple(notices),
            ends=tuple(ends),
            refused_entry=tuple(r.rule_code for r in entry.refusals),
            refused_signup=tuple(r.rule_code for r in signup.refusals),
        )


def whatif_run(
    draft: PolicyVersion,
    *,
    at: datetime.datetime | None = None,
    told_first: ToldFirst,
    contexts: Mapping[int, Mapping[str, Any]] | None = None,
    grouped: bool = True,
) -> WhatIf:
    """Replay ``draft`` over the whole ledger at ``at`` beside the policy in force then.

    ``contexts`` maps an agency's id to what the market knows of it (``member_state``, ``open_engagements``);
    ``told_first(order, policy)`` says whether a measure the review orders is told to the agency before it
    takes effect. Every agency's subject is counted in the matrix; only those with a change are listed.
    ``grouped=False`` decides every agency on its own facts under both versions: the reference the grouped
    path (one decision per class of facts, agencies the draft cannot change skipped) is tested against.
    """
    at = at or timezone.now()
    current, proposed = policy_at(at), policy_of(draft)
    contexts = contexts or {}
    subjects = _rows(
        CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY)
        .order_by()
        .values_list("pk", "agency_id", "uscc", "name")
    )
    by_uscc = {uscc: sid for sid, _agency, uscc, _name in subjects}
    before, after = _Judge(current, at, told_first), _Judge(proposed, at, told_first)
    # Windows alike: an agency's counts are the same under both versions, and no rule the what-if asks decides by
    # them (tests/credit_rules/test_whatif_groups.py), so the grouped path needs no warnings or complaints.
    alike = grouped and before.windows == after.windows
    ledger = ledger_load(at, (current, proposed), by_uscc, counts=not alike)
    judge = (_judge_alike if alike else _judge_grouped) if grouped else _judge_each
    with timezone.override(timezone.get_current_timezone()):  # rules' dates read it; once set it is cheap
        matrix, changed = judge(subjects, ledger, contexts, before, after, _differ_only_in_facts(current, proposed))
    changed.sort(key=lambda r: r.uscc)
    return WhatIf(at, current, proposed, len(subjects), dict(matrix), changed)


def _context(ctx: Mapping[str, Any] | None) -> tuple:
    return tuple((k, ctx[k]) for k in CONTEXT_KEYS if k in ctx) if ctx else ()


def _judge_each(subjects, ledger: Ledger, contexts, before: _Judge, after: _Judge, same_rules: bool):
    """Every agency decided on its own facts, under both versions."""
    matrix: Counter[tuple[str, str]] = Counter()
    changed: list[Row] = []
    for sid, agency_id, uscc, name in subjects:
        points = ledger.points.get(sid, 0)
        context = _context(contexts.get(agency_id) if agency_id is not None else None)
        old = before.side(sid, before.shape(sid, points, ledger), ledger, context)
        new = after.side(sid, after.shape(sid, points, ledger), ledger, context)
        matrix[(old.grade, new.grade)] += 1
        if _differs(old, new):
            changed.append(Row(sid, agency_id, old, new, uscc, name))
    return matrix, changed


_ABSENT = object()


def _judge_grouped(subjects, ledger: Ledger, contexts, before: _Judge, after: _Judge, same_rules: bool):
    """One decision per class of facts; an agency with nothing of note on its record (no measure, warning,
    complaint, serious event or listing) is classed by its points and context alone, looked up in one dict."""
    matrix: Counter[tuple[str, str]] = Counter()
    changed: list[Row] = []
    notable = ledger.notable()
    points_of = ledger.points
    no_context: dict[str, Any] = {}
    plain: dict[tuple, tuple] = {}
    for sid, agency_id, uscc, name in subjects:
        points = points_of.get(sid, 0)
        ctx = (contexts.get(agency_id) if agency_id is not None else None) or no_context
        found: tuple | None
        if sid in notable:
            found = _pair(sid, points, ledger, _context(ctx), before, after, same_rules)
        else:
            key = (points, ctx.get("member_state", _ABSENT), ctx.get("open_engagements", _ABSENT))
            found = plain.get(key)
            if found is None:
                found = plain[key] = _pair(sid, points, ledger, _context(ctx), before, after, same_rules)
        grades, old, new = found
        matrix[grades] += 1
        if old is not None:
            changed.append(Row(sid, agency_id, old, new, uscc, name))
    return matrix, changed


def _judge_alike(subjects, ledger: Ledger, contexts, before: _Judge, after: _Judge, same_rules: bool):
    """The grouped path when both versions count over the same windows: an agency's facts then differ between
    them in the score and grade only, so under the same rules one whose score and grade agree is skipped, and the
    others are classed by points, measures' signature, serious event and listing present or not, and context."""
    matrix: Counter[tuple[str, str]] = Counter()
    changed: list[Row] = []
    points_of, signatures, serious, listings = ledger.points, ledger.signatures, ledger.serious, ledger.listings
    no_context: dict[str, Any] = {}
    by_points: dict[int, tuple] = {}
    classes: dict[tuple, tuple] = {}
    for sid, agency_id, uscc, name in subjects:
        points = points_of.get(sid, 0)
        grades = by_points.get(points)
        if grades is None:
            grades = by_points[points] = _grades(points, before, after, same_rules)
        if grades[1]:
            matrix[grades[0]] += 1  # the same facts before the same rules: nothing changes
            continue
        ctx = (contexts.get(agency_id) if agency_id is not None else None) or no_context
        key = (points, signatures.get(sid), sid in serious, sid in listings, ctx.get("member_state", _ABSENT), ctx.get("open_engagements", _ABSENT))  # fmt: skip
        found = classes.get(key)
        if found is None:
            found = classes[key] = _pair(sid, points, ledger, _context(ctx), before, after, same_rules)
        grade_pair, old, new = found
        matrix[grade_pair] += 1
        if old is not None:
            changed.append(Row(sid, agency_id, old, new, uscc, name))
    return matrix, changed


def _grades(points: int, before: _Judge, after: _Judge, same_rules: bool) -> tuple:
    """(old grade, new grade), and whether the score and grade agree under the same rules."""
    old, new = before.policy.base_score + points, after.policy.base_score + points
    grades = (before.policy.grade_for(old), after.policy.grade_for(new))
    return grades, same_rules and old == new and grades[0] == grades[1]


def _pair(sid, points, ledger: Ledger, context: tuple, before: _Judge, after: _Judge, same_rules: bool) -> tuple:
    """(old grade, new grade), and both sides where anything but the score differs (else None, None)."""
    shape_old, shape_new = before.shape(sid, points, ledger), after.shape(sid, points, ledger)
    if same_rules and shape_old == shape_new:
        return (shape_old[1], shape_new[1]), None, None  # the same facts before the same rules: nothing changes
    old = before.side_grouped(sid, shape_old, ledger, context)
    new = after.side_grouped(sid, shape_new, ledger, context)
    return ((old.grade, new.grade), old, new) if _differs(old, new) else ((old.grade, new.grade), None, None)


# The policy's fields that reach the rules through the facts (the score, the grade, the counts in a window, the
# serious events in the look-back), and those that are no part of what the rules read (who drafted it, when).
FACT_FIELDS = frozenset(
    ("base_score", "grade_a_min", "grade_b_min", "grade_c_min", "warnings_window_months", "complaints_window_months")
    + ("entry_lookback_months",)
)
NOT_READ = frozenset(("id", "version", "effective_from", "published_at", "note", "created_by", "created_at"))


def _differ_only_in_facts(a: Policy, b: Policy) -> bool:
    """Whether the two versions agree on everything the rules may read but the facts (and the catalogue's codes).

    Then an agency whose facts come out the same under both meets the same rules with the same facts, and is
    decided the same: the what-if asks the rules only for the others. Otherwise every agency is asked.
    (Catalogue entries are read by the rules only as ``recorded`` consequences of a step, which the review,
    entry and sign-up are not; their codes are compared all the same.)
    """
    names = [f.attname for f in PolicyVersion._meta.concrete_fields if f.name not in FACT_FIELDS | NOT_READ]
    return (
        all(getattr(a.version, n) == getattr(b.version, n) for n in names)
        and a.local == b.local
        and set(a.catalogue) == set(b.catalogue)
    )


def _differs(old: Side, new: Side) -> bool:
    """Anything but the score differs (a base score moved alone changes no grade, measure or refusal)."""
    return (old.grade, old.measures, old.starts, old.notices, old.ends, old.refused_entry, old.refused_signup) != (
        new.grade,
        new.measures,
        new.starts,
        new.notices,
        new.ends,
        new.refused_entry,
        new.refused_signup,
    )
