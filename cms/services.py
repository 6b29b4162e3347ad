"""Notice requests: written by domain services in their own transaction, published by a task."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import NoticeRequest


def notice_request(*, kind: str, source_key: str, payload: dict[str, Any], moderated: bool = False) -> NoticeRequest:
    """Ask for a public notice; the same source key twice returns the first request (idempotent)."""
    request, created = NoticeRequest.objects.get_or_create(
        source_key=source_key, defaults={"kind": kind, "payload": payload, "moderated": moderated}
    )
    if created:
        from .tasks import notice_publish

        transaction.on_commit(lambda: notice_publish.delay(request.pk))
    return request


def notice_withdraw(*, source_key: str, reason: str) -> int:
    """Mark a notice withdrawn (repaired or overturned): it leaves the active lists, stays archived."""
    from .tasks import notice_publish

    ids = list(
        NoticeRequest.objects.filter(source_key=source_key, withdrawn_at__isnull=True).values_list("pk", flat=True)
    )
    NoticeRequest.objects.filter(pk__in=ids).update(withdrawn_at=timezone.now(), withdrawn_reason=reason)
    for pk in ids:
        transaction.on_commit(partial(notice_publish.delay, pk))
    return len(ids)
