"""Bulk import of notices that were already published elsewhere (the previous platform's archive;
``manage.py import_notices``).

``add_child`` costs about a hundred queries a notice (tree insert, revision, publication, search
index three times); importing ten thousand historical notices that way takes an hour. This writes
the same rows in a handful of statements: it locks the notice index (as the publisher does), computes
the treebeard paths of the new children after the last one, inserts the page rows with
``bulk_create``, the notice rows with one ``executemany`` (Django cannot bulk-create a multi-table
child), bumps the index's child count, and indexes the pages for search in bulk. The pages are live
without revisions — the imported snapshot is the content; there is nothing to moderate or roll back.

``notice_requests_publish_bulk`` publishes pending notice requests the same way, for seeding a
scaled year: it writes exactly what ``notice_request_publish`` writes for each request, one at a
time, with the clock at the moment given for it — the page, its revision, Wagtail's two log entries
(created, published), the search entry with the title norm the database backend would have left,
and the request's bookkeeping (``tests/cms/test_bulk_publish.py`` compares every row).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Length
from django.utils import timezone
from wagtail.models import COMMENTS_RELATION_NAME, Page, PageLogEntry, Revision
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from .caching import notice_cache_bump
from .models import NoticeIndexPage, NoticePage, NoticeRequest
from .publishing import RESERVED_SLUGS, notice_index, notice_request_publish, notice_slug, notice_snapshot, payload_text


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
    _notice_rows_insert(pages)
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(pages))
    if index_for_search:
        get_search_backend().add_bulk(NoticePage, pages)
    notice_cache_bump()
    return [p.pk for p in pages]


def _notice_rows_insert(pages: list[NoticePage]) -> None:
    """The ``cms_noticepage`` rows of pages whose base rows exist: one ``executemany`` (Django cannot
    bulk-create a multi-table child)."""
    local = NoticePage._meta.local_concrete_fields
    table = connection.ops.quote_name(NoticePage._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in local)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(local))})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[f.get_db_prep_save(getattr(p, f.attname), connection) for f in local] for p in pages])


def _page_row(page: NoticePage, fields) -> Page:
    """The base ``wagtailcore_page`` row of a notice page."""
    return Page(**{f.attname: getattr(page, f.attname) for f in fields})


# --- publishing notice requests in bulk ---------------------------------------------------------------


@transaction.atomic
def notice_requests_publish_bulk(requests: list[tuple[int, datetime.datetime]]) -> list[int | None]:
    """Publish notice requests, each at its moment, in the order given; returns their page ids.

    The rows are those ``notice_request_publish(pk)`` writes, called one request at a time with the
    clock at its moment. A request the bulk path does not stand in for — moderated, withdrawn,
    already with a page, its source key or its slug already taken by a page — goes through the real
    publisher at its place in the order, with the clock at its moment; the others are written in
    runs between them.
    """
    found = NoticeRequest.objects.select_for_update().in_bulk([pk for pk, _at in requests])
    keys = [found[pk].source_key for pk, _at in requests]
    paged = set(NoticePage.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    index = NoticeIndexPage.objects.first()
    taken = set()
    if index is not None:
        slugs = [notice_slug(found[pk]) for pk, _at in requests]
        taken = set(Page.objects.child_of(index).filter(slug__in=slugs).values_list("slug", flat=True))
    page_ids: list[int | None] = []
    run: list[tuple[NoticeRequest, datetime.datetime]] = []
    for pk, at in requests:
        request = found[pk]
        creates = not request.page_id and request.source_key not in paged
        slug = notice_slug(request) if creates else ""
        if creates and not request.moderated and not request.withdrawn_at and slug not in taken:
            run.append((request, at))
        else:
            page_ids.extend(_run_publish(run))
            run = []
            with time_machine.travel(at, tick=False):
                page_ids.append(notice_request_publish(pk))
        if creates:
            taken.add(slug)
            paged.add(request.source_key)
    page_ids.extend(_run_publish(run))
    return page_ids


def _run_publish(run: list[tuple[NoticeRequest, datetime.datetime]]) -> list[int]:
    """Publish a run of requests that each get a new live page, as the real publisher would one by one."""
    if not run:
        return []
    with time_machine.travel(run[0][1], tick=False):  # the first publication creates the index if need be
        index = notice_index()
    Page.objects.select_for_update().get(pk=index.pk)  # the same lock as the publisher's tree inserts
    index.refresh_from_db()
    # treebeard's add_child: the first child of a leaf, else the one after the last child.
    start = 1 if index.is_leaf() else index.get_last_child()._get_lastpos_in_path() + 1
    content_type = ContentType.objects.get_for_model(NoticePage)
    pages: list[NoticePage] = []
    for offset, (request, at) in enumerate(run):
        page = NoticePage(
            **notice_snapshot(request),
            withdrawn=False,
            withdrawn_reason=request.withdrawn_reason,
            content_type=content_type,
            path=Page._get_path(index.path, index.depth + 1, start + offset),
            depth=index.depth + 1,
            numchild=0,
            locale_id=index.locale_id,
        )
        page.draft_title = page.title
        page.url_path = f"{index.url_path}{page.slug}/"
        # As published: its revision is live and the latest, both made at its moment.
        page.live, page.has_unpublished_changes = True, False
        page.first_published_at = page.last_published_at = page.latest_revision_created_at = at
        pages.append(page)
    base_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    created = Page.objects.bulk_create([_page_row(p, base_fields) for p in pages], batch_size=1000)
    for page, row in zip(pages, created, strict=True):
        page.pk = page.page_ptr_id = page.id = row.pk
    revisions = Revision.objects.bulk_create(
        [_revision(page, at) for page, (_request, at) in zip(pages, run, strict=True)], batch_size=1000
    )
    for page, revision in zip(pages, revisions, strict=True):
        page.latest_revision_id = page.live_revision_id = revision.pk
    _rows_update(Page, ["latest_revision", "live_revision"], pages)
    _notice_rows_insert(pages)
    # add_child logs the creation, publishing logs the publication with its revision.
    PageLogEntry.objects.bulk_create(
        [
            PageLogEntry(
                content_type=content_type,
                label=page.get_admin_display_title(),
                action=action,
                data={},
                timestamp=at,
                revision_id=revision_id,
                content_changed=True,
                page_id=page.pk,
            )
            for page, (_request, at) in zip(pages, run, strict=True)
            for action, revision_id in (("wagtail.create", None), ("wagtail.publish", page.live_revision_id))
        ],
        batch_size=1000,
    )
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(pages))
    _search_index(pages)
    requests = []
    for page, (request, at) in zip(pages, run, strict=True):
        request.page_id = page.pk
        request.status = NoticeRequest.Status.PUBLISHED
        request.published_at = at
        request.attempts += 1
        requests.append(request)
    _rows_update(NoticeRequest, ["page", "status", "published_at", "attempts"], requests)
    notice_cache_bump()
    return [p.pk for p in pages]


def _rows_update(model, names: list[str], objs: list) -> None:
    """Set ``names`` on each object's row: one ``executemany`` (``bulk_update``'s CASE over a thousand rows
    costs more to build than to run)."""
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {sets} WHERE {connection.ops.quote_name(pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [[*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk] for obj in objs],
        )


# What publishing sets on the page after its revision was saved.
_PUBLISHED = ("live", "first_published_at", "last_published_at", "latest_revision_created_at")


def _revision(page: NoticePage, at: datetime.datetime) -> Revision:
    """The revision ``save_revision`` makes right after ``add_child``: the page as it is then, not yet live."""
    published = {name: getattr(page, name) for name in _PUBLISHED}
    for name in _PUBLISHED:
        setattr(page, name, False if name == "live" else None)
    setattr(page, COMMENTS_RELATION_NAME, [])  # a new page has none: no query to find out
    content = page.serializable_data()
    for name, value in published.items():
        setattr(page, name, value)
    return Revision(
        content_type_id=page.content_type_id,
        base_content_type_id=ContentType.objects.get_for_model(Page).pk,
        object_id=str(page.pk),
        created_at=at,
        object_str=str(page),
        content=content,
    )


def _search_index(pages: list[NoticePage]) -> None:
    """Index the pages in one go, with the title norms the database backend leaves after indexing them one by one.

    Each index update sets ``title_norm`` of the entries still at 1.0 (the new one's default) to the average
    title length over the index divided by the entry's own title length, the average taken as the entries
    stand then. In bulk the average would be the final one for all; it is replayed here per page, with the
    lengths as the database measures them (lexemes of a PostgreSQL vector, characters in SQLite).
    """
    entries = IndexEntry._default_manager.annotate(title_length=Length("title"))
    before = entries.filter(title_length__gt=0)
    stats = before.aggregate(total=Sum("title_length"), count=Count("pk"))
    total, count = stats["total"] or 0, stats["count"]
    floating = dict(before.filter(title_norm=1.0).values_list("pk", "title_length"))
    get_search_backend().add_bulk(NoticePage, pages)
    content_type = ContentType.objects.get_for_model(NoticePage)
    added = entries.filter(content_type=content_type, object_id__in=[str(p.pk) for p in pages])
    ids, lengths = {}, {}
    for object_id, pk, length in added.values_list("object_id", "pk", "title_length"):
        ids[object_id], lengths[object_id] = pk, length
    sums, counts = [], []
    for page in pages:
        length = lengths[str(page.pk)]
        if length:
            total, count = total + length, count + 1
        sums.append(total)
        counts.append(count)
    averages = _averages(sums, counts)
    norms: dict[int, float] = {}
    for page, average in zip(pages, averages, strict=True):
        length = lengths[str(page.pk)]
        if length:
            floating[ids[str(page.pk)]] = length
        if average is None:
            continue
        for pk, size in list(floating.items()):
            norms[pk] = average / size
            if norms[pk] != 1.0:
                del floating[pk]
    table = connection.ops.quote_name(IndexEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET title_norm = %s WHERE {connection.ops.quote_name(IndexEntry._meta.pk.column)} = %s",
            [(norm, pk) for pk, norm in norms.items()],
        )


def _averages(sums: list[int], counts: list[int]) -> list[float | None]:
    """The averages ``Avg`` returns for these sums and counts: PostgreSQL divides numerics, SQLite doubles."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN c > 0 THEN s::numeric / c::numeric END FROM unnest(%s::bigint[], %s::bigint[])"
                " WITH ORDINALITY AS t(s, c, n) ORDER BY n",
                [sums, counts],
            )
            return [None if v is None else float(v) for (v,) in cursor.fetchall()]
    return [s / c if c else None for s, c in zip(sums, counts, strict=True)]
