"""Public notice pages (no login): the notice lists by type with search, and their feeds.

The notice pages themselves are Wagtail pages (``NoticePage``); these views list them. The list
content is cached per language and notice version (``cms.caching``): a publication or withdrawal
shows at once, and a cache hit costs no database query.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .caching import cached, cached_html, cached_page, page_cacheable
from .feeds import FEEDS
from .forms import NoticeFilterForm
from .models import NoticeRequest
from .selectors import CREDIT_KINDS, NoticeFilters, notice_counts_for_tabs, notice_list_for_public

PAGE_SIZE = 20
# Query parameters of the list; a URL with others is rendered, not cached as a whole page.
LIST_PARAMS = {"q", "date_from", "date_to", "uscc", "archive", "page"}


def _list_url(kind: str) -> str:
    return reverse("notice-list-kind", kwargs={"kind": kind}) if kind else reverse("notice-list")


def _query(filters: NoticeFilters, page: int | None = None) -> str:
    """The query string of a filtered list, built from the cleaned filters (never echoed raw input)."""
    params = {
        "q": filters.q,
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
        "uscc": filters.uscc,
        "archive": "1" if filters.archive else "",
        "page": str(page) if page and page > 1 else "",
    }
    encoded = urlencode({k: v for k, v in params.items() if v})
    return f"?{encoded}" if encoded else ""


def _tab_counts() -> dict[str, int]:
    """The tabs' counts, once per notice version and day (a notice leaves the active lists at its date's end):
    counted afresh for every page of every filter, they read every notice (20 ms at 4,400 notices, growing)."""
    return cached("tab-counts", [timezone.localdate().isoformat()], notice_counts_for_tabs)


def _results_html(request: HttpRequest, filters: NoticeFilters, page_number: str) -> str:
    """Tabs, the page of notices and the page links, rendered for the cache."""
    counts = _tab_counts()
    tabs = [{"kind": "", "label": _("全部公告"), "count": counts[""], "url": _list_url("")}]
    tabs += [
        {"kind": kind, "label": label, "count": counts.get(kind, 0), "url": _list_url(kind)}
        for kind, label in NoticeRequest.Kind.choices
    ]
    paginator = Paginator(notice_list_for_public(filters), PAGE_SIZE)
    if filters.unfiltered:
        # An active list by type alone holds exactly its tab's count: no second count of every notice.
        paginator.count = counts[filters.kind]
    page = paginator.get_page(page_number)
    base = _list_url(filters.kind)
    context = {
        "filters": filters,
        "tabs": tabs,
        "archive_count": counts["archive"],
        "archive_url": f"{base}?archive=1",
        "page_obj": page,
        "notices": list(page.object_list),
        "previous_url": base + _query(filters, page.previous_page_number()) if page.has_previous() else "",
        "next_url": base + _query(filters, page.next_page_number()) if page.has_next() else "",
        "show_uscc": not filters.kind or filters.kind in CREDIT_KINDS,
    }
    return render_to_string("cms/includes/notice_list_results.html", context, request=request)


@require_GET
def notice_list(request: HttpRequest, kind: str = "") -> HttpResponse:
    """公告公示: live notices newest first, by type, with search, date and USCC filters, and the archive."""
    if page_cacheable(request) and set(request.GET) <= LIST_PARAMS:
        return cached_page(request, "list-page", lambda: _notice_list_page(request, kind))
    return _notice_list_page(request, kind)


def _notice_list_page(request: HttpRequest, kind: str) -> HttpResponse:
    form = NoticeFilterForm(request.GET or None, kind=kind)
    if form.is_bound:
        # Errors are shown next to their fields; the fields that are valid still filter.
        form.is_valid()
    filters = form.filters()
    page_number = request.GET.get("page") or "1"
    results_html = cached_html(
        "list", [*filters.key(), page_number], lambda: _results_html(request, filters, page_number)
    )
    kind_label = NoticeRequest.Kind(kind).label if kind else ""
    feed_kwargs = {"kind": kind} if kind else {}
    return render(
        request,
        "cms/public_notice_list.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": kind_label,
            "archive": filters.archive,
            "action_url": _list_url(kind),
            "results_html": results_html,
            "rss_url": reverse("notice-feed-kind-rss" if kind else "notice-feed-rss", kwargs=feed_kwargs),
            "atom_url": reverse("notice-feed-kind-atom" if kind else "notice-feed-atom", kwargs=feed_kwargs),
        },
    )


@require_GET
def notice_feed(request: HttpRequest, fmt: str, kind: str = "") -> HttpResponse:
    """RSS 2.0 or Atom feed of the latest active notices (of one type, if given), cached like the lists."""

    def produce() -> tuple[bytes, str]:
        response = FEEDS[fmt]()(request, kind=kind)
        return response.content, response["Content-Type"]

    # Feed links are absolute: the host and scheme belong in the key.
    content, content_type = cached("feed", [fmt, kind, request.get_host(), request.is_secure()], produce)
    return HttpResponse(content, content_type=content_type)
