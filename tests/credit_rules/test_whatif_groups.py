"""The what-if's fast path decides once per class of facts: proven equal to deciding every agency on its own.

Two proofs: (1) on random facts (hypothesis), two agencies in the same class — the same grade, measures of the
same signature, serious events and listings present or not alike, the same context — but with different scores,
counts, entry ids, dates, titles and sources get the same side from the registered rules (this fails the day a
rule of the review, entry or sign-up decides by one of the facts left out of the class); (2) on a varied seeded
ledger, ``whatif_run`` gives the same matrix and rows grouped as per agency, for drafts of every kind.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_rules.models import Grade, MeasureKind, PolicyVersion
from credit_rules.policy import Policy, policy_at, policy_draft_from
from credit_rules.rules.base import EventRow, Listing
from credit_rules.standing import ActiveMeasure
from credit_rules.whatif import _Judge, whatif_run
from credit_rules.whatif_ledger import measure_signature
from tests.factories import AgencyFactory, record_event
from tests.factories.credit import apply_measure, warn
from tests.factories.people import supervisor_user
from workflows.services.credit.prior_notice import needs_notice

AT = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
KINDS = (MeasureKind.RESTRICT, MeasureKind.SUSPEND, MeasureKind.EXPEL, MeasureKind.REWARD)
RULES = ("CR-ESC-001", "CR-ESC-004", "CR-LST-001", "CR-RWD-001", "")
STATES = ("active", "restricted", "suspended", "lapsed", "applied", None)

measure_shapes = st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(RULES), st.integers(0, 3)), max_size=4)
contexts = st.tuples(st.sampled_from(STATES), st.integers(0, 3))


def _measures(shapes, draw) -> tuple[ActiveMeasure, ...]:
    """Measures of the given (kind, rule, end rank) with fresh ids, starts, titles and end dates (rank 3: open)."""
    steps = sorted(draw(st.lists(st.integers(1, 900), min_size=3, max_size=3, unique=True)))
    ends = [AT + datetime.timedelta(days=d) for d in steps] + [None]
    ids = draw(st.lists(st.integers(1, 10**6), min_size=len(shapes), max_size=len(shapes), unique=True))
    return tuple(
        ActiveMeasure(i, kind, AT - datetime.timedelta(days=draw(st.integers(0, 900))), ends[r], rule, draw(st.text()))
        for i, (kind, rule, r) in zip(ids, shapes, strict=True)
    )


def _side(policy, grade, shapes, serious, listed, context, draw):
    """A side from random facts of the class, with everything outside the class drawn afresh."""
    measures = _measures(shapes, draw)
    events = tuple(
        EventRow(draw(st.integers(1, 10**6)), "FALSE_MATERIALS", draw(st.text()), "serious", AT)
        for _ in range(draw(st.integers(1, 3)) if serious else 0)
    )
    listings = tuple(
        Listing(draw(st.text(min_size=1)), draw(st.text()), datetime.date(2025, 1, draw(st.integers(1, 28))))
        for _ in range(draw(st.integers(1, 3)) if listed else 0)
    )
    state, open_engagements = context
    ctx = (("member_state", state), ("open_engagements", open_engagements)) if state else ()
    score, warnings, complaints = draw(st.integers(0, 130)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    judge = _Judge(policy, AT, needs_notice)
    side = judge._decide(draw(st.integers(1, 10**6)), score, grade, warnings, complaints, events, measures, listings, ctx)  # fmt: skip
    return measure_signature(measures), side


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from((Grade.A, Grade.B, Grade.C, Grade.D)),
    measure_shapes,
    st.booleans(),
    st.booleans(),
    contexts,
    st.booleans(),
    st.sampled_from(({}, {"CR-ESC-004": "依据"})),
    st.data(),
)
def test_agencies_of_one_class_are_decided_alike(grade, shapes, serious, listed, context, restrict, immediate, data):
    policy = Policy(PolicyVersion(restrict_on_grade_d=restrict, immediate_measures=immediate), {}, {})
    with timezone.override("Asia/Shanghai"):
        sig_a, a = _side(policy, grade, shapes, serious, listed, context, data.draw)
        sig_b, b = _side(policy, grade, shapes, serious, listed, context, data.draw)
    assert sig_a == sig_b  # the same class
    assert (a.grade, a.measures, a.starts, a.notices, a.ends, a.refused_entry, a.refused_signup) == (
        b.grade,
        b.measures,
        b.starts,
        b.notices,
        b.ends,
        b.refused_entry,
        b.refused_signup,
    )


# --- a varied seeded ledger -------------------------------------------------------------------------------


def _seeded_ledger(seed: int, n: int = 24) -> dict[int, dict]:
    """``n`` agencies with different scores, measures (kinds, rules, periods), warnings, serious events and
    listings' stand-ins, all through the credit services; their market contexts drawn from the seed."""
    rng = random.Random(seed)
    supervisor = supervisor_user()
    contexts: dict[int, dict] = {}
    for i in range(n):
        agency = AgencyFactory()
        for _ in range(rng.choice((0, 0, 1, 2, 4, 6, 9))):
            record_event(agency, "RATING_POOR")
        if rng.random() < 0.2:
            record_event(agency, "RATING_EXCELLENT")
        if rng.random() < 0.35:
            kind = rng.choice(KINDS)
            rule = rng.choice(("CR-ESC-001", "CR-ESC-004", "CR-RWD-001"))
            apply_measure(agency, kind, months=rng.choice((None, 3, 6)), rule=rule)
        if rng.random() < 0.15:
            warn(agency, supervisor)
        if rng.random() < 0.1:
            record_event(agency, "FALSE_MATERIALS")
        if i % 7:
            state = rng.choice(("active", "restricted", "suspended", "lapsed", "applied"))
            contexts[agency.pk] = {"member_state": state, "open_engagements": rng.choice((0, 0, 1, 2))}
    return contexts


def _draft(**fields) -> PolicyVersion:
    version = policy_draft_from(base=policy_at().version, note="试算")
    for name, value in fields.items():
        setattr(version, name, value)
    version.save()
    return version


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_policy_cache")
def test_grouped_what_if_equals_the_per_agency_one_on_a_varied_ledger():
    market = _seeded_ledger(20261206)
    drafts = [
        _draft(grade_a_min=98, grade_b_min=90, grade_c_min=85),  # raises every band
        _draft(grade_a_min=80, grade_b_min=60, grade_c_min=40),  # lowers them
        _draft(restrict_on_grade_d=False, grade_c_min=75),  # other rules' settings too: every agency asked
        _draft(entry_lookback_months=1, warnings_window_months=1),  # windows
        _draft(immediate_measures={}),
        _draft(),
    ]
    at = timezone.now()
    seen_changes = 0
    for version in drafts:
        fast = whatif_run(version, at=at, told_first=needs_notice, contexts=market)
        each = whatif_run(version, at=at, told_first=needs_notice, contexts=market, grouped=False)
        assert fast.subjects == each.subjects
        assert fast.matrix == each.matrix, version.note
        assert fast.rows == each.rows
        seen_changes += len(fast.rows)
    assert seen_changes > 10  # the drafts did change things: the comparison was not between two empty answers
