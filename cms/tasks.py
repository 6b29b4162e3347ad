"""Celery tasks of the notice outbox: each takes an id, fetches, and calls a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=8)
def notice_publish(self, request_id: int) -> int | None:
    """Publish (or update the withdrawal of) one notice request; idempotent."""
    from .publishing import notice_request_publish

    return notice_request_publish(request_id)


@shared_task
def notice_requests_resend() -> int:
    """Re-send requests left pending (the broker was down when they were written)."""
    from .publishing import notice_requests_pending

    count = 0
    for pk in notice_requests_pending():
        notice_publish.delay(pk)
        count += 1
    return count
