"""One request, one page: retries, two workers at once, many workers under one parent; bulk import."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from wagtail.models import Page

from cms.bulk import ImportedNotice, notice_pages_import
from cms.models import NoticeIndexPage, NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from cms.services import notice_request
from tests.helpers import days_ago

from .notices import credit_payload

THREADS = 4


def tree_problems() -> list:
    """treebeard's own consistency check: bad alphabet, bad paths, orphans, wrong depth, wrong numchild."""
    return [list(found) for found in Page.find_problems() if found]


def requests(count: int) -> list[int]:
    """Pending outbox rows, as a domain transaction leaves them for the broker to deliver.

    Written directly: through ``notice_request`` outside a transaction, the eager task would publish
    each at once and the workers below would find nothing left to race for.
    """
    return [
        NoticeRequest.objects.create(kind="warning", source_key=f"race:{n}", payload=credit_payload()).pk
        for n in range(count)
    ]


def run_at_once(jobs: list[int]) -> list[BaseException]:
    """Run notice_request_publish for each id in its own thread, all released by one barrier."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(request_id: int) -> None:
        try:
            barrier.wait()
            notice_request_publish(request_id)
        except BaseException as exc:  # collected and asserted on in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(pk,)) for pk in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    close_old_connections()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_taking_the_same_request_make_one_page():
    # given one pending request, with no page yet
    [request_id] = requests(1)
    assert not NoticePage.objects.exists()

    # when two workers publish it at the same moment
    errors = run_at_once([request_id, request_id])

    # then both finish, there is exactly one page, and the tree is sound
    assert errors == []
    request = NoticeRequest.objects.get(pk=request_id)
    assert NoticePage.objects.filter(source_key=request.source_key).count() == 1
    assert request.page_id == NoticePage.objects.get(source_key=request.source_key).pk
    assert request.status == NoticeRequest.Status.PUBLISHED
    assert tree_problems() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_requests_in_four_threads_insert_under_one_parent_cleanly():
    # given twenty pending requests
    ids = requests(20)
    assert not NoticePage.objects.exists()

    # when four workers publish them all at once, each taking every fourth request
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(mine: list[int]) -> None:
        try:
            barrier.wait()
            for pk in mine:
                notice_request_publish(pk)
        except BaseException as exc:  # collected and asserted on in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(ids[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    close_old_connections()

    # then every request has exactly one live page, the index counts them, and the tree is sound
    assert errors == []
    keys = list(NoticeRequest.objects.filter(pk__in=ids).values_list("source_key", flat=True))
    assert NoticePage.objects.filter(source_key__in=keys, live=True).count() == 20
    assert set(NoticeRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"published"}
    index = NoticeIndexPage.objects.get()
    assert index.numchild == index.get_children().count() == 20
    assert len(set(NoticePage.objects.values_list("path", flat=True))) == 20
    assert tree_problems() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_same_requests_again_in_four_threads_change_nothing():
    # given twenty requests already published
    ids = requests(20)
    for pk in ids:
        notice_request_publish(pk)
    before = sorted(NoticePage.objects.values_list("pk", "path"))

    # when four workers re-run them all at once (broker redelivery after a crash)
    errors = run_at_once(ids[:THREADS])
    errors += run_at_once(ids[THREADS : 2 * THREADS])

    # then nothing was added or moved
    assert errors == []
    assert sorted(NoticePage.objects.values_list("pk", "path")) == before
    assert tree_problems() == []


@pytest.mark.django_db
def test_bulk_import_makes_live_searchable_pages_in_a_sound_tree(client):
    # given a notice published the normal way
    first = notice_request(kind="warning", source_key="normal:1", payload=credit_payload())
    notice_request_publish(first.pk)

    # when 30 historical notices are imported in bulk
    ids = notice_pages_import(
        ImportedNotice(
            kind="warning",
            source_key=f"old:{n}",
            payload=credit_payload(name=f"惠州旧平台迁移咨询有限公司{n:03d}"),
            published_at=days_ago(n + 1),
        )
        for n in range(30)
    )

    # then they are live children of the index after the first, the tree is sound, and search finds them
    assert len(ids) == 30 and NoticePage.objects.filter(pk__in=ids, live=True).count() == 30
    assert tree_problems() == []
    assert NoticeIndexPage.objects.get().numchild == 31
    html = client.get("/notices/", {"q": "旧平台迁移"}).content.decode()
    assert "共 30 条公告" in html
    page = NoticePage.objects.get(source_key="old:7")
    assert (
        client.get(page.url).status_code == 200
        and "惠州旧平台迁移咨询有限公司007" in client.get(page.url).content.decode()
    )
    # and a later publication goes after them without a path clash
    later = notice_request(kind="warning", source_key="normal:2", payload=credit_payload())
    notice_request_publish(later.pk)
    assert tree_problems() == []
