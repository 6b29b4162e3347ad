"""The policy shipped as version 1: its thresholds, grade bands, catalogue (credit_rules/defaults.py) and repair periods."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from credit_rules.models import CommitmentLetter, MeasureKind, PolicyVersion
from credit_rules.policy import policy_at
from credit_rules.services import MEASURE_REPAIR_MONTHS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

# The default catalogue (credit_rules/defaults.py), restated: code -> (points, severity, is_warning, is_quality_complaint, expels, repairable after months)
CATALOGUE = {
    "RATING_EXCELLENT": (2, "info", False, False, False, None),
    "RATING_POOR": (-5, "minor", False, False, False, 3),
    "DECLINE_WIN": (-10, "serious", False, False, False, 12),
    "CONTRACT_LATE": (-5, "minor", False, False, False, 3),
    "DELIVERY_LATE": (-5, "minor", False, False, False, 3),
    "QUALITY_COMPLAINT": (-5, "minor", False, True, False, 3),
    "CREDIT_WARNING": (-5, "minor", True, False, False, 3),
    "FALSE_MATERIALS": (-40, "grave", False, False, True, None),
    "COLLUSION": (-40, "grave", False, False, True, None),
    "EXTERNAL_LISTED": (0, "info", False, False, False, None),
    "HONOUR_TAX_A": (5, "info", False, False, False, None),
    "HONOUR_RED_LIST": (5, "info", False, False, False, None),
    "BUYER_LATE_PAYMENT": (-5, "minor", False, False, False, 3),
}


def test_version_one_is_published_and_in_force():
    v1 = PolicyVersion.objects.get(version=1)
    assert v1.is_published
    assert v1.effective_from <= timezone.now()
    assert policy_at(timezone.now()).version.pk == v1.pk
    assert policy_at(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)).version.pk == v1.pk
    with pytest.raises(LookupError):
        policy_at(datetime.datetime(2019, 12, 31, tzinfo=datetime.UTC))


def test_thresholds_match_design():
    p = policy_at()
    assert p.base_score == 100
    assert (p.grade_a_min, p.grade_b_min, p.grade_c_min) == (90, 75, 60)
    assert p.event_window_months == 24
    assert p.entry_lookback_months == 36  # serious event within 36 months refuses entry
    assert (p.warnings_to_suspend, p.warnings_window_months, p.suspend_months_first) == (2, 12, 1)
    assert p.suspend_months_repeat == 3  # suspension while suspended
    assert (p.complaints_to_expel, p.complaints_window_months) == (3, 12)
    assert p.reentry_bar_months == 36  # three years
    assert p.restrict_on_grade_d is True
    assert p.objection_decide_working_days == 10
    assert p.green_channel_months == 12


@pytest.mark.parametrize(
    ("score", "grade"),
    [(130, "A"), (100, "A"), (90, "A"), (89, "B"), (75, "B"), (74, "C"), (60, "C"), (59, "D"), (-20, "D")],
)
def test_grade_bands_match_design(score, grade):
    # A ≥ 90, B 75–89, C 60–74, D < 60
    assert policy_at().grade_for(score) == grade


def test_catalogue_matches_design():
    catalogue = policy_at().catalogue
    assert set(catalogue) == set(CATALOGUE)
    for code, (points, severity, warning, complaint, expels, repair) in CATALOGUE.items():
        entry = catalogue[code]
        assert (
            entry.points,
            entry.severity,
            entry.is_warning,
            entry.is_quality_complaint,
            entry.expels,
            entry.repairable_after_months,
        ) == (points, severity, warning, complaint, expels, repair), code
        assert entry.name and entry.name_en and entry.basis, code


def test_repair_periods_match_design():
    # 3 months after a warning or a poor rating, 12 after a suspension, never for expulsion-grade events
    catalogue = policy_at().catalogue
    assert catalogue["CREDIT_WARNING"].repairable_after_months == 3
    assert catalogue["RATING_POOR"].repairable_after_months == 3
    assert MEASURE_REPAIR_MONTHS[MeasureKind.SUSPEND] == 12
    assert MeasureKind.EXPEL not in MEASURE_REPAIR_MONTHS
    assert all(e.repairable_after_months is None for e in catalogue.values() if e.expels)


def test_commitment_letter_version_one_exists():
    letter = CommitmentLetter.objects.get(version=1)
    assert "信用承诺书" in letter.title
    assert len(letter.digest) == 64
