"""Periodic work of the agency lifecycle; tasks take ids or nothing, and call services."""

from __future__ import annotations

from celery import shared_task


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
