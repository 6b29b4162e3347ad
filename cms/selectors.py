"""Reads of the public notice pages: one selector per page, each a single shaped query."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, QuerySet
from django.utils import timezone
from wagtail.search.backends.base import BaseSearchResults

from .models import LIST_DEFER, NoticePage, NoticeRequest, notice_shown
from .text import search_query

# Credit notices name an agency (name and USCC); the USCC filter applies to them.
CREDIT_KINDS = (
    NoticeRequest.Kind.WARNING,
    NoticeRequest.Kind.SUSPENSION,
    NoticeRequest.Kind.EXPULSION,
    NoticeRequest.Kind.REVOCATION,
    NoticeRequest.Kind.RED_LIST,
    NoticeRequest.Kind.REPAIR,
)


@dataclass(frozen=True)
class NoticeFilters:
    """What the public asked the notice list for (all optional)."""

    kind: str = ""
    q: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    uscc: str = ""
    archive: bool = False

    @property
    def unfiltered(self) -> bool:
        """The active list of a type (or of all), as its tab counts it: no search, dates, USCC or archive."""
        return not (self.q or self.date_from or self.date_to or self.uscc or self.archive)

    def key(self) -> list:
        """The filters as plain values, for a cache key."""
        return [self.kind, self.q, self.date_from, self.date_to, self.uscc, self.archive]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def notice_list_for_public(filters: NoticeFilters) -> QuerySet[NoticePage] | BaseSearchResults:
    """Live notices newest first — active ones, or for the archive those withdrawn or past their
    publication period — filtered and searched."""
    shown = notice_shown()
    notices = NoticePage.objects.live().filter(~shown if filters.archive else shown)
    if filters.kind:
        notices = notices.filter(kind=filters.kind)
    if filters.uscc:
        notices = notices.filter(subject_uscc=filters.uscc)
    if filters.date_from:
        notices = notices.filter(first_published_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        notices = notices.filter(first_published_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1)))
    notices = notices.defer(*LIST_DEFER).order_by("-first_published_at", "-id")
    query = search_query(filters.q) if filters.q else ""
    if query:
        # Newest first even when searching: a notice board is read by date, and every hit matches all words.
        return notices.search(query, operator="and", order_by_relevance=False)
    if filters.q:
        return notices.none()  # only punctuation was typed: nothing can match
    return notices


def notice_counts_for_tabs() -> dict[str, int]:
    """Live active notices per kind, plus ``""`` for all of them and ``"archive"`` for withdrawn or expired ones."""
    counts = dict.fromkeys(NoticeRequest.Kind.values, 0)
    counts[""] = counts["archive"] = 0
    rows = (
        NoticePage.objects.live()
        .annotate(shown=ExpressionWrapper(notice_shown(), output_field=BooleanField()))
        .values_list("kind", "shown")
        .annotate(n=Count("id"))
        .order_by()
    )
    for kind, shown, n in rows:
        if not shown:
            counts["archive"] += n
        else:
            counts[kind] = counts.get(kind, 0) + n
            counts[""] += n
    return counts


def notice_list_for_feed(kind: str = "", limit: int = 30) -> list[NoticePage]:
    """The latest live active notices (of one kind, if given) for the RSS and Atom feeds."""
    notices = NoticePage.objects.live().filter(notice_shown())
    if kind:
        notices = notices.filter(kind=kind)
    return list(notices.defer("body_text").order_by("-first_published_at", "-id")[:limit])
