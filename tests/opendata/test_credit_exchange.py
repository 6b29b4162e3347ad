"""The credit exchange end to end over real HTTP: the local stand-in platform runs in the live server and the
exchange's endpoint points at it (no HTTP mock). Celery runs eager here, so a retry runs at once."""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request

import pytest
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import ExternalListImport, ExternalListing, LedgerEntry, MeasureKind
from credit_rules.rules.base import code_of
from credit_rules.rules.escalation import listing_suspends
from credit_rules.services import subject_for_agency
from marketplace.validators import org_code_for_serial, uscc_build
from opendata.exchange import client
from opendata.exchange.feedback import feedback_list
from opendata.exchange.format import VERSION
from opendata.exchange.outbox import PUSH_CURSOR, entries_enqueue
from opendata.exchange.pull import list_pull
from opendata.exchange_models import (
    DeliveryAttempt,
    ExchangeCursor,
    ExternalPull,
    OutboxMessage,
    StandinListing,
    StandinReceived,
)
from opendata.tasks import MAX_RETRIES, exchange_push
from tests.factories import admitted_agency
from tests.factories.credit import apply_measure
from tests.factories.people import operator_user
from tests.helpers import refetch
from workflows.models import Membership

# serialized_rollback: the flush after each test would otherwise take the migrations' data (regions, policy) with it
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOKEN = "exchange-test-token"


@pytest.fixture
def platform(live_server, settings):
    """The exchange pointed at the stand-in platform served by the live server."""
    settings.ZJCS_CREDIT_EXCHANGE_URL = f"{live_server.url}/exchange-standin/"
    settings.ZJCS_CREDIT_EXCHANGE_TOKEN = TOKEN
    return live_server


def stand_in_fails_next(n: int) -> None:
    answer = client.post_json("faults/", {"fail_next": n})
    assert answer.status == 200, answer


def suspended(agency) -> LedgerEntry:
    (entry,) = apply_measure(agency, MeasureKind.SUSPEND, months=1)
    assert entry.kind == LedgerEntry.Kind.MEASURE
    return entry


def received(message_id: str) -> list[dict]:
    return [r.payload for r in StandinReceived.objects.filter(message_id=message_id)]


def listed_on_stand_in(agency_or_uscc, *, source="sxbzxr", name=None, delisted_on=None) -> StandinListing:
    uscc = getattr(agency_or_uscc, "uscc", agency_or_uscc)
    return StandinListing.objects.create(
        source=source,
        uscc=uscc,
        name=name or agency_or_uscc.name,
        reason="未履行生效法律文书确定的义务",
        listed_on=timezone.localdate() - datetime.timedelta(days=3),
        delisted_on=delisted_on,
    )


# --- push ---------------------------------------------------------------------------------------------


def test_a_measure_is_pushed_to_the_platform_once_even_when_the_push_runs_twice(platform):
    agency, _membership, _user = admitted_agency()
    entry = suspended(agency)

    exchange_push.delay()
    exchange_push.delay()

    (payload,) = received(entry.hash)
    assert payload["version"] == VERSION and payload["type"] == "measure" and payload["measure"] == "suspend"
    assert payload["subject"] == {"uscc": agency.uscc, "name": agency.name}
    assert payload["ledger"]["hash"] == entry.hash and payload["ends"] is None
    assert "evidence" not in payload and "recorded_by" not in json.dumps(payload)
    message = OutboxMessage.objects.get(message_id=entry.hash)
    assert message.delivered_at is not None and message.attempts == 1
    assert [(a.status_code, a.delivered) for a in DeliveryAttempt.objects.filter(message=message)] == [(200, True)]
    # the platform deduplicates by the message id: the same message again is a 409, which counts as delivered
    assert client.post_json("messages/", message.payload).status == 409
    assert StandinReceived.objects.filter(message_id=entry.hash).count() == 1


def test_a_failed_delivery_is_retried_and_the_log_shows_both_attempts(platform):
    agency, _membership, _user = admitted_agency()
    entry = suspended(agency)
    stand_in_fails_next(1)

    exchange_push.delay()

    message = OutboxMessage.objects.get(message_id=entry.hash)
    log = list(DeliveryAttempt.objects.filter(message=message).order_by("pk"))
    assert [(a.status_code, a.delivered) for a in log] == [(500, False), (200, True)]
    assert "500" in log[0].error
    assert message.delivered_at is not None and message.attempts == 2
    assert len(received(entry.hash)) == 1


def test_a_message_the_retries_could_not_deliver_goes_with_the_next_push(platform):
    agency, _membership, _user = admitted_agency()
    entry = suspended(agency)
    stand_in_fails_next(MAX_RETRIES + 1)

    exchange_push.delay()
    message = OutboxMessage.objects.get(message_id=entry.hash)
    assert message.delivered_at is None and message.attempts == MAX_RETRIES + 1 and received(entry.hash) == []

    exchange_push.delay()  # the platform is back
    message = refetch(message)
    assert message.delivered_at is not None and message.attempts == MAX_RETRIES + 2
    assert len(received(entry.hash)) == 1
    assert OutboxMessage.objects.filter(message_id=entry.hash).count() == 1


def test_the_cursor_resumes_after_the_last_settled_entry(platform):
    agency, _membership, _user = admitted_agency()
    first = suspended(agency)
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert [e.pk for e in entries_enqueue(now=later)] == [first.pk]
    assert ExchangeCursor.objects.get(name=PUSH_CURSOR).last_entry_id == first.pk
    assert entries_enqueue(now=later) == []  # nothing read again
    # an entry younger than the settling time is enqueued, and read once more next time (the cursor waits)
    other, _m, _u = admitted_agency()
    second = suspended(other)
    assert [e.pk for e in entries_enqueue()] == [second.pk]
    assert [e.pk for e in entries_enqueue()] == [second.pk]
    assert OutboxMessage.objects.filter(entry=second).count() == 1


def test_the_stand_in_refuses_a_request_without_the_token(platform):
    request = urllib.request.Request(f"{platform.url}/exchange-standin/lists/sxbzxr/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert client.get("lists/sxbzxr/").status == 200  # the exchange sends its token


# --- pull and feedback --------------------------------------------------------------------------------


def test_a_pulled_list_suspends_a_listed_member_through_the_upload_services(platform):
    agency, membership, _user = admitted_agency()
    listed_on_stand_in(agency)

    pull = list_pull("sxbzxr")

    assert pull.outcome == ExternalPull.Outcome.IMPORTED and pull.status_code == 200
    assert (pull.rows, pull.affected) == (1, 1)
    assert refetch(membership).state == Membership.State.SUSPENDED
    listing = ExternalListing.objects.get(uscc=agency.uscc)
    assert listing.batch == pull.batch and listing.source == "失信被执行人名单"
    assert ExternalListImport.objects.filter(pk=pull.batch.pk, rows=1).exists()
    entry = LedgerEntry.objects.get(subject=subject_for_agency(agency), measure=MeasureKind.SUSPEND)
    assert entry.rule_code == code_of(listing_suspends)
    # the same list again is recorded and not imported twice
    again = list_pull("sxbzxr")
    assert again.outcome == ExternalPull.Outcome.UNCHANGED and again.batch is None
    assert ExternalListImport.objects.count() == 1


def test_feedback_says_what_was_done_for_each_listing_and_is_pushed_back(platform, client):
    agency, membership, _user = admitted_agency()
    stranger = uscc_build(region_code="330100", org_code=org_code_for_serial(987654))
    listing = listed_on_stand_in(agency)
    listed_on_stand_in(stranger, name="杭州某某咨询有限公司")
    assert list_pull("sxbzxr").outcome == ExternalPull.Outcome.IMPORTED

    # delisted on the platform: the next pull restores the member
    StandinListing.objects.filter(pk=listing.pk).update(delisted_on=timezone.localdate())
    assert list_pull("sxbzxr").outcome == ExternalPull.Outcome.IMPORTED
    assert refetch(membership).state == Membership.State.ACTIVE

    actions = {(f["listing"]["uscc"], f["action"]) for f in feedback_list()}
    assert actions == {(agency.uscc, "suspended"), (agency.uscc, "restored"), (stranger, "no_member")}

    exchange_push.delay()
    pushed = StandinReceived.objects.filter(channel="feedback")
    assert {(p.payload["listing"]["uscc"], p.payload["action"]) for p in pushed} == actions
    # the suspension and its end went as measure messages, the end naming the message of the measure
    suspension = LedgerEntry.objects.get(subject=subject_for_agency(agency), measure=MeasureKind.SUSPEND)
    (end,) = [r.payload for r in StandinReceived.objects.filter(channel="measure") if r.payload["type"] == "end"]
    assert end["ends"] == {"message_id": suspension.hash, "reason": "lifted"}

    client.force_login(operator_user())
    csv_text = client.get(reverse("operator-exchange-fb-csv")).content.decode()
    assert csv_text.splitlines()[0].startswith("version,message_id,type,source,uscc")
    assert f"{stranger}" in csv_text and "no_member" in csv_text and "restored" in csv_text
    doc = json.loads(client.get(reverse("operator-exchange-fb-json")).content)
    assert doc["version"] == VERSION and len(doc["items"]) == 3


def test_a_red_list_is_received_and_not_applied(platform):
    agency, membership, _user = admitted_agency()
    listed_on_stand_in(agency, source="red")
    pull = list_pull("red")
    assert pull.outcome == ExternalPull.Outcome.RECEIVED and pull.rows == 1 and pull.batch is None
    assert pull.items[0]["uscc"] == agency.uscc
    assert refetch(membership).state == Membership.State.ACTIVE
    assert not ExternalListing.objects.exists()


def test_a_list_with_a_bad_row_is_rejected_whole(platform):
    agency, membership, _user = admitted_agency()
    listed_on_stand_in(agency)
    listed_on_stand_in("91330100BADBADBAD0", name="某公司")
    pull = list_pull("sxbzxr")
    assert pull.outcome == ExternalPull.Outcome.REJECTED and "uscc" in pull.error
    assert refetch(membership).state == Membership.State.ACTIVE
    assert not ExternalListing.objects.exists() and not ExternalListImport.objects.exists()


def test_an_unreachable_platform_is_recorded_as_a_failed_pull(settings):
    settings.ZJCS_CREDIT_EXCHANGE_URL = "http://127.0.0.1:9/exchange-standin/"
    pull = list_pull("yzsxzt")
    assert pull.outcome == ExternalPull.Outcome.FAILED and pull.status_code is None and pull.error
