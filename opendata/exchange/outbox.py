"""The push side: the ledger read since a cursor into outbox rows, and one delivery attempt of a row.

Enqueueing is a sweep over the ledger (never a signal): each measure entry, warning, and neutralisation of
either becomes one outbox row whose message id is the entry's hash, inserted with ``ignore_conflicts`` so a
second sweep, or two at once, adds nothing. The cursor is the last ledger entry the sweep need not read
again; it stops short of entries younger than ``SETTLE_SECONDS``, because on PostgreSQL an entry with a lower
id may still be committing (those young entries are enqueued now and read once more next time).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from credit_rules.models import CreditSubject, LedgerEntry
from opendata.exchange_models import DeliveryAttempt, ExchangeCursor, OutboxMessage

from . import client
from .format import entry_message

PUSH_CURSOR = "push"
BATCH = 500
SETTLE_SECONDS = 60
DELIVERED_STATUSES = {200, 201, 202, 204, 409}  # 409: the platform already holds this message id


def cursor_lock(name: str) -> ExchangeCursor:
    """The named cursor, locked for this transaction (created at 0 the first time)."""
    ExchangeCursor.objects.get_or_create(name=name)
    return ExchangeCursor.objects.select_for_update().get(name=name)


def exportable() -> Q:
    """The ledger entries the platform is told of: measures, warnings, and the end of either."""
    return Q(subject__kind=CreditSubject.Kind.AGENCY) & (
        Q(kind=LedgerEntry.Kind.MEASURE)
        | Q(kind=LedgerEntry.Kind.EVENT, is_warning=True)
        | Q(kind=LedgerEntry.Kind.NEUTRALISE, refers_to__kind=LedgerEntry.Kind.MEASURE)
        | Q(kind=LedgerEntry.Kind.NEUTRALISE, refers_to__kind=LedgerEntry.Kind.EVENT, refers_to__is_warning=True)
    )


def entries_enqueue(*, now: datetime.datetime | None = None) -> list[LedgerEntry]:
    """Read the ledger since the push cursor into the outbox; returns the entries read (in ledger order)."""
    now = now or timezone.now()
    settled_before = now - datetime.timedelta(seconds=SETTLE_SECONDS)
    read: list[LedgerEntry] = []
    with transaction.atomic():
        cursor = cursor_lock(PUSH_CURSOR)
        last, advance_to, settled = cursor.last_entry_id, cursor.last_entry_id, True
        while True:
            batch = list(
                LedgerEntry.objects.filter(exportable(), pk__gt=last)
                .select_related("subject", "refers_to")
                .order_by("pk")[:BATCH]
            )
            if not batch:
                break
            OutboxMessage.objects.bulk_create(
                [
                    OutboxMessage(
                        message_id=entry.hash,
                        kind=OutboxMessage.Kind.END
                        if entry.kind == LedgerEntry.Kind.NEUTRALISE
                        else OutboxMessage.Kind.MEASURE,
                        entry=entry,
                        payload=entry_message(entry),
                    )
                    for entry in batch
                ],
                ignore_conflicts=True,
            )
            for entry in batch:
                settled = settled and entry.recorded_at < settled_before
                if settled:
                    advance_to = entry.pk
            read.extend(batch)
            last = batch[-1].pk
        if advance_to != cursor.last_entry_id:
            ExchangeCursor.objects.filter(pk=cursor.pk).update(last_entry_id=advance_to, moved_at=now)
    return read


def pending_ids(limit: int = BATCH) -> list[int]:
    """The outbox rows not yet delivered, oldest first."""
    return list(OutboxMessage.objects.filter(delivered_at=None).order_by("pk").values_list("pk", flat=True)[:limit])


def deliver(message_pk: int) -> bool:
    """One attempt at delivering an outbox row, logged whatever the outcome; True once it is delivered."""
    message = OutboxMessage.objects.get(pk=message_pk)
    if message.delivered_at is not None:
        return True
    path = "feedback/" if message.kind == OutboxMessage.Kind.FEEDBACK else "messages/"
    answer = client.post_json(path, message.payload)
    ok = answer.status in DELIVERED_STATUSES
    at = timezone.now()
    error = "" if ok else (answer.error or f"HTTP {answer.status}")
    DeliveryAttempt.objects.create(message=message, at=at, status_code=answer.status, error=error, delivered=ok)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=F("attempts") + 1, last_error=error, delivered_at=at if ok else None
    )
    return ok
