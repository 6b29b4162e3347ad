"""Bulk import of notices that were already published elsewhere (the previous platform's archive;
``manage.py import_notices``).

``add_child`` costs about a hundred queries a notice (tree insert, revision, publication, search
index three times); importing ten thousand historical notices that way takes an hour. This writes
the same rows in a handful of statements: it locks the notice index (as the publisher does), computes
the treebeard paths of the new children after the last one, inserts the page rows with
``bulk_create``, the notice rows with one ``executemany`` (Django cannot bulk-create a multi-table
child), bumps the index's child count, and indexes the pages for search in bulk. The pages are live
without revisions — the imported snapshot is the content; there is nothing to moderate or roll back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from .caching import notice_cache_bump
from .models import NoticePage
from .publishing import RESERVED_SLUGS, notice_index, payload_text


@dataclass
class ImportedNotice:
    """One notice to import: its type, unique source key, snapshot and original publication time."""

    kind: str
    source_key: str
    payload: dict[str, Any]
    published_at: datetime.datetime = field(default_factory=timezone.now)
    slug: str = ""
    withdrawn: bool = False
    withdrawn_reason: str = ""


@transaction.atomic
def notice_pages_import(notices: Iterable[ImportedNotice], *, index_for_search: bool = True) -> list[int]:
    """Create live notice pages in bulk under the notice index; returns their page ids."""
    notices = list(notices)
    if not notices:
        return []
    index = notice_index()
    Page.objects.select_for_update().get(pk=index.pk)  # the same lock as the publisher's tree inserts
    index.refresh_from_db()
    last = index.get_last_child()
    start = last._get_lastpos_in_path() + 1 if last else 1
    content_type = ContentType.objects.get_for_model(NoticePage)
    pages: list[NoticePage] = []
    for offset, notice in enumerate(notices):
        slug = notice.slug or notice.source_key.replace(":", "-").replace("/", "-").lower()[:200]
        if slug in RESERVED_SLUGS:
            slug = f"notice-{slug}"
        agency, project = notice.payload.get("agency") or {}, notice.payload.get("project") or {}
        title = notice.payload.get("title") or notice.kind
        pages.append(
            NoticePage(
                title=title,
                draft_title=title,
                slug=slug,
                content_type=content_type,
                path=Page._get_path(index.path, index.depth + 1, start + offset),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{slug}/",
                locale_id=index.locale_id,
                live=True,
                has_unpublished_changes=False,
                first_published_at=notice.published_at,
                last_published_at=notice.published_at,
                kind=notice.kind,
                source_key=notice.source_key,
                payload=notice.payload,
                subject_name=agency.get("name", ""),
                subject_uscc=agency.get("uscc", ""),
                project_code=project.get("code", ""),
                body_text=payload_text(notice.payload),
                withdrawn=notice.withdrawn,
                withdrawn_reason=notice.withdrawn_reason,
            )
        )
    base_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    created = Page.objects.bulk_create([_page_row(p, base_fields) for p in pages], batch_size=1000)
    for page, row in zip(pages, created, strict=True):
        page.pk = page.page_ptr_id = row.pk
    local = NoticePage._meta.local_concrete_fields
    table = connection.ops.quote_name(NoticePage._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in local)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(local))})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[f.get_db_prep_save(getattr(p, f.attname), connection) for f in local] for p in pages])
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(pages))
    if index_for_search:
        get_search_backend().add_bulk(NoticePage, pages)
    notice_cache_bump()
    return [p.pk for p in pages]


def _page_row(page: NoticePage, fields) -> Page:
    """The base ``wagtailcore_page`` row of a notice page."""
    return Page(**{f.attname: getattr(page, f.attname) for f in fields})
