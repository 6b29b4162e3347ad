"""Query budgets of the signed-in pages not kept by their own modules' tests (tests/query_budgets.py): each
costs the same number of queries with 3 rows and with 30, and no more than its budget."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    agencies,
    awarded_project,
    buyer_user,
    operator_user,
    published_project,
    submitted_project,
)
from tests.helpers import logged_in, query_count
from tests.query_budgets import BUDGETS
from workflows.models import Notification
from workflows.services.notifications.service import notify
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def _same_for_3_and_30(client, url: str, add_rows, count_rows) -> int:
    """The queries of ``url`` with 3 rows, then with 30 (``add_rows(n)`` adds n); both must be equal."""
    add_rows(3)
    assert count_rows() == 3
    three = query_count(client, url, warm=True)
    add_rows(27)
    assert count_rows() == 30
    thirty = query_count(client, url)
    assert three == thirty, (url, three, thirty)
    return thirty


def test_the_inbox_costs_the_same_for_3_and_30_messages():
    user = buyer_user()
    client = logged_in(user)
    sent = []

    def add(n: int) -> None:
        for _ in range(n):
            sent.append(len(sent))
            notify(
                recipients=[user],
                kind=Notification.Kind.REPAIRABLE,
                key=f"r:{len(sent)}",
                params={"entry": f"信用警告 {len(sent)}"},
                link="/",
            )

    def shown() -> int:
        return len(client.get(reverse("inbox")).context["rows"])

    assert _same_for_3_and_30(client, reverse("inbox"), add, shown) <= BUDGETS["inbox"]


def test_the_agencys_sign_ups_cost_the_same_for_3_and_30():
    ((agency, user),) = agencies(1)
    buyer, operator = buyer_user(), operator_user()
    client = logged_in(user)
    url = reverse("agency-signups")

    def add(n: int) -> None:
        for _ in range(n):
            project = published_project(buyer=buyer, operator=operator)
            assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="50000").ok

    def shown() -> int:
        return len(client.get(url).context["page"].signups)

    assert _same_for_3_and_30(client, url, add, shown) <= BUDGETS["agency-signups"]


def test_the_buyers_projects_cost_the_same_for_3_and_30():
    buyer = buyer_user()
    client = logged_in(buyer)
    url = reverse("buyer-projects")

    def add(n: int) -> None:
        for _ in range(n):
            submitted_project(buyer)

    def shown() -> int:
        return len(client.get(url).context["rows"])

    assert _same_for_3_and_30(client, url, add, shown) <= BUDGETS["buyer-projects"]


def test_one_projects_pages_keep_their_budgets():
    # given an awarded draw (three sign-ups) and an open project one of the agencies may still sign up for
    buyer = buyer_user()
    project, pool = awarded_project(buyer=buyer)
    agency, user = pool[0]
    open_project = published_project(buyer=buyer)

    # then the agency's page of the open project (the gate previews its sign-up) and the buyer's page of the
    # awarded one keep their budgets, and so does the agency's membership page
    agency_client, buyer_client = logged_in(user), logged_in(buyer)
    url = reverse("agency-project", kwargs={"code": open_project.code})
    assert query_count(agency_client, url, warm=True) <= BUDGETS["agency-project"]
    assert agency_client.get(url).context["page"].may_try_sign_up
    url = reverse("buyer-project", kwargs={"code": project.code})
    assert query_count(buyer_client, url, warm=True) <= BUDGETS["buyer-project"]
    assert query_count(agency_client, reverse("agency-membership"), warm=True) <= BUDGETS["agency-membership"]
