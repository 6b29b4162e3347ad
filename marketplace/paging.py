"""Page numbers over long public lists without counting or joining every row.

Django's ``Paginator`` counts the whole result (``SELECT COUNT(*)``) on every page and joins every
skipped row of a deep page: over 100,000 agencies, or a search matching half of them, each page scans
every matching row. A citizen reading a list, like a search engine's reader, does not page through ten
thousand rows: past ``MAX_PAGES`` pages a filtered list says there are more and asks to narrow the
search. So:

- the count stops at the cap (``SELECT COUNT(*) FROM (SELECT id … LIMIT cap + 1)``, without the order
  or the display's joins), and page links run to the last page within it;
- an unfiltered list longer than that shows the database's own estimate of its rows (PostgreSQL's
  ``pg_class.reltuples``, kept by ANALYZE and autovacuum) as "about N", with page links to all of them
  (a list the capped count finds within the cap is counted exactly, so a stale estimate never invents
  pages of a short list);
- a page is read in two steps: the ids of its rows (from the ordering's index alone: the joins of the
  display are removed from a query that reads no column of theirs), then those rows with everything
  shown. A deep page skips index entries, not joined rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property

MAX_PAGES = 100


def rows_estimate(model: type[Model]) -> int | None:
    """The planner's estimate of the rows of ``model``'s table on PostgreSQL; None elsewhere or before ANALYZE."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``max_pages`` pages, unless an estimate of the whole list is given.

    ``capped``: the list holds more rows than the pages reach; ``estimated``: the count is an estimate.
    ``estimate``: for an unfiltered list, a callable giving the estimated number of its rows (or None).
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        max_pages: int | None = None,
        estimate: Callable[[], int | None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.max_pages = max_pages or MAX_PAGES
        self._estimate = estimate

    @property
    def cap(self) -> int:
        return int(self.per_page) * self.max_pages

    @cached_property
    def _counted(self) -> tuple[int, bool, bool]:
        """(count, capped, estimated)."""
        rows: Any = self.object_list
        if isinstance(rows, QuerySet):
            # The count of at most cap + 1 rows needs no order and no column shown: the joins only the
            # display reads fall away, and the planner finds the rows the cheapest way it knows.
            rows = rows.order_by().values("pk")
        n = rows[: self.cap + 1].count()
        # Asked whatever the count (the same queries for a short list as for a long one), the estimate is
        # used only for a list known to be longer than the cap: it can be far off after many rows were
        # deleted, until ANALYZE or autovacuum corrects it.
        estimate = self._estimate() if self._estimate else None
        if n > self.cap and estimate is not None and estimate > self.cap:
            return estimate, False, True
        return min(n, self.cap), n > self.cap, False

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def capped(self) -> bool:
        return self._counted[1]

    @property
    def estimated(self) -> bool:
        return self._counted[2]

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not isinstance(self.object_list, QuerySet):
            return Page(self.object_list[bottom:top], number, self)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        by_pk = {row.pk: row for row in self.object_list.filter(pk__in=ids)} if ids else {}
        return Page([by_pk[pk] for pk in ids if pk in by_pk], number, self)
