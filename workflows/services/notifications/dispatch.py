"""Events reach the notification service through a Celery task scheduled when the causing transaction commits.

A service that causes an event calls ``event_notify_on_commit(event, pk)`` (one line, inside its
transaction): nothing is sent for a step that rolls back, and a failing channel never undoes the step.
"""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from .events import EVENTS


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notification_event_send(event: str, pk: int) -> int:
    """Tell the people concerned of one event; returns how many new messages it made."""
    return len(EVENTS[event](pk))


def event_notify_on_commit(event: str, pk: int) -> None:
    """After the current transaction commits, send the notification of ``event`` about row ``pk``."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    transaction.on_commit(partial(notification_event_send.delay, event, pk), robust=True)
