"""The public OCDS pages and files: /ocds/ and the JSON under it (docs/ocds.md)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import packages
from .mapping import PLACEHOLDER_PREFIX, code_from_ocid, ocid_prefix

DOC = Path(settings.BASE_DIR) / "docs" / "ocds.md"


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # open data: anyone may fetch it from their own pages
    return response


def _project(ocid: str):
    code = code_from_ocid(ocid)
    project = packages.project_for_code(code) if code else None
    if project is None:
        raise Http404(_("没有这个 ocid 的已发布项目。"))
    return project


@require_GET
def ocds_index(request: HttpRequest) -> HttpResponse:
    """The months, their files, the stream and the documentation, in the reader's language."""
    return render(
        request,
        "opendata/public_ocds.html",
        {"months": packages.months(), "prefix": ocid_prefix(), "placeholder": ocid_prefix() == PLACEHOLDER_PREFIX},
    )


@require_GET
def ocds_release_package(request: HttpRequest, ocid: str) -> JsonResponse:
    return _json(packages.release_package(_project(ocid)))


@require_GET
def ocds_record_package(request: HttpRequest, ocid: str) -> JsonResponse:
    return _json(packages.record_package(_project(ocid)))


@require_GET
def ocds_bulk_month(request: HttpRequest, month: str) -> JsonResponse:
    package = packages.month_package(month)
    if package is None:
        raise Http404(_("这个月份没有发布的项目。"))
    return _json(package)


@require_GET
def ocds_bulk_compiled(request: HttpRequest) -> StreamingHttpResponse:
    """JSON Lines: one compiled release a line, built a chunk of projects at a time (constant memory)."""
    lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in packages.compiled_stream())
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="compiled.jsonl"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def ocds_doc(request: HttpRequest) -> HttpResponse:
    """docs/ocds.md exactly as the repository holds it."""
    return HttpResponse(DOC.read_bytes(), content_type="text/markdown; charset=utf-8")
