"""Standing is derived from the ledger for any moment, and the cached copy always equals the derivation."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from credit_rules.models import CreditSubject, LedgerEntry, MeasureKind, Source
from credit_rules.services import entry_neutralise, event_record, measure_record
from credit_rules.standing import (
    MEASURE_FLAGS,
    standing_compute,
    standing_compute_many,
    standing_refresh_all,
    standing_refresh_due,
    warning_ages_out,
)
from tests.factories import credit_subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

DAY = datetime.timedelta(days=1)
TICK = datetime.timedelta(microseconds=1)
CACHED = ["score", "grade", "warning_count", "standing_valid_until", *MEASURE_FLAGS.values()]


def record(subject: CreditSubject, code: str, at: datetime.datetime) -> LedgerEntry:
    return event_record(subject=subject, code=code, source=Source.SUPERVISOR, at=at)


def cached(subject: CreditSubject) -> dict:
    return CreditSubject.objects.values(*CACHED, "standing_at").get(pk=subject.pk)


def derived(subject: CreditSubject, at: datetime.datetime) -> dict:
    s = standing_compute(subject, at)
    return {
        "score": s.score,
        "grade": s.grade,
        "warning_count": s.warning_count,
        "standing_valid_until": s.valid_until,
        **s.flags(),
    }


def assert_cache_is_derivation(subject: CreditSubject, at: datetime.datetime | None = None) -> None:
    row = cached(subject)
    at = at or row.pop("standing_at")
    row.pop("standing_at", None)
    assert row == derived(subject, at)


def test_past_standing_is_reproducible_by_hand():
    # given four events recorded at different moments over the last 400 days
    now = timezone.now()
    t0 = now - 400 * DAY
    subject = credit_subject()
    record(subject, "RATING_POOR", t0)  # -5
    record(subject, "CREDIT_WARNING", t0 + 100 * DAY)  # -5, a warning
    record(subject, "RATING_EXCELLENT", t0 + 200 * DAY)  # +2
    record(subject, "HONOUR_TAX_A", t0 + 300 * DAY)  # +5
    moments = {
        "before anything": (t0 - TICK, 100, "A", 0),
        "first event": (t0, 95, "A", 0),
        "after the warning": (t0 + 150 * DAY, 90, "A", 1),
        "after the good rating": (t0 + 250 * DAY, 92, "A", 1),
        "now": (now, 97, "A", 1),
    }
    first = {name: standing_compute(subject, at) for name, (at, *_) in moments.items()}
    # then each past moment has the score worked out by hand
    for name, (_, score, grade, warnings) in moments.items():
        assert (first[name].score, first[name].grade, first[name].warning_count) == (score, grade, warnings), name
    # and later appends never change what the past was
    record(subject, "DECLINE_WIN", now + TICK)
    record(subject, "CREDIT_WARNING", now + 2 * TICK)
    for name, (at, *_) in moments.items():
        again = standing_compute(subject, at)
        assert (again.score, again.grade, again.warning_count, again.measures) == (
            first[name].score,
            first[name].grade,
            first[name].warning_count,
            first[name].measures,
        ), name
    assert standing_compute(subject, now + DAY).score == 97 - 10 - 5


def test_grade_bands_follow_the_policy():
    # given an agency that falls through the bands one penalty at a time (90 A, 75 B, 60 C)
    subject = credit_subject()
    start = timezone.now() - 30 * DAY
    grades = []
    for i in range(9):
        record(subject, "RATING_POOR", start + i * DAY)
        grades.append(
            (standing_compute(subject, start + i * DAY).score, standing_compute(subject, start + i * DAY).grade)
        )
    assert grades == [
        (95, "A"),
        (90, "A"),
        (85, "B"),
        (80, "B"),
        (75, "B"),
        (70, "C"),
        (65, "C"),
        (60, "C"),
        (55, "D"),
    ]


def test_events_expire_after_the_window():
    # given a poor rating recorded 25 months ago (the default window is 24 months)
    now = timezone.now()
    subject = credit_subject()
    old = record(subject, "RATING_POOR", now - relativedelta(months=25))
    assert old.expires_at == old.effective_at + relativedelta(months=24)
    # then it counted until the instant it expired, and not from then on
    assert standing_compute(subject, old.expires_at - TICK).score == 95
    assert standing_compute(subject, old.expires_at).score == 100
    assert standing_compute(subject, now).score == 100


def test_neutralisation_restores_points_from_its_effective_time_only():
    # given a poor rating three months ago, overturned now
    subject = credit_subject()
    poor = record(subject, "RATING_POOR", timezone.now() - 90 * DAY)
    fix = entry_neutralise(entry=poor, reason=LedgerEntry.Reason.OVERTURNED, note="异议成立")
    # then before the correction the penalty stands, from it the points are back
    assert standing_compute(subject, fix.effective_at - TICK).score == 95
    assert standing_compute(subject, fix.effective_at).score == 100
    assert standing_compute(subject, poor.effective_at + DAY).score == 95
    # and the correction expires with the penalty, so the sum stays right after both age out
    assert fix.expires_at == poor.expires_at
    assert standing_compute(subject, poor.expires_at + DAY).score == 100


def test_an_overturned_warning_stops_counting_as_a_warning():
    subject = credit_subject()
    now = timezone.now()
    warning = record(subject, "CREDIT_WARNING", now - 20 * DAY)
    record(subject, "CREDIT_WARNING", now - 10 * DAY)
    assert standing_compute(subject).warning_count == 2
    fix = entry_neutralise(entry=warning, reason=LedgerEntry.Reason.OVERTURNED)
    assert standing_compute(subject, fix.effective_at - TICK).warning_count == 2
    assert standing_compute(subject, fix.effective_at).warning_count == 1


def test_measures_are_in_force_from_start_to_end_and_until_lifted():
    # given a one-month suspension that began ten days ago and an open-ended restriction
    now = timezone.now()
    subject = credit_subject()
    suspension = measure_record(
        subject=subject,
        kind=MeasureKind.SUSPEND,
        starts_at=now - 10 * DAY,
        ends_at=now + 20 * DAY,
        rule_code="CR-ESC-001",
        basis="",
    )
    restriction = measure_record(subject=subject, kind=MeasureKind.RESTRICT, rule_code="CR-ESC-004", basis="")
    # then the suspension is in force within its period only
    assert not standing_compute(subject, suspension.effective_at - TICK).has(MeasureKind.SUSPEND)
    assert standing_compute(subject, now).has(MeasureKind.SUSPEND)
    assert not standing_compute(subject, suspension.expires_at).has(MeasureKind.SUSPEND)
    in_force = standing_compute(subject, now + DAY)
    assert [(m.entry_id, m.kind) for m in in_force.measures] == [
        (suspension.pk, MeasureKind.SUSPEND),
        (restriction.pk, MeasureKind.RESTRICT),
    ]
    assert in_force.flags() == {"is_rewarded": False, "is_restricted": True, "is_suspended": True, "is_expelled": False}
    # when the restriction is lifted, it stops from the lifting on and not before
    lifted = entry_neutralise(entry=restriction, reason=LedgerEntry.Reason.LIFTED)
    assert standing_compute(subject, lifted.effective_at - TICK).has(MeasureKind.RESTRICT)
    assert not standing_compute(subject, lifted.effective_at).has(MeasureKind.RESTRICT)
    assert not standing_compute(subject, now + 400 * DAY).measures


def test_cache_equals_the_derivation_after_every_append():
    # given a subject receiving every kind of entry
    now = timezone.now()
    subject = credit_subject()
    assert_cache_is_derivation(subject, now)
    steps = [
        lambda: record(subject, "RATING_EXCELLENT", now - 300 * DAY),
        lambda: record(subject, "CREDIT_WARNING", now - 30 * DAY),
        lambda: record(subject, "QUALITY_COMPLAINT", now - 5 * DAY),
        lambda: measure_record(
            subject=subject,
            kind=MeasureKind.SUSPEND,
            starts_at=now - DAY,
            ends_at=now + 30 * DAY,
            rule_code="CR-ESC-001",
            basis="",
        ),
        lambda: entry_neutralise(entry=subject.ledger.get(seq=3), reason=LedgerEntry.Reason.OVERTURNED),
        lambda: measure_record(subject=subject, kind=MeasureKind.REWARD, rule_code="CR-ONB-005", basis=""),
    ]
    # then after each append the cached standing equals the ledger's at the time it was written
    for step in steps:
        entry = step()
        assert_cache_is_derivation(subject)
        assert CreditSubject.objects.get(pk=subject.pk).head_seq == entry.seq
    row = cached(subject)
    assert (row["score"], row["warning_count"], row["is_suspended"], row["is_rewarded"]) == (100 + 2 - 5, 1, True, True)


def test_refresh_due_moves_the_cache_past_expiries():
    # given a suspension ending in 5 days, a poor rating expiring in 10 days and a warning that leaves
    # the 12-month warning window in 15 days (its points count for 24 months)
    now = timezone.now()
    subject = credit_subject()
    measure_record(
        subject=subject,
        kind=MeasureKind.SUSPEND,
        starts_at=now - 25 * DAY,
        ends_at=now + 5 * DAY,
        rule_code="CR-ESC-001",
        basis="",
    )
    poor = record(subject, "RATING_POOR", now + 10 * DAY - relativedelta(months=24))
    warning = record(subject, "CREDIT_WARNING", now + 15 * DAY - relativedelta(months=12))
    other = credit_subject()
    record(other, "RATING_EXCELLENT", now - DAY)
    row = cached(subject)
    assert (row["score"], row["is_suspended"], row["warning_count"]) == (90, True, 1)
    assert row["standing_valid_until"] == now + 5 * DAY
    # when the periodic refresh runs at moments past each of them
    expected = [
        (now + 6 * DAY, {"score": 90, "is_suspended": False, "warning_count": 1}, poor.expires_at),
        (now + 11 * DAY, {"score": 95, "is_suspended": False, "warning_count": 1}, None),
        (now + 16 * DAY, {"score": 95, "is_suspended": False, "warning_count": 0}, warning.expires_at),
    ]
    expected[1] = (expected[1][0], expected[1][1], warning_ages_out(warning.effective_at, 12))
    for moment, values, valid_until in expected:
        assert standing_refresh_due(moment) == 1, "only the subject whose standing changed is refreshed"
        # then the cache equals the derivation at that moment and knows its next change
        assert_cache_is_derivation(subject, moment)
        row = cached(subject)
        assert {k: row[k] for k in values} == values
        assert row["standing_valid_until"] == valid_until
        assert row["standing_at"] == moment
        assert standing_refresh_due(moment) == 0, "nothing is due twice"
    assert_cache_is_derivation(other)


@pytest.mark.parametrize(
    ("effective", "months", "ages_out"),
    [
        (
            datetime.datetime(2025, 3, 10, 8, 30, tzinfo=datetime.UTC),
            12,
            datetime.datetime(2026, 3, 10, 8, 30, tzinfo=datetime.UTC),
        ),
        (
            datetime.datetime(2024, 2, 29, 8, 30, tzinfo=datetime.UTC),
            12,
            datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC),
        ),
        (
            datetime.datetime(2025, 1, 31, 23, 0, tzinfo=datetime.UTC),
            1,
            datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC),
        ),
        (
            datetime.datetime(2025, 12, 31, 1, 0, tzinfo=datetime.UTC),
            2,
            datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
        ),
        (
            datetime.datetime(2025, 11, 30, 1, 0, tzinfo=datetime.UTC),
            1,
            datetime.datetime(2025, 12, 30, 1, 0, tzinfo=datetime.UTC),
        ),
    ],
)
def test_warning_leaves_the_window_at_the_first_moment_it_no_longer_counts(effective, months, ages_out):
    # counted while effective > at - months (the gate's rule); ages_out is the first moment that fails
    assert warning_ages_out(effective, months) == ages_out
    assert not effective > ages_out - relativedelta(months=months)
    assert effective > (ages_out - TICK) - relativedelta(months=months)


def varied_subjects(now: datetime.datetime) -> list[CreditSubject]:
    """Subjects with nothing, events, expired events, warnings, measures, lifted and overturned entries."""
    quiet, rated, troubled, corrected = (credit_subject() for _ in range(4))
    record(rated, "RATING_EXCELLENT", now - 100 * DAY)
    record(rated, "RATING_POOR", now - relativedelta(months=30))
    for days in (200, 40, 3):
        record(troubled, "CREDIT_WARNING", now - days * DAY)
    record(troubled, "FALSE_MATERIALS", now - 2 * DAY)
    measure_record(
        subject=troubled,
        kind=MeasureKind.EXPEL,
        starts_at=now - 2 * DAY,
        ends_at=now + relativedelta(months=36),
        rule_code="CR-ESC-003",
        basis="",
    )
    poor = record(corrected, "DECLINE_WIN", now - 50 * DAY)
    restriction = measure_record(subject=corrected, kind=MeasureKind.RESTRICT, rule_code="CR-ESC-004", basis="")
    entry_neutralise(entry=poor, reason=LedgerEntry.Reason.REPAIRED)
    entry_neutralise(entry=restriction, reason=LedgerEntry.Reason.LIFTED)
    return [quiet, rated, troubled, corrected]


def test_refresh_all_equals_the_per_subject_derivation():
    # given subjects of every shape whose cached standing was clobbered
    now = timezone.now()
    subjects = varied_subjects(now)
    CreditSubject.objects.update(score=0, grade="D", warning_count=9, is_expelled=True, standing_valid_until=None)
    # when every subject is refreshed, now and at a later moment when much has expired
    for at in (now + TICK, now + relativedelta(months=26)):
        written = standing_refresh_all(at)
        # then each cached row equals standing_compute for that subject at that moment
        for subject in subjects:
            assert_cache_is_derivation(subject, at)
        assert written >= 1
        # and a second pass finds nothing to rewrite
        assert standing_refresh_all(at) == 0
    assert CreditSubject.objects.get(pk=subjects[2].pk).is_expelled


def test_refresh_all_leaves_a_subject_alone_if_it_gained_an_entry_meanwhile(monkeypatch):
    # given two stale subjects, one of which gets a new entry while refresh_all is computing
    from credit_rules import standing

    busy, idle = credit_subject(), credit_subject()
    CreditSubject.objects.update(score=0, grade="D")
    compute = standing._compute

    def compute_while_someone_appends(subject_ids, *args, **kwargs):
        result = compute(subject_ids, *args, **kwargs)
        if subject_ids is None:  # refresh_all's pass, not the append's own refresh
            record(busy, "RATING_POOR", timezone.now())  # a concurrent append, which refreshes its subject itself
        return result

    monkeypatch.setattr(standing, "_compute", compute_while_someone_appends)
    # when every subject is refreshed
    written = standing_refresh_all()
    # then the stale result is not written over the newer one: the append's own refresh stands
    assert written == 1
    assert cached(busy)["score"] == 95
    assert_cache_is_derivation(busy)
    assert cached(idle)["score"] == 100


def test_compute_many_for_everyone_equals_one_at_a_time():
    now = timezone.now()
    subjects = varied_subjects(now)
    for at in (now - 60 * DAY, now + TICK, now + relativedelta(months=25)):
        everyone = standing_compute_many(None, at)
        assert set(everyone) == set(CreditSubject.objects.values_list("pk", flat=True))
        for subject in subjects:
            assert everyone[subject.pk] == standing_compute(subject, at)
        chosen = standing_compute_many([s.pk for s in subjects[1:3]], at)
        assert chosen == {s.pk: everyone[s.pk] for s in subjects[1:3]}
