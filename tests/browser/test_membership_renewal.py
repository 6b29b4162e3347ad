"""The membership term in a real Chromium: the agency is prompted before its term ends, asks to renew and is
told the request went to review (no red refusal); the supervisor finds it in the renewals queue and renews
it. And a buyer unit's public 政务诚信 pages pass axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import Source
from credit_rules.rules import REGISTRY
from credit_rules.rules.base import code_of
from credit_rules.rules.service import late_payment
from credit_rules.services import event_record, subject_for_buyer
from tests.factories import AgencyFactory, BuyerUnitFactory, admitted_agency, agency_user, supervisor_user
from tests.helpers import refetch
from workflows.models import Membership

from .axe import axe_run, serious
from .flows import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _serialized_rollback_inside_playwright(browser, transactional_db):
    """Restore the migrated default data when serialized_rollback could not (see test_supervisor_warning)."""
    from django.db import connections

    sync_side = object.__getattribute__(connections._connections, "_storage")
    for alias in connections:
        in_loop = connections[alias]
        contents = getattr(getattr(sync_side, alias, None), "_test_serialized_contents", None)
        if contents and not hasattr(in_loop, "_test_serialized_contents"):
            in_loop._test_serialized_contents = contents
            in_loop.creation.deserialize_db_from_string(contents)


def test_the_agency_asks_to_renew_and_the_supervisor_renews_from_the_queue(page, browser, live_server):
    # given a fresh grade-A member whose term ends in 20 days, and a supervisor over it
    supervisor_user(username="sup_renew")
    agency = AgencyFactory()
    clerk = agency_user(agency, username="clerk_renew")
    agency, membership, _clerk = admitted_agency(agency, user=clerk)
    ends = timezone.localdate() + datetime.timedelta(days=20)
    Membership.objects.filter(pk=membership.pk).update(term_until=ends)

    # when the agency opens its membership page: the end is announced, with the renewal action
    log_in(page, "clerk_renew")
    page.goto("/agency/membership/")
    prompt = page.locator("#term-prompt").inner_text()
    assert f"入驻有效期将于 {ends.isoformat()} 届满" in prompt and "还剩 20 天" in prompt

    # and asks to renew
    page.get_by_role("button", name="申请续期").click()
    page.wait_for_load_state()

    # then it is told the request went to review — not a red refusal — and the request is shown
    assert "续期申请已提交，请等待监管部门审核" in page.locator("main").inner_text()
    assert page.locator(".reasons").count() == 0
    assert page.locator("#renewal-pending").is_visible()
    assert page.get_by_role("button", name="申请续期").count() == 0

    # when the supervisor opens the queue in a session of its own
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    supervisor_page = context.new_page()
    log_in(supervisor_page, "sup_renew")
    supervisor_page.goto("/supervisor/")
    renewals = supervisor_page.locator("section[aria-labelledby=q-renewals]")
    row = renewals.locator("tr", has_text=agency.name)
    assert "申请续期" in row.inner_text()
    row.get_by_role("button", name="续期").click()
    supervisor_page.wait_for_load_state()

    # then the term is extended and the request done
    assert re.search(r"已为「.+」续期，入驻有效期至 \d{4}-\d{2}-\d{2}", supervisor_page.locator("main").inner_text())
    context.close()
    renewed = refetch(membership)
    assert renewed.term_until > ends and renewed.renewal_requested_at is None


def test_the_buyer_pages_pass_axe(page):
    # given a buyer unit with a late payment on its record
    unit = BuyerUnitFactory(supervising_department="惠州市人民政府")
    event_record(
        subject=subject_for_buyer(unit),
        code="BUYER_LATE_PAYMENT",
        source=Source.RULE,
        rule_code=code_of(late_payment),
        basis=str(REGISTRY[code_of(late_payment)].basis),
        evidence={"summary": "项目 ZJCS-2026-000101 服务费逾期未付。", "project": "ZJCS-2026-000101"},
    )
    found = {}
    for url in (reverse("buyer-directory"), reverse("buyer-record", args=[unit.uscc])):
        # when axe-core checks each page
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert unit.name in page.locator("main").inner_text()
        report = axe_run(page)
        assert report["passed"] > 10, report
        if serious(report):
            found[url] = serious(report)
    # then there is no serious or critical violation
    assert found == {}
