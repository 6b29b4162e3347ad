"""The credit exchange in a real Chromium: the operator pushes the platform's measures and pulls an external
list from the exchange page; the live server serves both the page and the stand-in credit platform."""

import datetime

import pytest
from django.utils import timezone

from credit_rules.models import MeasureKind
from opendata.exchange_models import StandinListing, StandinReceived
from tests.factories import admitted_agency
from tests.factories.credit import apply_measure
from tests.factories.people import operator_user
from tests.helpers import refetch
from workflows.models import Membership

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_operator_pushes_and_pulls_from_the_exchange_page(browser, live_server, settings):
    # given the exchange pointed at the stand-in platform, a suspended agency, and a member on the platform's list
    settings.ZJCS_CREDIT_EXCHANGE_URL = f"{live_server.url}/exchange-standin/"
    suspended, _m, _u = admitted_agency()
    (entry,) = apply_measure(suspended, MeasureKind.SUSPEND, months=1)
    listed, membership, _u = admitted_agency()
    StandinListing.objects.create(
        source="sxbzxr",
        uscc=listed.uscc,
        name=listed.name,
        reason="未履行生效法律文书确定的义务",
        listed_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    operator_user(username="op_exchange")

    # when the operator opens the exchange page from the review queue
    page = session(browser, live_server, "op_exchange")
    page.goto("/operator/")
    page.get_by_role("link", name="信用信息交换").click()
    page.wait_for_url("**/operator/exchange/")
    assert live_server.url in page.locator("#endpoint").inner_text()
    assert "发件箱为空" in page.inner_text("main")

    # and pushes now
    page.get_by_role("button", name="立即推送").click()
    page.wait_for_url("**/operator/exchange/")

    # then the measure went to the platform once, and the outbox and the delivery log say so
    assert "已开始推送" in page.locator(".messages").inner_text()
    row = page.locator(f'#outbox tr[data-message="{entry.hash}"]')
    assert suspended.uscc in row.inner_text() and "待投递" not in row.inner_text()
    assert "200" in page.locator("#attempts").inner_text() and "已送达" in page.locator("#attempts").inner_text()
    assert StandinReceived.objects.filter(message_id=entry.hash).count() == 1

    # when the operator pulls the 失信被执行人 list
    page.get_by_label("要拉取的名单").select_option("sxbzxr")
    page.get_by_role("button", name="立即拉取").click()
    page.wait_for_url("**/operator/exchange/")

    # then the listed member is suspended, the pull is recorded and the feedback says what was done
    assert "已导入" in page.locator(".messages").inner_text()
    assert "已导入" in page.locator('#pulls tr[data-source="sxbzxr"]').inner_text()
    assert refetch(membership).state == Membership.State.SUSPENDED
    feedback = page.locator(f'#feedback tr[data-uscc="{listed.uscc}"]')
    assert feedback.get_attribute("data-action") == "suspended" and "暂停其交易资格" in feedback.inner_text()

    # and the next push takes the feedback back to the platform
    page.get_by_role("button", name="立即推送").click()
    page.wait_for_url("**/operator/exchange/")
    assert StandinReceived.objects.filter(channel="feedback", payload__listing__uscc=listed.uscc).exists()
