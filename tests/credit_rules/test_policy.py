"""The policy shipped as version 1: its thresholds, grade bands, catalogue (credit_rules/defaults.py), the
national classes' periods, and that it is a demonstration policy."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from credit_rules.defaults import MEASURE_CLASS, MEASURE_NEVER_REPAIRABLE
from credit_rules.models import CommitmentLetter, MeasureKind, PolicyVersion
from credit_rules.policy import policy_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

# The default catalogue (credit_rules/defaults.py), restated: code -> (points, class, is_warning, is_quality_complaint, expels, repairable)
# Classes: info (not untrustworthy information), slight 轻微, minor 一般, serious 严重 (《信用修复管理办法》).
CATALOGUE = {
    "RATING_EXCELLENT": (2, "info", False, False, False, False),
    "RATING_POOR": (-5, "slight", False, False, False, True),
    "DECLINE_WIN": (-10, "serious", False, False, False, True),
    "CONTRACT_LATE": (-5, "minor", False, False, False, True),
    "DELIVERY_LATE": (-5, "minor", False, False, False, True),
    "QUALITY_COMPLAINT": (-5, "minor", False, True, False, True),
    "CREDIT_WARNING": (-5, "minor", True, False, False, True),
    "FALSE_MATERIALS": (-40, "serious", False, False, True, False),
    "COLLUSION": (-40, "serious", False, False, True, False),
    "EXTERNAL_LISTED": (0, "info", False, False, False, False),
    "HONOUR_TAX_A": (5, "info", False, False, False, False),
    "HONOUR_RED_LIST": (5, "info", False, False, False, False),
    "BUYER_LATE_PAYMENT": (-5, "slight", False, False, False, True),
    # Government integrity (政务诚信): the buyer's other failures and the warning their number warrants.
    "BUYER_CONTRACT_LATE": (-5, "slight", False, False, False, True),
    "BUYER_ACCEPTANCE_LATE": (-5, "slight", False, False, False, True),
    "BUYER_RATING_MISSED": (-2, "slight", False, False, False, True),
    "BUYER_WARNING": (0, "minor", False, False, False, True),
    # Random inspections (双随机、一公开): what an inspection found, recorded by the inspection rule.
    "INSPECTION_RECTIFY": (-3, "slight", False, False, False, True),
    "INSPECTION_FAIL": (-10, "minor", False, False, False, True),
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
    # government integrity: 3 failures within 12 months warn; 15 days to accept, a contract deadline extended 5 days
    assert (p.buyer_failures_to_warn, p.buyer_failures_window_months) == (3, 12)
    assert (p.buyer_acceptance_days, p.buyer_contract_grace_days) == (15, 5)
    assert p.term_notice_days == 60  # the agency and the supervisor are prompted 60 days before a term ends


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
    for code, (points, severity, warning, complaint, expels, repairable) in CATALOGUE.items():
        entry = catalogue[code]
        assert (
            entry.points,
            entry.severity,
            entry.is_warning,
            entry.is_quality_complaint,
            entry.expels,
            entry.repairable,
        ) == (points, severity, warning, complaint, expels, repairable), code
        assert entry.name and entry.name_en and entry.basis, code


def test_class_periods_are_the_national_defaults():
    # 《信用修复管理办法》: 轻微 not published by default (at most 3 months), repairable once fulfilled;
    # 一般 published 3–12 months, repairable after 3; 严重 published 12–36 months, repairable after 12
    p = policy_at()
    slight, general, serious = p.periods("slight"), p.periods("minor"), p.periods("serious")
    assert (slight.published, slight.publish_max_months, slight.repair_months) == (False, 3, 0)
    assert (general.published, general.publish_min_months, general.publish_max_months) == (True, 3, 12)
    assert general.repair_months == 3
    assert (serious.published, serious.publish_min_months, serious.publish_max_months) == (True, 12, 36)
    assert serious.repair_months == 12
    assert p.periods("grave") == serious  # the retired value, still on old ledger entries, reads as 严重
    assert p.periods("info").repair_months is None and p.periods("info").publish_max_months is None


def test_repair_periods_match_design():
    # a warning after 3 months (一般), a suspension after 12 (严重), never expulsion-grade events
    catalogue = policy_at().catalogue
    p = policy_at()
    assert p.periods(catalogue["CREDIT_WARNING"].severity).repair_months == 3
    assert p.periods(MEASURE_CLASS[MeasureKind.SUSPEND]).repair_months == 12
    assert MeasureKind.EXPEL in MEASURE_NEVER_REPAIRABLE
    assert all(not e.repairable for e in catalogue.values() if e.expels)


def test_version_one_is_a_demonstration_policy_without_local_bases():
    v1 = PolicyVersion.objects.get(version=1)
    assert v1.is_demonstration is True
    assert not v1.local_bases.exists()
    assert policy_at().local == {}


def test_commitment_letter_version_one_exists():
    letter = CommitmentLetter.objects.get(version=1)
    assert "信用承诺书" in letter.title
    assert len(letter.digest) == 64
