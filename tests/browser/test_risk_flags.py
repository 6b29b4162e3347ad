"""A supervisor reviews risk flags in a real Chromium: dismisses one with a reason, opens a case from another."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    agencies,
    buyer_user,
    operator_user,
    published_project,
    signup_closed,
    signups_submit,
    supervisor_user,
)
from workflows.models import CreditCase, RiskFlag
from workflows.services.risk import risk_flags_scan

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_supervisor_dismisses_one_flag_and_opens_a_case_from_another(browser, live_server):
    # given a buyer that directly selected the same agency three times, and a price project with two equal quotes
    supervisor_user(username="sup_risk")
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    favourite = pool[0][0]
    for _ in range(3):
        published_project(
            "direct", buyer=buyer, operator=operator, direct_agency=favourite, direct_reason="熟悉前期情况。"
        )
    project = published_project("price", buyer=buyer, operator=operator)
    signups_submit(project, pool, [Decimal("61234.56"), Decimal("61234.56"), Decimal("47123.45")])
    signup_closed(project)
    # and the periodic scan, once the deadlines have passed
    assert risk_flags_scan(timezone.now() + datetime.timedelta(days=30)) == {
        "quotes_equal": 1,
        "direct_concentration": 1,
    }

    # when the supervisor follows 风险提示 from its workspace
    desk = session(browser, live_server, "sup_risk")
    desk.get_by_role("link", name="风险提示（待核查的交易模式）").click()
    assert desk.locator("h1").inner_text() == "风险提示"
    rows = desk.locator("#risk-flags tbody tr")
    assert rows.count() == 2

    # and opens the direct-selection flag, whose evidence shows the share and the three projects
    rows.filter(has_text="直接选取集中于同一机构").get_by_role("link", name="核查").click()
    assert desk.get_by_test_id("risk-share").inner_text() == "3/3"
    assert desk.get_by_test_id("risk-projects").locator("tbody tr").count() == 3

    # and dismisses it without a reason: refused, the flag still open
    desk.get_by_role("button", name="排除该提示").click()
    assert "请填写排除理由" in desk.locator("main").inner_text()
    assert desk.get_by_test_id("flag-state").inner_text() == "待核查"

    # then with one
    desk.get_by_label("排除理由").fill("该机构为本区唯一承担过前期测绘的单位，选取理由经核实。")
    desk.get_by_role("button", name="排除该提示").click()
    desk.wait_for_load_state()
    assert "已排除该风险提示" in desk.locator(".messages").inner_text()
    assert desk.get_by_test_id("flag-state").inner_text() == "已排除"
    assert "唯一承担过前期测绘" in desk.get_by_test_id("flag-reason").inner_text()

    # when it goes back to the list: only the equal-quotes flag is left open
    desk.get_by_role("link", name="返回风险提示列表").click()
    assert rows.count() == 1
    rows.get_by_role("link", name="核查").click()
    assert "61234.56" in desk.get_by_test_id("risk-quotes").inner_text()

    # and opens a case against one of the two agencies that quoted the same
    desk.get_by_label("对象机构").select_option(favourite.uscc)
    desk.get_by_label("拟采取措施").select_option("restrict")
    desk.get_by_label("事实与依据").fill("两家机构报价精确到分相同，经调取投标文件，编制人员为同一人。")
    desk.get_by_role("button", name="下一步：核对立案信息").click()
    assert desk.get_by_test_id("confirm-uscc").inner_text() == favourite.uscc
    desk.get_by_role("button", name="确认立案").click()
    desk.wait_for_url("**/supervisor/cases/*/")

    # then the case is proposed, and the flag says so
    case = CreditCase.objects.get()
    assert case.agency == favourite and case.state == "proposed" and case.measure == "restrict"
    flags = {f.kind: f for f in RiskFlag.objects.all()}
    assert flags["quotes_equal"].state == "case_opened" and flags["quotes_equal"].case == case
    assert flags["direct_concentration"].state == "dismissed"
    desk.context.close()
