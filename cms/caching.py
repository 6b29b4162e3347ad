"""Caching of the public notice pages, lists and feeds, invalidated by a version key.

What is cached is the rendered *content* of a page (the list with its tabs and pages, a notice's
article, a feed), never the whole HTML response: every page carries the language switch with a CSRF
token and the visitor's login state, which must stay per visitor. Keys hold the language and a
notice version; publishing or withdrawing a notice bumps the version (``notice_cache_bump``), so the
next request renders afresh. The version is read before the database is, so a render that raced a
publication is stored under the old version and never served again.

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
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

VERSION_KEY = "cms:notices:version"


def cache_seconds() -> int:
    """How long a rendered fragment lives at most (the bound on staleness without a shared cache)."""
    return int(getattr(settings, "ZJCS_NOTICE_CACHE_SECONDS", 600))


def notice_cache_version() -> int:
    """The current notice version; a fresh cache starts from the clock so old keys are never reused."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted: start again from the clock, above any earlier version
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)


def notice_cache_bump() -> None:
    """Invalidate every cached notice fragment: now, and again when the transaction commits.

    The first bump makes this process's next read fresh at once; the second stops a reader who
    rendered between the two (and saw the old rows) from keeping its stale entry.
    """
    _bump()
    transaction.on_commit(_bump)


def cache_key(name: str, parts: Iterable[Any], version: int | None = None) -> str:
    """A key for one fragment: its name, the notice version, the language and its parameters."""
    digest = hashlib.sha1(json.dumps(list(parts), default=str, ensure_ascii=False).encode()).hexdigest()
    return f"cms:{name}:{version if version is not None else notice_cache_version()}:{get_language()}:{digest}"


def cached(name: str, parts: Iterable[Any], produce: Callable[[], Any]) -> Any:
    """The cached value for (name, parts) in the current version and language, produced on a miss."""
    key = cache_key(name, parts)
    value = cache.get(key)
    if value is None:
        value = produce()
        cache.set(key, value, cache_seconds())
    return value


def cached_html(name: str, parts: Iterable[Any], render: Callable[[], str]) -> SafeString:
    """A rendered template fragment from the cache (it was rendered from our own templates: safe)."""
    return mark_safe(cached(name, parts, lambda: str(render())))
