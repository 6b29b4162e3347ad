"""The claim loop every periodic sweep shares: due rows, batch by batch, safe with several workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, models, transaction

M = TypeVar("M", bound=models.Model)


def sweep_each(rows: models.QuerySet[M], act: Callable[[M], object], batch: int) -> int:
    """Run ``act`` on each row of ``rows`` (in its order); returns how many times ``act`` returned a true value.

    Rows are claimed ``batch`` at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` (the rows of
    ``rows``' own table only, not those it joins), each batch in its own transaction, so several
    workers share the work and none takes a row another holds. A row once seen is not taken again
    in this run, even where ``act`` left it due.
    """
    done = 0
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            qs = rows.exclude(pk__in=seen)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            claimed = list(qs[:batch])
            if not claimed:
                return done
            for row in claimed:
                seen.add(row.pk)
                done += bool(act(row))
