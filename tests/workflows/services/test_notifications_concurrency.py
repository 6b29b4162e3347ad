"""The reminder sweep under real concurrency on PostgreSQL: two workers sweep the same due rows at once and
every reminder is made and mailed exactly once (the claim loop skips locked rows; the inbox key refuses a
second row for the same person, deadline and lead).

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs_notify pytest tests/workflows/services/test_notifications_concurrency.py --create-db``
"""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail

from tests.factories import contracting_project
from tests.helpers import refetch, results_of, run_together
from workflows.models import Notification, NotificationDelivery
from workflows.services.notifications.reminders import reminders_sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_sweeps_at_once_remind_each_person_once(caplog):
    # given two winners that must upload their contracts within the next two hours
    deals = [contracting_project(), contracting_project()]
    at = min(refetch(d.engagement).contract_due for d in deals) - datetime.timedelta(hours=1)
    mail.outbox.clear()

    # when two sweep workers run at the same moment, four times each
    with caplog.at_level(logging.ERROR):
        results_of(run_together([lambda: [reminders_sweep(at) for _ in range(4)]] * 2))

    # then each winner has one reminder, one e-mail went for each, and every channel was logged once
    reminders = Notification.objects.filter(kind=Notification.Kind.REMINDER)
    assert sorted(reminders.values_list("recipient_id", flat=True)) == sorted(d.winner_user.pk for d in deals)
    assert len([m for m in mail.outbox if "期限提醒" in m.subject]) == 2
    assert NotificationDelivery.objects.filter(notification__in=reminders, channel="email", status="sent").count() == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
