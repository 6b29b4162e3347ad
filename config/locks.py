"""A request that still meets a locked database after the busy timeout is told to try again, never a 500.

SQLite (the embedded default) lets one writer in at a time. With IMMEDIATE transactions and the busy
timeout a writer waits for the lock instead of failing (settings), so this is the last resort: a lock held
longer than the timeout answers 503 with a plain message and ``Retry-After``. The request's transaction
was rolled back, so nothing was half-written. Any other database error is left to Django's handling.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

RETRY_SECONDS = 5


def is_lock(exception: BaseException) -> bool:
    """Whether the error is SQLite's "database is locked" (or "database table is locked")."""
    return isinstance(exception, OperationalError) and "is locked" in str(exception)


class DatabaseBusyMiddleware:
    """Answer 503 with a message to try again when a view met a database lock that outlasted the busy timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_lock(exception):
            return None
        message = escape(_("系统正忙，您的操作未保存，请稍后重试。"))
        response = HttpResponse(
            f'<!doctype html><meta charset="utf-8"><title>{message}</title><p role="alert">{message}</p>',
            status=503,
        )
        response["Retry-After"] = str(RETRY_SECONDS)
        return response
