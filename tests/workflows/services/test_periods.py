"""Time acceleration compresses procurement and service deadlines only; measure periods stay calendar time."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from credit_rules.models import LedgerEntry
from tests.factories import suspended_member
from workflows.models import Membership
from workflows.services.periods import after_days, after_months

START = datetime.datetime(2026, 1, 31, 9, 0, tzinfo=datetime.UTC)


def test_a_scale_compresses_a_deadline_but_never_a_measure_period(settings):
    settings.ZJCS_TIME_SCALE = 86400
    assert after_days(START, 10) == START + datetime.timedelta(seconds=10)  # ten days of a period in ten seconds
    assert after_months(START, 1) == START + relativedelta(months=1)  # 28 February: a calendar month
    assert after_months(START, 36) == datetime.datetime(2029, 1, 31, 9, 0, tzinfo=datetime.UTC)


def test_under_a_scale_no_deadline_is_shorter_than_the_floor_nor_longer_than_uncompressed(settings):
    settings.ZJCS_TIME_SCALE = 86400
    settings.ZJCS_SCALED_MIN_SECONDS = 300
    # two days compressed to two seconds would leave a person no time: the floor gives five minutes
    assert after_days(START, 2) == START + datetime.timedelta(seconds=300)
    # thirty days compress to thirty seconds, still under the floor
    assert after_days(START, 30) == START + datetime.timedelta(seconds=300)
    # a long period compresses past the floor
    assert after_days(START, 3650) == START + datetime.timedelta(seconds=3650)
    # and with no scale the floor changes nothing
    settings.ZJCS_TIME_SCALE = 1
    assert after_days(START, 2) == START + datetime.timedelta(days=2)
    # a floor longer than the period itself never lengthens it
    settings.ZJCS_TIME_SCALE = 86400
    settings.ZJCS_SCALED_MIN_SECONDS = 10 * 86400
    assert after_days(START, 2) == START + datetime.timedelta(days=2)


@pytest.mark.django_db
def test_a_month_suspension_under_a_scale_ends_a_calendar_month_after_it_began(settings):
    # given a process running with a day in a second
    settings.ZJCS_TIME_SCALE = 86400

    # when two warnings suspend an agency (its prior notice lapsing unanswered)
    agency, _user = suspended_member()

    # then the suspension runs a calendar month, on the ledger and on the membership
    measure = LedgerEntry.objects.get(subject__agency=agency, kind="measure", measure="suspend")
    assert measure.expires_at == measure.effective_at + relativedelta(months=1)
    membership = Membership.objects.get(agency=agency, state=Membership.State.SUSPENDED)
    assert membership.suspended_until > timezone.now() + datetime.timedelta(days=27)
