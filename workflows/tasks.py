"""Periodic work of the agency lifecycle; tasks take ids or nothing, and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def credit_sweep() -> dict[str, int]:
    """Refresh standings overtaken by time, reinstate ended suspensions, close expired cases."""
    from .services.credit import credit_sweep as sweep

    return sweep()
