"""The credit exchange's Celery tasks: the push sweep, one delivery with retries and backoff, the pull."""

from __future__ import annotations

from celery import shared_task

from .exchange import client
from .exchange.feedback import feedback_enqueue
from .exchange.outbox import deliver, entries_enqueue, pending_ids
from .exchange.pull import lists_pull

MAX_RETRIES = 6


def backoff_seconds(retries: int) -> int:
    """30 s, 1 min, 2 min … doubling, at most an hour."""
    return min(30 * 2**retries, 3600)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def exchange_deliver(self, message_pk: int) -> bool:
    """Deliver one outbox row; a failure is retried with backoff, and the next push sweep takes it up after that."""
    if deliver(message_pk):
        return True
    if self.request.retries >= MAX_RETRIES:
        return False
    countdown = backoff_seconds(self.request.retries)
    if self.request.is_eager:
        # Eager (no broker): Celery applies the returned retry at once; raising it would propagate to the caller.
        return self.retry(countdown=countdown, throw=False)
    raise self.retry(countdown=countdown)


@shared_task(bind=True)
def exchange_push(self) -> dict[str, int]:
    """Read the ledger and the listings since their cursors into the outbox, then deliver what is pending."""
    entries = len(entries_enqueue())
    feedback = feedback_enqueue()
    # The deliveries go to the queue this sweep came from (the default one, unless a caller chose another).
    queue = (self.request.delivery_info or {}).get("routing_key") or None
    sent = 0
    if client.endpoint():
        for pk in pending_ids():
            exchange_deliver.apply_async((pk,), queue=queue)
            sent += 1
    return {"entries": entries, "feedback": feedback, "sent": sent}


@shared_task
def exchange_pull() -> dict[str, str]:
    """Pull every registered list from the platform (Celery beat, hourly)."""
    return {pull.source: pull.outcome for pull in lists_pull()}
