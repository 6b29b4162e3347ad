"""The demo clock: an operator or supervisor moves the demo time forward for every process; the sweeps run
before the step returns; the step is recorded; time never moves back; nothing of it outside demo mode."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from marketplace.errors import NotPermitted
from tests.factories import agencies, operator_user, published_project, signups_submit, supervisor_user
from tests.helpers import refetch
from workflows import clock, tasks
from workflows.models import DemoClockStep, Project
from workflows.services.clock import clock_advance

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SATURDAY_MORNING = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def demo_mode(settings):
    """Demo mode on; the process back at real time afterwards (a live demo never goes back)."""
    settings.ZJCS_DEMO = True
    yield
    clock.process_reset()


def test_a_week_forward_closes_the_sign_up_and_draws_before_the_step_returns(demo_mode):
    # given an open draw project with three sign-ups, published on a Saturday: its deadline (the fifth working
    # day's close, 17:00) falls within the week (published on a weekday morning, it is that weekday a week on)
    with time_machine.travel(SATURDAY_MORNING, tick=True):
        _a_week_forward_closes_the_sign_up()


def _a_week_forward_closes_the_sign_up():
    supervisor = supervisor_user()
    pool = agencies(3, supervisor=supervisor)
    project = published_project("draw")
    signups_submit(project, pool)
    operator = operator_user()
    before = timezone.now()
    assert project.signup_deadline > before + DAY

    # when the operator moves the demo clock a week forward
    done = clock_advance(actor=operator, step="week")

    # then the demo time is a week on in this process, the step is recorded with who took it and how far
    assert timezone.now() - before >= datetime.timedelta(days=7)
    step = DemoClockStep.objects.get()
    assert (step.actor, step.step, step.seconds, step.offset_seconds) == (operator, "week", 7 * 86400, 7 * 86400)
    assert step.demo_to - step.demo_from == datetime.timedelta(days=7)
    # and the deadline sweep ran at the new time: the sign-up closed and the draw picked a winner
    assert done.deadlines["signup_closed"] == 1
    assert refetch(project).state == Project.State.AWARDED
    assert project.signups.filter(state="selected").count() == 1


def test_to_the_next_deadline_lands_just_past_it(demo_mode):
    # given an open project whose sign-up deadline is the only date ahead
    pool = agencies(3)
    project = published_project("draw")
    signups_submit(project, pool)

    # when a supervisor moves the clock to the next deadline
    clock_advance(actor=supervisor_user(), step="deadline")

    # then the demo time is just past the sign-up deadline and the sweep acted on it
    now = timezone.now()
    assert project.signup_deadline < now < project.signup_deadline + datetime.timedelta(minutes=1)
    assert refetch(project).state == Project.State.AWARDED


def test_steps_add_up_and_time_never_moves_back(demo_mode):
    operator = operator_user()
    clock_advance(actor=operator, step="hour")
    clock_advance(actor=operator, step="day")
    assert DemoClockStep.objects.order_by("-pk").first().offset_seconds == 3600 + 86400
    assert clock.offset_applied() == 3600 + 86400
    # an older offset (read by a process in a race) never takes the clock back
    clock.offset_apply(3600)
    assert clock.offset_applied() == 3600 + 86400


def test_another_process_step_reaches_a_task_before_it_runs(demo_mode):
    # given a step another process took: the stored offset is a day, this process still at real time
    DemoClockStep.objects.create(
        actor=operator_user(),
        step="day",
        seconds=86400,
        offset_seconds=86400,
        demo_from=timezone.now(),
        demo_to=timezone.now() + DAY,
    )
    before = timezone.now()
    assert clock.offset_applied() == 0

    # when the worker runs a task (Celery's task_prerun brings it to the demo time first)
    tasks.credit_sweep.delay()

    # then the worker runs a day ahead
    assert clock.offset_applied() == 86400
    assert timezone.now() - before >= DAY


def test_only_operators_and_supervisors_move_the_clock(demo_mode):
    (agency, clerk) = agencies(1)[0]
    with pytest.raises(NotPermitted):
        clock_advance(actor=clerk, step="day")
    assert not DemoClockStep.objects.exists()


def test_there_is_no_demo_clock_outside_demo_mode(settings):
    settings.ZJCS_DEMO = False
    with pytest.raises(NotPermitted):
        clock_advance(actor=operator_user(), step="day")
    assert not DemoClockStep.objects.exists()
    assert clock.process_sync() == 0
