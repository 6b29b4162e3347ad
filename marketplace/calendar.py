"""Working days: Monday to Friday, minus public holidays, plus make-up working days, kept as data."""

from __future__ import annotations

import datetime

from .models import CalendarDay


def _exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind"))


def is_working_day(day: datetime.date, exceptions: dict[datetime.date, str] | None = None) -> bool:
    """Whether government offices work on this day."""
    if exceptions is None:
        exceptions = _exceptions(day, day)
    kind = exceptions.get(day)
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (start itself does not count)."""
    # Long holidays (Spring Festival) can add two weeks; fetch a generous window in one query.
    exceptions = _exceptions(start, start + datetime.timedelta(days=days * 2 + 30))
    day, left = start, days
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, exceptions):
            left -= 1
    return day
