"""Periodic work of the agency lifecycle; tasks take ids or nothing, and call services."""

from __future__ import annotations

from celery import shared_task

# Imported here so a worker registers the task that sends each event's notifications.
from .services.notifications import dispatch  # noqa: F401


@shared_task
def credit_sweep() -> dict[str, int]:
    """Refresh standings overtaken by time, reinstate ended suspensions, close expired cases."""
    from .services.credit.sweeps import credit_sweep as sweep

    return sweep()


@shared_task
def deadlines_sweep() -> dict[str, int]:
    """Close sign-ups, end publicity, and act on missed contract, delivery, rating and payment dates."""
    from .services.deadlines import deadlines_sweep as sweep

    return sweep()


@shared_task
def reminders_sweep() -> dict[str, int]:
    """Remind the people concerned before every deadline that costs credit, and of records now repairable."""
    from .services.notifications.reminders import reminders_sweep as sweep

    return sweep()


@shared_task
def monthly_report() -> str:
    """On the first working day of a month, archive the previous month's operations report (once)."""
    from .services.reports import monthly_report_due

    report = monthly_report_due()
    return f"{report.month:%Y-%m}" if report else ""


@shared_task
def risk_flags_sweep() -> dict[str, int]:
    """Look for risk patterns in the records and store them as flags for supervisors (no credit effect)."""
    from .services.risk import risk_flags_scan

    return risk_flags_scan()
