"""Caching of the public credit lists (agency directory, black list, red list): their scope of ``marketplace.caching``.

The lists read the cached standing on ``CreditSubject`` and the agencies' own data, so the version is
bumped wherever either is written: every standing write (``standing.standing_refresh`` after each
ledger append, the sweeps' ``standing_refresh_due`` and ``standing_refresh_all``), and an agency, its
categories or a policy version saved (``signals``). The key holds the policy in force, so a policy
taking effect at its own time is read afresh too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from marketplace import caching

VERSION_KEY = "credit:public:version"


def credit_cache_bump() -> None:
    """Invalidate every cached public credit list: now, and again when the transaction commits."""
    caching.version_bump(VERSION_KEY)


def credit_page(request: HttpRequest, name: str, policy_id: int | None, render: Callable[[], HttpResponse]):
    """The whole page for this URL, language and policy from the cache for a visitor without a session.

    Signed-in visitors (their header is theirs) get it rendered.
    """
    if not caching.page_cacheable(request):
        return render()
    key = caching.cache_key("credit", name, [request.get_full_path(), policy_id])
    return caching.cached_page(VERSION_KEY, key, render)


__all__ = ["VERSION_KEY", "credit_cache_bump", "credit_page"]
