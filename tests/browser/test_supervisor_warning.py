"""A supervisor issues credit warnings in a real Chromium; the second one sets off the policy's suspension, told to
the agency first (失信告知) and applied by the credit sweep when the response period runs out unanswered."""

import datetime
import re

import pytest
import time_machine
from dateutil.relativedelta import relativedelta

from credit_rules.models import CreditSubject
from tests.factories import admitted_agency, pending_notice, supervisor_user
from tests.helpers import after, close_to
from workflows import tasks
from workflows.models import CreditCase, Membership

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
    page.get_by_role("button", name="下一步：核对信息").click()
    page.get_by_role("button", name="确认并提交").click()
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

    # then the page says the policy's suspension was told to the agency first, with the rule and the deadline
    notices = page.get_by_test_id("notices").inner_text()
    assert "已告知机构拟采取「暂停」" in notices and "CR-ESC-001" in notices
    assert re.search(r"陈述申辩截止 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", notices)
    assert "90" in page.get_by_test_id("new-standing").inner_text()
    # and nothing is in force yet
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.ACTIVE
    notice = pending_notice(agency)

    # when the response period runs out unanswered (the whole process, live server included, moves past it)
    # and the credit sweep runs (as Celery beat would)
    with time_machine.travel(after(notice.response_due), tick=True):
        tasks.credit_sweep()

        # then the agency is suspended by the policy for a calendar month, and the notice's page says so
        suspended = Membership.objects.get(pk=membership.pk)
        assert suspended.state == Membership.State.SUSPENDED
        assert close_to(suspended.suspended_until, after(notice.response_due) + relativedelta(months=1))
        subject = CreditSubject.objects.get(agency=agency)
        assert subject.is_suspended and subject.warning_count == 2
        page.get_by_role("link", name="查看告知").click()
        assert page.get_by_test_id("case-state").inner_text() == str(CreditCase.State.APPLIED.label)
        start, end = re.search(
            r"暂停交易资格（(\d{4}-\d{2}-\d{2}) — (\d{4}-\d{2}-\d{2})）", page.locator("main").inner_text()
        ).groups()
        assert datetime.date.fromisoformat(start) + relativedelta(months=1) == datetime.date.fromisoformat(end)
