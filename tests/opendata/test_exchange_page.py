"""The operator's exchange page: who may see it, what it lists, and its query budget (the same for 3 and 30 rows
of each list). The platform here is an address nothing listens on, so every delivery and pull fails, for real."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import MeasureKind
from opendata.exchange.outbox import deliver, entries_enqueue, pending_ids
from opendata.exchange.pull import list_pull
from opendata.exchange_models import DeliveryAttempt, ExternalPull, StandinListing
from tests.factories import admitted_agency
from tests.factories.credit import apply_measure, listing_csv, listing_row
from tests.factories.people import AgencyFactory, agency_user, operator_user
from tests.helpers import logged_in, page_text, query_count
from tests.query_budgets import BUDGETS
from workflows.services.credit.external import external_list_import

pytestmark = pytest.mark.django_db

NOWHERE = "http://127.0.0.1:9/exchange/"


@pytest.fixture
def nowhere(settings):
    settings.ZJCS_CREDIT_EXCHANGE_URL = NOWHERE


def _add(n: int) -> None:
    """n agencies, each with a measure pushed (and failed), listed on an imported list, and a failed pull."""
    for _ in range(n):
        agency = AgencyFactory()
        apply_measure(agency, MeasureKind.SUSPEND, months=1)
        external_list_import(
            content=listing_csv(listing_row(agency, listed_on=timezone.localdate())), filename="list.csv"
        )
        list_pull("sxbzxr")
    entries_enqueue()
    for pk in pending_ids():
        deliver(pk)


def test_the_exchange_page_costs_the_same_for_3_and_30_rows(nowhere):
    client = logged_in(operator_user())
    url = reverse("operator-exchange")
    _add(3)
    three = query_count(client, url, warm=True)
    _add(27)
    assert ExternalPull.objects.count() == 30 and DeliveryAttempt.objects.count() >= 30
    thirty = query_count(client, url)
    assert three == thirty <= BUDGETS["operator-exchange"], (three, thirty)


def test_the_page_shows_the_outbox_the_log_the_pulls_and_the_feedback(nowhere):
    _add(1)
    text = page_text(logged_in(operator_user()).get(reverse("operator-exchange")))
    assert NOWHERE in text
    assert "失信被执行人名单" in text and "拉取失败" in text  # the pull
    assert "待投递" in text and "失败，将重试" in text  # the outbox and the log
    assert "暂停其交易资格" in text  # the feedback on the imported listing


def test_only_the_operator_sees_the_exchange(nowhere):
    for name in ("operator-exchange", "operator-exchange-fb-csv", "operator-exchange-out-json"):
        assert logged_in(agency_user()).get(reverse(name)).status_code == 403
    assert logged_in(operator_user()).post(reverse("operator-exchange"), {"action": "push"}).status_code == 302


def test_the_demo_gives_the_stand_in_lists_to_serve_once():
    agency, _membership, _user = admitted_agency()
    call_command("exchange_standin_seed", stdout=StringIO())
    rows = {(r.source, r.uscc) for r in StandinListing.objects.all()}
    assert ("sxbzxr", agency.uscc) in rows and ("red", agency.uscc) in rows and len(rows) == 3
    call_command("exchange_standin_seed", stdout=StringIO())
    assert StandinListing.objects.count() == 3
