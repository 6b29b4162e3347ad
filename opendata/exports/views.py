"""The public lists' downloads (no login): ``/downloads/<list>.<csv|xlsx>`` with the page's query string.

Each download answers with the rows the page shows for the same query, every page of them, in the reader's
language; a list past ``writers.MAX_ROWS`` rows is cut with a line saying so.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from cms.models import NoticeRequest

from .tables import TABLES, notice_table
from .writers import FORMATS, table_response


@require_GET
def list_download(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """A credit or project list as CSV or XLSX."""
    if table not in TABLES or fmt not in FORMATS:
        raise Http404
    return table_response(TABLES[table](request), fmt)


@require_GET
def notice_download(request: HttpRequest, fmt: str, kind: str = "") -> HttpResponse:
    """A notice list (all kinds, or one) as CSV or XLSX, live notices or the archive (``archive=1``)."""
    if fmt not in FORMATS or (kind and kind not in NoticeRequest.Kind.values):
        raise Http404
    return table_response(notice_table(request, kind), fmt)
