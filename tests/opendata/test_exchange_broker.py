"""The credit exchange on a real broker: the push sweep and its deliveries go through Redis to a Celery worker,
which posts to the stand-in platform in the live server; run twice, the platform holds the message once."""

from __future__ import annotations

import pytest

from credit_rules.models import MeasureKind
from opendata.exchange_models import DeliveryAttempt, OutboxMessage, StandinReceived
from opendata.tasks import exchange_push
from tests.factories import admitted_agency
from tests.factories.credit import apply_measure
from tests.workflows.test_tasks import finished, poll, worker_queue  # noqa: F401  (fixtures and the poll)

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_worker_pushes_a_measure_once_through_the_broker(worker_queue, finished, live_server, settings):  # noqa: F811
    settings.ZJCS_CREDIT_EXCHANGE_URL = f"{live_server.url}/exchange-standin/"
    agency, _membership, _user = admitted_agency()
    (entry,) = apply_measure(agency, MeasureKind.SUSPEND, months=1)

    exchange_push.apply_async(queue=worker_queue)
    poll(lambda: OutboxMessage.objects.filter(message_id=entry.hash).exclude(delivered_at=None).exists())
    exchange_push.apply_async(queue=worker_queue)
    poll(lambda: finished.count("opendata.tasks.exchange_push") == 2)

    assert StandinReceived.objects.filter(message_id=entry.hash).count() == 1
    assert list(
        DeliveryAttempt.objects.filter(message__message_id=entry.hash).values_list("status_code", flat=True)
    ) == [200]
