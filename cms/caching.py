"""Caching of the public notice pages, lists and feeds: the notices' scope of ``marketplace.caching``.

The mechanism (whole pages for visitors without a session, fragments for signed-in ones, a version
key bumped on change) is described there. Publishing or withdrawing a notice bumps the notices'
version (``notice_cache_bump``), so the next request renders afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString

from marketplace import caching
from marketplace.caching import CSRF_FIELD, cache_seconds, page_cacheable

__all__ = ["CSRF_FIELD", "cache_seconds", "page_cacheable"]

VERSION_KEY = "cms:notices:version"


def notice_cache_bump() -> None:
    """Invalidate every cached notice fragment: now, and again when the transaction commits."""
    caching.version_bump(VERSION_KEY)


def cache_key(name: str, parts: Iterable[Any]) -> str:
    """The key of one cached notice page or fragment: its name, the language and its parameters."""
    return caching.cache_key("cms", name, parts)


def cached(name: str, parts: Iterable[Any], produce: Callable[[], Any]) -> Any:
    """The cached value for (name, parts) in the current version and language, produced on a miss."""
    return caching.cached(VERSION_KEY, cache_key(name, parts), produce)


def cached_html(name: str, parts: Iterable[Any], render: Callable[[], str]) -> SafeString:
    """A rendered template fragment from the cache (it was rendered from our own templates: safe)."""
    return caching.cached_html(VERSION_KEY, cache_key(name, parts), render)


def cached_page(request: HttpRequest, name: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The whole page for this URL and language from the cache, the same for every visitor without a session."""
    return caching.cached_page(VERSION_KEY, cache_key(name, [request.get_full_path()]), render)
