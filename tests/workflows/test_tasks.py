"""The periodic work runs on a real broker: a Celery worker consuming Redis runs the sweep and publishes notices.

The worker runs in this process (solo pool, own thread and database connection) on a private
Redis database and queue, so it never takes work meant for anything else.
"""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cms.models import NoticePage, NoticeRequest
from cms.tasks import notice_publish
from config import celery_app
from credit_rules.gate import MeasureOrder
from credit_rules.models import MeasureKind
from credit_rules.services import subject_for_agency
from tests.factories import admitted_agency
from workflows.models import Membership, TransitionLog
from workflows.services.credit import measures as measure_services
from workflows.tasks import credit_sweep

# serialized_rollback: the flush after each test would otherwise take the migrations' data (regions, policy) with it
pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_DB = "5"


def poll(check, timeout: float = 30.0, every: float = 0.2):
    """Wait until ``check()`` is truthy (the worker commits in its own transaction); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"not done by the worker within {timeout:.0f} s")


@pytest.fixture
def worker_queue():
    """A real worker on a private Redis database and queue; the app is eager again afterwards."""
    parts = urlsplit(os.environ["CELERY_BROKER_URL"])
    broker = urlunsplit(parts._replace(path=f"/{REDIS_DB}"))
    queue = f"zjcs-test-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "task_always_eager": conf.task_always_eager}
    conf.broker_url = broker
    conf.task_always_eager = False
    celery_app.close()  # drop any connection pool made for the old broker
    try:
        with start_worker(celery_app, perform_ping_check=False, pool="solo", queues=[queue], shutdown_timeout=30):
            yield queue
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        celery_app.close()
        conf.broker_url = saved["broker_url"]
        conf.task_always_eager = saved["task_always_eager"]


def test_the_worker_reinstates_a_due_suspension(worker_queue):
    # given a member whose one-month suspension ended a month ago (the sweep has not run since)
    agency, membership, user = admitted_agency()
    measure_services.measures_apply(
        subject=subject_for_agency(agency),
        orders=[MeasureOrder("CR-ESC-001", MeasureKind.SUSPEND, months=1)],
        at=timezone.now() - relativedelta(months=2),
    )
    stored = Membership.objects.get(pk=membership.pk)
    assert stored.state == Membership.State.SUSPENDED and stored.suspended_until < timezone.now()
    # when beat's task goes through Redis to the worker
    credit_sweep.apply_async(queue=worker_queue)
    # then the worker reinstates it, once
    poll(lambda: Membership.objects.get(pk=membership.pk).state == Membership.State.ACTIVE)
    assert TransitionLog.objects.filter(object_id=membership.pk, transition="reinstate", outcome="done").count() == 1
    assert not subject_for_agency(agency).is_suspended


@pytest.fixture
def finished():
    """Names of the tasks the in-process worker has finished, in order."""
    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    task_postrun.connect(record, weak=False)
    yield names
    task_postrun.disconnect(record)


def test_the_worker_publishes_a_pending_notice(worker_queue, finished):
    # given a notice request left pending (its task was lost while the broker was down)
    request = NoticeRequest.objects.create(
        source_key=f"test:broker:{uuid.uuid4().hex[:8]}",
        kind=NoticeRequest.Kind.WARNING,
        payload={
            "title": "信用警告：惠州市恒基工程造价咨询有限公司",
            "agency": {"name": "惠州市恒基工程造价咨询有限公司", "uscc": "91441302MA4UJ1234X"},
            "evidence_summary": "工程造价咨询报告逾期 12 日提交。",
        },
    )
    # when the publishing task goes through Redis to the worker (twice: a duplicate delivery)
    notice_publish.apply_async((request.pk,), queue=worker_queue)
    notice_publish.apply_async((request.pk,), queue=worker_queue)
    # then exactly one live page exists for it
    page = poll(lambda: NoticePage.objects.filter(source_key=request.source_key).first())
    assert page.live and page.kind == "warning" and page.subject_uscc == "91441302MA4UJ1234X"
    poll(lambda: finished.count("cms.tasks.notice_publish") == 2)
    stored = NoticeRequest.objects.get(pk=request.pk)
    assert stored.status == NoticeRequest.Status.PUBLISHED and stored.page_id == page.pk and stored.attempts == 1
    assert NoticePage.objects.filter(source_key=request.source_key).count() == 1
