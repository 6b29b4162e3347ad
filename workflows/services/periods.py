"""Deadlines: periods from the project's settings, working days from the calendar, and time acceleration.

``ZJCS_TIME_SCALE`` compresses the procurement and service deadlines for scripted runs and end-to-end
tests (sign-up, publicity, contract, service, acceptance, rating, payment, the days to answer a notice):
with 86400 a day of such a period lasts a second. The deadline is still computed from the real calendar,
then the span from now to it is divided by the scale, so the order of events is kept; no compressed
period is shorter than ``ZJCS_SCALED_MIN_SECONDS`` of real time (five minutes unless set), so the people
of a scripted demo can still confirm, sign and answer in time.

Measure periods are never compressed: a month's suspension, an expulsion's bar and the publication
periods of credit records are calendar time under any scale (``after_months``). The demo moves through
them with the demo clock (``workflows.clock``), which moves time itself, not the periods.
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from marketplace.calendar import add_working_days


def time_scale() -> float:
    """How many times faster than real time the periods run (1 = real time)."""
    return max(1.0, float(getattr(settings, "ZJCS_TIME_SCALE", 1) or 1))


def _compress(start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    """The deadline divided by the scale, but never shorter than ``ZJCS_SCALED_MIN_SECONDS`` of real time
    (nor longer than uncompressed): under acceleration a person still has time to act before a deadline
    that costs credit, so nobody is charged for a deadline nobody could meet."""
    scale = time_scale()
    if scale == 1:
        return end
    floor = datetime.timedelta(seconds=float(getattr(settings, "ZJCS_SCALED_MIN_SECONDS", 0) or 0))
    return start + min(end - start, max((end - start) / scale, floor))


def after_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """``days`` calendar days after ``start`` (compressed by the time scale)."""
    return _compress(start, start + datetime.timedelta(days=days))


def after_months(start: datetime.datetime, months: int) -> datetime.datetime:
    """``months`` calendar months after ``start`` (a measure's period): calendar time, never compressed."""
    return start + relativedelta(months=months)


def after_working_days(start: datetime.datetime, days: int, *, close_hour: int = 17) -> datetime.datetime:
    """The end of the ``days``-th working day after ``start`` (17:00 local), compressed by the time scale."""
    local = timezone.localtime(start)
    day = add_working_days(local.date(), days)
    end = timezone.make_aware(datetime.datetime.combine(day, datetime.time(close_hour)), local.tzinfo)
    return _compress(start, end)
