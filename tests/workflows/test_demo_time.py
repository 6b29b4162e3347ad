"""The seeded demo under ZJCS_TIME_SCALE=86400 (a day of a procurement period in a second) keeps itself whole:
two minutes of the periodic sweeps charge nobody for a deadline nobody could meet, and measure periods stay
calendar time (a month's suspension ends a calendar month later; an expulsion's bar is still in force)."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.utils import timezone

from cms.tasks import notice_requests_resend
from credit_rules.models import LedgerEntry
from credit_rules.selectors import subject_list_for_blacklist
from workflows.models import Membership, Project
from workflows.services.credit.sweeps import credit_sweep
from workflows.services.deadlines import deadlines_sweep

pytestmark = pytest.mark.django_db

PUNITIVE = ("suspend", "expel")


def test_two_scaled_minutes_of_the_seeded_demo_charge_nobody_and_keep_calendar_measures(settings):
    # given the demo seeded by a process running with a day in a second
    settings.ZJCS_TIME_SCALE = 86400
    call_command("seed_demo", stdout=io.StringIO())
    declines = set(LedgerEntry.objects.filter(code="DECLINE_WIN").values_list("pk", flat=True))
    charged = set(LedgerEntry.objects.filter(points__lt=0).values_list("pk", flat=True))
    start = timezone.now()

    # when two minutes pass with Celery beat's sweeps running (the deadline sweep twice a minute, the credit
    # sweep every minute, the notice re-send every two)
    for second in range(0, 121, 10):
        with time_machine.travel(start + datetime.timedelta(seconds=second), tick=False):
            deadlines_sweep()
            if second % 60 == 0:
                credit_sweep()
            if second % 120 == 0:
                notice_requests_resend()
    end = start + datetime.timedelta(seconds=120)

    # then nobody was charged a declined win, nor anything else, for a deadline that ran out by itself
    assert set(LedgerEntry.objects.filter(code="DECLINE_WIN").values_list("pk", flat=True)) == declines
    assert set(LedgerEntry.objects.filter(points__lt=0).values_list("pk", flat=True)) == charged
    # and the seeded open projects are still open for sign-up, in the same field as three printed agencies
    open_projects = Project.objects.filter(state=Project.State.OPEN, name__contains="报名中")
    assert open_projects.count() == 2
    assert open_projects.filter(method="draw", signups__state="submitted").distinct().count() == 1

    # and every suspension runs a calendar month, every expulsion bars beyond the two minutes
    measures = LedgerEntry.objects.filter(kind="measure", measure__in=PUNITIVE)
    suspensions = [m for m in measures if m.measure == "suspend"]
    assert suspensions
    for m in suspensions:
        assert m.expires_at == m.effective_at + relativedelta(months=1)
    suspended = Membership.objects.filter(state=Membership.State.SUSPENDED)
    assert suspended.exists() and all(m.suspended_until > end + datetime.timedelta(days=27) for m in suspended)
    expelled = Membership.objects.get(agency__staff__user__username="agency_demo4", state=Membership.State.EXPELLED)
    assert expelled.barred_until is None or expelled.barred_until > end + datetime.timedelta(days=365)
    # so the black list still names the expelled agency
    assert expelled.agency_id in {s.agency_id for s in subject_list_for_blacklist(end)}
