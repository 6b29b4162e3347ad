"""Template context for the header of every page: the account's to-do and unread counts."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .selectors.workspace import header_counts_for_user


def workspace(request):
    """The signed-in account's to-do and unread counts, computed lazily (a page whose header does not ask pays
    no query) in one query; a page that lists the whole workspace (``/me/``) passes its own instead."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"header_workspace": SimpleLazyObject(lambda: header_counts_for_user(user))}
