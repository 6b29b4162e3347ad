"""The demo clock's one write: an operator or supervisor moves the demo's time forward, and the sweeps run."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.tasks import notice_requests_resend
from marketplace.errors import ApplicationError, NotPermitted

from .. import clock
from ..models import DemoClockStep
from ..selectors.clock import deadline_next_after
from .credit.sweeps import credit_sweep
from .deadlines import deadlines_sweep

FIXED_STEPS = {
    DemoClockStep.Step.HOUR: datetime.timedelta(hours=1),
    DemoClockStep.Step.DAY: datetime.timedelta(days=1),
    DemoClockStep.Step.WEEK: datetime.timedelta(days=7),
}


@dataclass(frozen=True)
class ClockAdvanced:
    """A step taken: the row recording it, and what the sweeps did at the new time."""

    step: DemoClockStep
    deadlines: dict[str, int]
    credit: dict[str, int]
    notices_resent: int


def _span(step: str, now: datetime.datetime) -> int:
    """How many seconds ``step`` moves the clock from ``now`` (whole seconds, at least one)."""
    if step in FIXED_STEPS:
        return int(FIXED_STEPS[DemoClockStep.Step(step)].total_seconds())
    if step == DemoClockStep.Step.DEADLINE:
        due = deadline_next_after(now)
        if due is None:
            raise ApplicationError(_("没有尚未到期的期限：请选择前进一小时、一天或一周。"))
        return max(1, math.ceil((due - now).total_seconds()) + 1)  # just past it, so the sweep acts on it
    raise ApplicationError(_("请选择演示时钟前进多少时间。"))


def clock_advance(*, actor, step: str) -> ClockAdvanced:
    """Move the demo clock forward by ``step`` (an hour, a day, a week, or just past the next deadline) for
    every process, record who did it and by how much, then run the deadline sweep, the credit sweep and the
    notice re-send at the new time before returning."""
    if not clock.enabled():
        raise NotPermitted(_("演示时钟只在演示模式下可用。"))
    if not clock.can_advance(actor):
        raise NotPermitted(_("只有运营机构或监管部门可以调整演示时钟。"))
    clock.process_sync()
    with transaction.atomic():
        # IMMEDIATE transactions (SQLite) or this row lock serialise steps taken at once: each adds to the last.
        last = DemoClockStep.objects.select_for_update().order_by("-pk").first()
        offset = last.offset_seconds if last else 0
        clock.offset_apply(offset)
        now = timezone.now()
        seconds = _span(step, now)
        row = DemoClockStep.objects.create(
            actor=actor,
            step=step,
            seconds=seconds,
            offset_seconds=offset + seconds,
            demo_from=now,
            demo_to=now + datetime.timedelta(seconds=seconds),
        )
    clock.offset_apply(row.offset_seconds)
    deadlines = deadlines_sweep()
    credit = credit_sweep()
    resent = notice_requests_resend()
    return ClockAdvanced(step=row, deadlines=deadlines, credit=credit, notices_resent=resent)
