"""The monthly operations report (运营报告): generated once per calendar month and archived.

The beat task asks every day; only on the first working day of a month (the working-day calendar,
``marketplace.calendar``) does it generate the previous month's report. Generating a month that is already
archived returns the archived row (idempotent), unless ``replace`` asks to compute it again.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.calendar import is_working_day

from ..models import MonthlyReport
from ..selectors.reports import previous_month, report_figures


def first_working_day(month: datetime.date) -> datetime.date:
    """The first working day of ``month``'s calendar month."""
    day = datetime.date(month.year, month.month, 1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def monthly_report_generate(
    month: datetime.date, *, replace: bool = False, now: datetime.datetime | None = None
) -> MonthlyReport:
    """The report of ``month`` (any day of it), computed and archived once; ``replace`` recomputes it."""
    month = datetime.date(month.year, month.month, 1)
    now = now or timezone.now()
    existing = MonthlyReport.objects.filter(month=month).first()
    if existing is not None and not replace:
        return existing
    figures = report_figures(month)
    if existing is not None:
        MonthlyReport.objects.filter(pk=existing.pk).update(figures=figures, generated_at=now)
        return MonthlyReport.objects.get(pk=existing.pk)
    try:
        with transaction.atomic():
            return MonthlyReport.objects.create(month=month, figures=figures, generated_at=now)
    except IntegrityError:  # another worker archived it a moment ago: theirs stands
        return MonthlyReport.objects.get(month=month)


def monthly_report_due(today: datetime.date | None = None) -> MonthlyReport | None:
    """On the first working day of a month, the previous month's report (generated if not yet); else None."""
    today = today or timezone.localdate()
    if today != first_working_day(today):
        return None
    return monthly_report_generate(previous_month(today))
