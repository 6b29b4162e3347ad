"""The bulk publisher writes exactly the rows the real publisher writes, one request at a time.

The same pending notice requests (notices of several kinds, and among them a moderated one and a
withdrawn one, which the bulk path hands to the real publisher at their place) are published once
through ``notice_request_publish``, one at a time with the clock at each request's moment, and once
through ``notice_requests_publish_bulk``; each run is rolled back after its rows are read. Every row
either adds to any table is compared, ids named by table and order of insertion, timestamps kept to
the microsecond, together with the rows both update (the requests, the notice index). Put aside,
because they are random by design: the pages' Wagtail translation keys (uuid4), and on PostgreSQL
the search entries' vectors (their plain-text columns are compared).
"""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from cms.bulk import notice_requests_publish_bulk
from cms.caching import VERSION_KEY
from cms.models import NoticeIndexPage, NoticePage, NoticeRequest
from cms.publishing import notice_index, notice_request_publish
from marketplace import caching
from tests.factories import AgencyFactory
from tests.workflows.test_demo_bulk import diff_print, rows_text, sequences_rewind, snapshot

from .notices import credit_payload, project_payload

pytestmark = pytest.mark.django_db

# (kind, moderated, withdrawn): the bulk path writes the plain ones; the others go through the real publisher.
REQUESTS = [
    ("warning", False, False),
    ("announcement", False, False),
    ("suspension", True, False),
    ("result", False, False),
    ("repair", False, True),
    ("contract", False, False),
    ("red_list", False, False),
]


def _requests(tag: str) -> list[tuple[int, datetime.datetime]]:
    """Pending requests as domain transactions leave them, each with the moment the task publishes it."""
    start = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=3)
    made = []
    for n, (kind, moderated, withdrawn) in enumerate(REQUESTS):
        payload = project_payload(kind) if kind in ("announcement", "result", "contract") else credit_payload(kind)
        request = NoticeRequest.objects.create(
            kind=kind,
            source_key=f"{tag}:{kind}:{n}",
            payload=payload,
            moderated=moderated,
            withdrawn_at=start if withdrawn else None,
            withdrawn_reason="异议成立，已撤销" if withdrawn else "",
        )
        made.append((request.pk, start + datetime.timedelta(hours=n, microseconds=7 * n)))
    return made


def _one_at_a_time(requests: list[tuple[int, datetime.datetime]]) -> list[int | None]:
    ids = []
    for pk, at in requests:
        with time_machine.travel(at, tick=False):
            ids.append(notice_request_publish(pk))
    return ids


def _rows(path, requests: list[tuple[int, datetime.datetime]], agency) -> tuple[str, list[int | None]]:
    """Run ``path`` in a savepoint, read every row it added and the rows it updated, then roll it back."""
    sequences_rewind()
    before = snapshot()
    version = caching._version_start(VERSION_KEY)
    with transaction.atomic():
        page_ids = path(requests)
        assert caching._version_start(VERSION_KEY) > version  # the cached notice pages were dropped
        # The requests and the notice index are updated, not added: compared as they now are.
        requests_now = NoticeRequest.objects.filter(pk__in=[pk for pk, _at in requests]).order_by("pk")
        text = rows_text(before, agency, [*requests_now, Page.objects.get(pk=notice_index().pk)])
        transaction.set_rollback(True)
    return text, page_ids


def _assert_same(by_bulk: str, by_one: str) -> None:
    diff_print(by_one, by_bulk)
    assert by_bulk == by_one


@pytest.mark.parametrize("earlier", [0, 2], ids=["index-without-notices", "after-two-notices"])
def test_bulk_publish_writes_the_rows_of_the_publisher_one_at_a_time(earlier):
    agency = AgencyFactory()  # no notice names it: the normaliser's identity marks stay unused
    notice_index()
    for pk, at in _requests("earlier")[:earlier]:
        with time_machine.travel(at, tick=False):
            notice_request_publish(pk)
    requests = _requests("now")

    by_one, one_ids = _rows(_one_at_a_time, requests, agency)
    by_bulk, bulk_ids = _rows(notice_requests_publish_bulk, requests, agency)

    assert len(one_ids) == len(bulk_ids) == len(REQUESTS) and None not in one_ids
    # The comparison covers what a publication writes: pages, revisions, Wagtail's log, search, moderation.
    tables = set(json.loads(by_one))
    assert {
        "wagtailcore_page",
        "cms_noticepage",
        "wagtailcore_revision",
        "wagtailcore_pagelogentry",
        "wagtailsearch_indexentry",
        "wagtailcore_workflowstate",
    } <= tables
    _assert_same(by_bulk, by_one)


def test_bulk_publish_leaves_published_requests_and_taken_slugs_to_the_publisher():
    agency = AgencyFactory()
    requests = _requests("again")
    _one_at_a_time(requests[:2])  # already published: the bulk path republishes nothing
    clash = NoticeRequest.objects.create(
        kind="warning", source_key="again/warning/0", payload=credit_payload(), moderated=False
    )  # the same slug as the first request's page

    by_one, _ids = _rows(_one_at_a_time, requests, agency)
    by_bulk, _ids = _rows(notice_requests_publish_bulk, requests, agency)
    _assert_same(by_bulk, by_one)

    # A slug already taken fails as it does in the real publisher, and nothing of the batch is written.
    with pytest.raises(Exception, match="slug"), transaction.atomic():
        notice_requests_publish_bulk([*requests[2:], (clash.pk, timezone.now())])
    assert NoticeRequest.objects.get(pk=requests[3][0]).status == NoticeRequest.Status.PENDING


def test_bulk_published_notices_are_live_served_and_found(client):
    requests = _requests("served")
    notice_requests_publish_bulk(requests)

    pages = NoticePage.objects.filter(source_key__startswith="served:").order_by("path")
    plain = [p for p in pages if p.kind not in ("suspension",)]
    assert all(p.live for p in plain) and not pages.get(kind="suspension").live  # the moderated one awaits approval
    index = NoticeIndexPage.objects.get()
    assert index.numchild == index.get_children().count() == len(REQUESTS)
    assert [list(found) for found in Page.find_problems() if found] == []
    for page in plain:
        response = client.get(page.url)
        assert response.status_code == 200 and page.title in response.content.decode()
    warning = pages.get(kind="warning")
    html = client.get("/notices/", {"q": warning.subject_name}).content.decode()
    assert "共 1 条公告" in html and warning.url in html
    assert set(NoticeRequest.objects.filter(pk__in=[pk for pk, _at in requests]).values_list("status", flat=True)) == {
        NoticeRequest.Status.PUBLISHED,
        NoticeRequest.Status.MODERATION,
    }
