"""Cursor pagination for every list: stable under inserts, no COUNT over the table, opaque ``cursor`` links."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ApiCursor(CursorPagination):
    """20 rows a page (``page_size`` up to 100); each view names its ordering (``cursor_ordering``)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", self.ordering)
