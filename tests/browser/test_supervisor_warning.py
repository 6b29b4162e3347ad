"""A supervisor issues credit warnings in a real Chromium; the second one suspends the agency by itself."""

import re

import pytest

from credit_rules.models import CreditSubject
from tests.factories import admitted_agency, supervisor_user
from workflows.models import Membership

from .flows import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _serialized_rollback_inside_playwright(browser, transactional_db):
    """Restore the migrated default data when serialized_rollback could not.

    While Playwright's event loop runs in this thread, Django's connections are context-local: when
    the test database was set up before the browser started (a non-browser test ran first), the
    serialized data sits on the sync-side connection and the in-loop one restores nothing after an
    earlier transactional test flushed the tables. Hand the data over and restore it here.
    """
    from django.db import connections

    sync_side = object.__getattribute__(connections._connections, "_storage")
    for alias in connections:
        in_loop = connections[alias]
        contents = getattr(getattr(sync_side, alias, None), "_test_serialized_contents", None)
        if contents and not hasattr(in_loop, "_test_serialized_contents"):
            in_loop._test_serialized_contents = contents
            in_loop.creation.deserialize_db_from_string(contents)


def fill_warning(page, facts: str, summary: str) -> None:
    page.get_by_label("事实与依据").fill(facts)
    page.get_by_label("证据摘要（公开）").fill(summary)
    page.get_by_role("button", name="确认记录").click()
    page.wait_for_url(re.compile(r"/supervisor/events/\d+/$"))


def test_supervisor_warns_twice_and_sees_the_automatic_suspension(page):
    # given a supervisor and an agency admitted through the real entry path
    supervisor = supervisor_user(username="sup_browser")
    agency, membership, _agency_login = admitted_agency(supervisor=supervisor)

    # when the supervisor logs in and opens the event form
    log_in(page, "sup_browser")
    page.goto("/supervisor/events/new/")
    assert page.locator("h1").inner_text() == "发布信用警告 / 记录信用事件"

    # and finds the agency by name and picks it
    page.get_by_label("机构名称或统一社会信用代码").fill(agency.name)
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=f"选择 {agency.name}").click()
    assert page.get_by_label("机构统一社会信用代码").input_value() == agency.uscc
    assert page.get_by_label("信用事项").input_value() == "CREDIT_WARNING"

    # and issues a warning
    fill_warning(
        page, "2026 年 3 月承接的估价项目逾期 40 日提交成果，经核查属实。", "估价项目逾期提交成果，经核查属实。"
    )

    # then the confirmation shows the entry and the new score
    assert page.locator("h1").inner_text() == "信用事件已记录"
    standing = page.get_by_test_id("new-standing").inner_text()
    assert "95" in standing and "正常" in standing
    assert "本次记录未触发自动措施" in page.locator("main").inner_text()

    # when a second warning follows within twelve months
    page.get_by_role("link", name="继续为该机构记录").click()
    assert page.get_by_label("机构统一社会信用代码").input_value() == agency.uscc
    fill_warning(page, "2026 年 5 月另一项目成果质量不合格，经复核属实。", "另一项目成果质量不合格，经复核属实。")

    # then the page says the agency was suspended by the policy, and until when
    followups = page.get_by_test_id("followups").inner_text()
    assert re.search(r"已自动暂停至 \d{4}-\d{2}-\d{2}", followups)
    assert "CR-ESC-001" in followups
    assert "90" in page.get_by_test_id("new-standing").inner_text()

    # and the database agrees
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.SUSPENDED
    subject = CreditSubject.objects.get(agency=agency)
    assert subject.is_suspended and subject.warning_count == 2
