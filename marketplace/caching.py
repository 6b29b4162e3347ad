"""Whole-page and fragment caching of public pages, invalidated by a version key per scope.

One mechanism for every public list (the notices in ``cms.caching``, the credit directory and
lists in ``credit_rules.caching``): each scope has its own version key. For a visitor with no
session (the public: not signed in, no pending messages) the whole page is cached: it holds nothing
personal, not even a CSRF token (the language switch is a GET form), so every such visitor gets the
same bytes and no cookie. A page whose render did put a CSRF token in is served but never cached, so
one visitor's token never reaches another. Signed-in visitors get the page rendered around cached
*fragments*: their header is theirs.

Entries are keyed by scope, language and parameters and stored with the scope's version they were
made in; a change to what the pages show bumps the version (``version_bump``), so the next request
renders afresh. The version is read before the database is, so a render that raced a change is
stored with the old version and never served again.

Several processes must share one cache for the bump to reach them all (``CACHE_URL`` = Redis in
production); with the per-process local-memory cache the entries' timeout bounds how stale another
process can be.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# A rendered page holding this is somebody's own (a form with a CSRF token): served, never cached.
CSRF_FIELD = 'name="csrfmiddlewaretoken"'


def cache_seconds() -> int:
    """How long a rendered page or fragment lives at most (the bound on staleness without a shared cache)."""
    return int(getattr(settings, "ZJCS_NOTICE_CACHE_SECONDS", 600))


def _version_start(version_key: str) -> int:
    """Start the version from the clock (microseconds): above any version an evicted key ever had."""
    cache.add(version_key, time.time_ns() // 1000, timeout=None)
    return int(cache.get(version_key))


def _bump(version_key: str) -> None:
    try:
        cache.incr(version_key)
    except ValueError:  # the key was evicted: start again from the clock
        _version_start(version_key)


def version_bump(version_key: str) -> None:
    """Invalidate every entry of the scope: now, and again when the transaction commits.

    The first bump makes this process's next read fresh at once; the second stops a reader who
    rendered between the two (and saw the old rows) from keeping its stale entry.
    """
    _bump(version_key)
    transaction.on_commit(lambda: _bump(version_key))


def cache_key(prefix: str, name: str, parts: Iterable[Any]) -> str:
    """The key of one cached page or fragment: its scope's prefix, its name, the language and its parameters."""
    digest = hashlib.sha1(json.dumps(list(parts), default=str, ensure_ascii=False).encode()).hexdigest()
    return f"{prefix}:{name}:{get_language()}:{digest}"


def _lookup(version_key: str, key: str) -> tuple[int, Any]:
    """The current version and the entry stored under ``key`` if it was made in that version.

    Entries are stored as ``(version, value)`` and fetched together with the version in one round
    trip to the cache (one MGET on Redis): a hit costs a single request to the cache server.
    """
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    version = int(version) if version is not None else _version_start(version_key)
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return version, entry[1]
    return version, None


def cached(version_key: str, key: str, produce: Callable[[], Any]) -> Any:
    """The value cached under ``key`` in the scope's current version, produced on a miss."""
    version, value = _lookup(version_key, key)
    if value is None:
        value = produce()
        cache.set(key, (version, value), cache_seconds())
    return value


def cached_html(version_key: str, key: str, render: Callable[[], str]) -> SafeString:
    """A rendered template fragment from the cache (it was rendered from our own templates: safe)."""
    return mark_safe(cached(version_key, key, lambda: str(render())))


def page_cacheable(request: HttpRequest) -> bool:
    """Whether the whole page may come from the cache: a GET from a visitor with no session and no messages.

    Without a session cookie the visitor is anonymous and has no messages in the session; without
    the messages cookie none are waiting either — so the page is the same for every such visitor.
    """
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not getattr(request, "is_preview", False)
    )


def cached_page(version_key: str, key: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The whole page under ``key`` from the cache, the same for every visitor without a session.

    Only a 200 is cached, and only one with no CSRF token in it (see ``CSRF_FIELD``).
    """
    version, html = _lookup(version_key, key)
    if html is None:
        response = render()
        if response.status_code != 200:
            return response
        if hasattr(response, "render"):
            response.render()
        html = response.content.decode()
        if CSRF_FIELD in html:
            return response
        cache.set(key, (version, html), cache_seconds())
    return HttpResponse(html)
