"""The periodic work: every sweep is on the beat schedule, the re-send finishes every unfinished notice
request (withdrawals included), and the claim loop skips a locked row instead of waiting for it."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from cms.models import NoticePage, NoticeRequest
from cms.services import notice_withdraw
from cms.tasks import notice_requests_resend
from config.celery import app
from workflows import tasks as workflow_tasks
from workflows.services.sweeps import sweep_each

# What must run by itself, and how often at most (seconds): removing or slowing one fails here.
PERIODIC = {
    "workflows.tasks.deadlines_sweep": 60,
    "workflows.tasks.credit_sweep": 300,
    "workflows.tasks.reminders_sweep": 300,
    "workflows.tasks.risk_flags_sweep": 3600,
    "cms.tasks.notice_requests_resend": 600,
    "workflows.tasks.monthly_report": 3600,  # acts on the first working day of a month only
}


def test_every_sweep_is_on_the_beat_schedule_often_enough():
    scheduled = {entry["task"]: float(entry["schedule"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task, most in PERIODIC.items():
        assert task in scheduled, f"{task} is not on the beat schedule"
        assert scheduled[task] <= most, (task, scheduled[task])
        assert task in app.tasks, f"{task} is scheduled but not a registered task"


def test_every_periodic_task_the_apps_define_is_declared_above():
    # A new *_sweep task must be scheduled (and listed in PERIODIC) before it can be forgotten.
    sweeps = {f"workflows.tasks.{name}" for name in dir(workflow_tasks) if name.endswith("_sweep")}
    assert sweeps <= set(PERIODIC), sweeps - set(PERIODIC)


@pytest.mark.django_db
def test_the_resend_brings_a_lost_withdrawal_onto_the_page():
    from tests.cms.notices import publish, request_for

    # given a published warning whose withdrawal was recorded but whose task never ran
    page = publish("warning")
    request = request_for(page)
    assert request.status == NoticeRequest.Status.PUBLISHED
    notice_withdraw(source_key=request.source_key, reason="异议成立，已撤销")  # on_commit never fires here
    NoticeRequest.objects.filter(pk=request.pk).update(withdrawn_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC))
    assert not NoticePage.objects.get(pk=page.pk).withdrawn

    # when the periodic re-send runs (eagerly, as the worker would)
    notice_requests_resend()

    # then the page is withdrawn, and a second run has nothing left to do
    assert NoticePage.objects.get(pk=page.pk).withdrawn
    assert notice_requests_resend() == 0


@pytest.mark.django_db
def test_the_resend_retries_a_request_that_failed():
    from tests.cms.notices import credit_payload

    request = NoticeRequest.objects.create(
        kind="warning", source_key="failed:1", payload=credit_payload(), status=NoticeRequest.Status.FAILED
    )
    notice_requests_resend()
    request.refresh_from_db()
    assert request.status == NoticeRequest.Status.PUBLISHED and request.page_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweepers_share_the_rows_while_one_row_is_held_by_another_transaction():
    from tests.cms.notices import credit_payload

    ids = [
        NoticeRequest.objects.create(kind="warning", source_key=f"skip:{n}", payload=credit_payload()).pk
        for n in range(12)
    ]
    held_id = ids[0]  # the first in the sweep's order: plain FOR UPDATE would queue behind it
    held, release = threading.Event(), threading.Event()
    done: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                NoticeRequest.objects.select_for_update().get(pk=held_id)
                held.set()
                release.wait(30)
        finally:
            close_old_connections()

    def sweeper(name: str):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")  # waiting for the held row fails, never hangs

            def act(row):
                done[name].append(row.pk)
                time.sleep(0.05)  # both sweepers are in flight at once
                NoticeRequest.objects.filter(pk=row.pk).update(status=NoticeRequest.Status.PUBLISHED)  # no longer due
                return True

            due = NoticeRequest.objects.filter(pk__in=ids, status=NoticeRequest.Status.PENDING).order_by("pk")
            sweep_each(due, act, batch=1)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    workers = [threading.Thread(target=sweeper, args=(name,)) for name in done]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    release.set()
    holder.join(10)

    assert not errors, errors
    a, b = set(done["a"]), set(done["b"])
    assert held_id not in a | b  # skipped, not waited for
    assert a | b == set(ids[1:]) and not a & b  # disjoint, and together everything else
    assert a and b  # both made progress in parallel


@pytest.mark.django_db
def test_listings_review_follows_the_dates_of_a_listing_and_asks_nothing_per_member(django_assert_num_queries):
    from credit_rules.models import LedgerEntry
    from tests.factories import admitted_agency, list_agency
    from workflows.models import Membership
    from workflows.services.credit.sweeps import listings_review

    # given many members, one of them listed from next week until the week after
    quiet = [admitted_agency()[0] for _ in range(6)]
    listed = admitted_agency()[0]
    today = timezone.localdate()
    list_agency(listed, listed_on=today + datetime.timedelta(days=7), delisted_on=today + datetime.timedelta(days=14))

    # when the sweep runs today: nothing is out of step, and finding that costs two queries whatever the members
    with django_assert_num_queries(2):
        assert listings_review(timezone.now()) == 0

    # then the listing's first day suspends the listed member only, and its end restores it
    assert listings_review(timezone.now() + datetime.timedelta(days=8)) == 1
    assert Membership.objects.get(agency=listed).state == Membership.State.SUSPENDED
    assert all(Membership.objects.get(agency=a).state == Membership.State.ACTIVE for a in quiet)
    assert LedgerEntry.objects.filter(subject__agency=listed, kind=LedgerEntry.Kind.MEASURE).count() == 1
    listings_review(timezone.now() + datetime.timedelta(days=15))
    assert Membership.objects.get(agency=listed).state != Membership.State.SUSPENDED
