"""Notifications: events after commit (a win, a notice of a measure, decisions), the reminder sweep before each
deadline that costs credit (once per deadline and lead time, however often it runs), the repair reminder,
and the channels each person chose, every delivery logged."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from config.celery import app as celery_app
from credit_rules.models import LedgerEntry
from tests.factories import (
    admitted_agency,
    awarded_project,
    contracting_project,
    notified_case,
    supervisor_user,
    warn,
    winner_of,
)
from tests.helpers import refetch
from workflows.models import Notification, NotificationDelivery, NotificationPreference
from workflows.services.credit import objections as objection_services
from workflows.services.notifications.reminders import reminders_sweep

pytestmark = pytest.mark.django_db


def local(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def test_a_win_is_told_to_the_winner_in_the_inbox_and_by_mail_after_commit(django_capture_on_commit_callbacks):
    # when a draw is awarded
    with django_capture_on_commit_callbacks(execute=True):
        project, pool = awarded_project()
    winner, user = winner_of(project, pool)

    # then the winner's account has one win message naming the project and the deadline to confirm
    (note,) = Notification.objects.filter(kind=Notification.Kind.WIN)
    assert note.recipient == user and note.deadline == refetch(project).publicity_ends_at
    assert note.link == f"/agency/projects/{project.code}/"
    (message,) = [m for m in mail.outbox if project.code in m.subject]
    assert message.to == [user.email]
    assert local(note.deadline) in message.body and project.name in message.body
    # and each channel is logged
    assert set(NotificationDelivery.objects.filter(notification=note).values_list("channel", "status")) == {
        ("in_app", "sent"),
        ("email", "sent"),
    }


def test_nothing_is_sent_while_the_transaction_is_open(django_capture_on_commit_callbacks):
    # when the award happens but its transaction has not committed (callbacks captured, not run)
    with django_capture_on_commit_callbacks(execute=False):
        awarded_project()
    # then no one was told yet
    assert not Notification.objects.exists() and mail.outbox == []


def test_the_reminder_sweep_reminds_once_per_deadline_and_lead(django_capture_on_commit_callbacks):
    # given a confirmed winner that must upload its contract by contract_due
    deal = contracting_project()
    due = refetch(deal.engagement).contract_due
    mail.outbox.clear()

    # when the sweep runs twice, 20 hours before the deadline
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders_sweep(due - datetime.timedelta(hours=20))
        again = reminders_sweep(due - datetime.timedelta(hours=20))

    # then one reminder (the 24-hour one) is in the inbox and one mail went, naming the project and the local deadline
    assert (first["contract_upload"], again["contract_upload"]) == (1, 0)
    (note,) = Notification.objects.filter(kind=Notification.Kind.REMINDER, recipient=deal.winner_user)
    assert note.deadline == due and note.key.endswith(":24h")
    (message,) = mail.outbox
    assert deal.project.code in message.subject and local(due) in message.body

    # when the sweep runs within two hours of the deadline, twice
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=1))
        reminders_sweep(due - datetime.timedelta(minutes=30))

    # then the 2-hour reminder went once more, and never again
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 2
    assert len(mail.outbox) == 2


def test_a_deadline_first_seen_inside_the_short_lead_gets_one_reminder(django_capture_on_commit_callbacks):
    deal = contracting_project()
    due = refetch(deal.engagement).contract_due
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=1))
    (note,) = Notification.objects.filter(kind=Notification.Kind.REMINDER)
    assert note.key.endswith(":2h")


def test_no_reminder_outside_the_lead_times_or_after_the_deadline(django_capture_on_commit_callbacks):
    deal = contracting_project()
    due = refetch(deal.engagement).contract_due
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=30))
        reminders_sweep(due + datetime.timedelta(minutes=1))
    assert not Notification.objects.filter(kind=Notification.Kind.REMINDER).exists()


def test_lead_times_come_from_the_settings(settings, django_capture_on_commit_callbacks):
    settings.ZJCS_REMINDER_LEAD_HOURS = [48]
    deal = contracting_project()
    due = refetch(deal.engagement).contract_due
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=40))
    (note,) = Notification.objects.filter(kind=Notification.Kind.REMINDER)
    assert note.key.endswith(":48h")


def test_the_winners_confirmation_deadline_is_reminded(django_capture_on_commit_callbacks):
    project, pool = awarded_project()
    _winner, user = winner_of(project, pool)
    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders_sweep(refetch(project).publicity_ends_at - datetime.timedelta(hours=1))
    assert sent["confirm_win"] == 1
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER, recipient=user).count() == 1


def test_a_notice_of_a_measure_tells_the_agency_with_its_response_period(django_capture_on_commit_callbacks):
    supervisor = supervisor_user()
    agency, _membership, user = admitted_agency(supervisor=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        case = notified_case(agency, supervisor)
    (note,) = Notification.objects.filter(kind=Notification.Kind.MEASURE_NOTICE)
    assert note.recipient == user and note.deadline == case.response_due
    (message,) = [m for m in mail.outbox if "信用惩戒告知书" in m.subject]
    assert "暂停" in message.subject and local(case.response_due) in message.body

    # and its response deadline is reminded by the sweep
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep(case.response_due - datetime.timedelta(hours=1))["case_response"] == 1


def test_a_decided_objection_is_told(django_capture_on_commit_callbacks):
    supervisor = supervisor_user()
    agency, _membership, user = admitted_agency(supervisor=supervisor)
    entry = warn(agency, supervisor)
    objection = objection_services.objection_submit(
        entry=entry, actor=user, reason="该警告所述事实有误，已按期提交成果。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert objection_services.objection_decide(
            objection=objection, actor=supervisor, overturn=True, note="核实无误，撤销。"
        ).ok
    (note,) = Notification.objects.filter(kind=Notification.Kind.OBJECTION_DECIDED)
    assert note.recipient == user and note.params["overturned"] is True


def test_a_record_that_became_repairable_gets_one_repair_reminder(django_capture_on_commit_callbacks):
    supervisor = supervisor_user()
    agency, _membership, user = admitted_agency(supervisor=supervisor)
    entry: LedgerEntry = warn(agency, supervisor)
    assert entry.repairable_after is not None
    with django_capture_on_commit_callbacks(execute=True):
        before = reminders_sweep(entry.repairable_after - datetime.timedelta(days=1))["repairable"]
        first = reminders_sweep(entry.repairable_after + datetime.timedelta(days=1))["repairable"]
        again = reminders_sweep(entry.repairable_after + datetime.timedelta(days=2))["repairable"]
    assert (before, first, again) == (0, 1, 0)
    (note,) = Notification.objects.filter(kind=Notification.Kind.REPAIRABLE)
    assert note.recipient == user and note.link == f"/agency/credit/{entry.pk}/repair/"


def test_channels_follow_the_persons_choice_and_sms_goes_through_the_provider(
    django_capture_on_commit_callbacks, caplog
):
    deal = contracting_project()
    NotificationPreference.objects.create(user=deal.winner_user, email=False, sms=True, phone="13800000000")
    due = refetch(deal.engagement).contract_due
    mail.outbox.clear()
    with (
        caplog.at_level("INFO", logger="workflows.services.notifications.channels"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminders_sweep(due - datetime.timedelta(hours=1))
    note = Notification.objects.get(kind=Notification.Kind.REMINDER)
    assert mail.outbox == []
    assert set(note.deliveries.values_list("channel", "status")) == {("in_app", "sent"), ("sms", "sent")}
    assert "13800000000" in caplog.text and deal.project.code in caplog.text


def test_a_failing_channel_is_logged_and_does_not_stop_the_sweep(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.workflows.services.test_notifications.BrokenBackend"
    deal = contracting_project()
    due = refetch(deal.engagement).contract_due
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=1))
    delivery = NotificationDelivery.objects.get(channel="email")
    assert delivery.status == "failed" and "smtp down" in delivery.detail


class BrokenBackend:
    """An e-mail backend whose server is down (a real failure path, not a mock of the service)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("smtp down")


def test_the_beat_schedule_runs_the_reminder_sweep():
    entry = celery_app.conf.beat_schedule["reminders-sweep"]
    assert entry["task"] == "workflows.tasks.reminders_sweep"
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "workflows.tasks.reminders_sweep" in celery_app.tasks
    assert "workflows.services.notifications.dispatch.notification_event_send" in celery_app.tasks


class RecordingSmsProvider:
    """An SMS provider a deployment might name in the settings: keeps what it was asked to send."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> str:
        self.sent.append((phone, text))
        return f"ref-{len(self.sent)}"


def test_the_settings_choose_the_sms_provider(settings, django_capture_on_commit_callbacks):
    settings.ZJCS_SMS_PROVIDER = "tests.workflows.services.test_notifications.RecordingSmsProvider"
    RecordingSmsProvider.sent.clear()
    deal = contracting_project()
    NotificationPreference.objects.create(user=deal.winner_user, sms=True, phone="13900000000")
    due = refetch(deal.engagement).contract_due
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(due - datetime.timedelta(hours=1))
    ((phone, text),) = RecordingSmsProvider.sent
    assert phone == "13900000000" and deal.project.code in text and local(due) in text
    assert NotificationDelivery.objects.get(channel="sms").detail == "ref-1"
