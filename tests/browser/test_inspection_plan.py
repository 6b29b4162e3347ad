"""A random-inspection plan end to end in a real Chromium: the supervisor publishes a plan and draws it, the
public page re-verifies the draw in the browser, the supervisor records a failed inspection, and the
agency's public credit page shows the entry the rule recorded."""

import re

import pytest

from tests.factories import admitted_agency, supervisor_user
from workflows.models import InspectionPlan, InspectionTarget

from .flows import log_in
from .test_supervisor_warning import _serialized_rollback_inside_playwright  # noqa: F401  (autouse fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_plan_is_drawn_verified_in_the_browser_and_its_finding_reaches_the_credit_page(page):
    # given a supervisor, a colleague of the same department and three agencies in the market (all grade A)
    chief = supervisor_user(username="insp_chief")
    supervisor_user(username="insp_two")
    agencies = [admitted_agency(supervisor=chief)[0] for _ in range(3)]

    # when the supervisor opens the inspections from the workspace and publishes a plan
    log_in(page, "insp_chief")
    page.get_by_role("link", name="双随机抽查计划").click()
    page.wait_for_url("**/supervisor/inspections/")
    page.get_by_role("link", name="新建抽查计划").click()
    page.get_by_label("计划名称").fill("2026年第四季度评估机构抽查")
    page.get_by_label("检查开始日期").fill("2026-12-07")
    page.get_by_label("检查结束日期").fill("2026-12-31")
    page.get_by_label("惠州市发展和改革局 · insp_chief").check()
    page.get_by_label("惠州市发展和改革局 · insp_two").check()
    page.get_by_role("button", name="发布抽查计划").click()
    page.wait_for_url(re.compile(r"/supervisor/inspections/SJCC-\d{4}-\d{5}/$"))
    code = page.get_by_test_id("plan-code").inner_text()
    plan = InspectionPlan.objects.get(code=code)
    assert page.locator("#announced-commitment").inner_text() == plan.draw_commitment
    assert page.get_by_test_id("plan-state").inner_text() == "待抽取"

    # and draws it: grade A at 5% of three agencies is one target
    page.get_by_role("button", name="进行抽取").click()
    assert page.get_by_test_id("plan-state").inner_text() == "已抽取"
    rows = page.get_by_test_id("inspection-targets").locator("tbody tr")
    assert rows.count() == 1
    uscc = rows.first.get_attribute("data-uscc")
    assert uscc in {a.uscc for a in agencies}

    # then the public page confirms the draw: the server's check and the browser's own recomputation
    page.get_by_role("link", name="公开页面与抽取验证").click()
    page.wait_for_url(f"**/inspections/{code}/")
    assert page.locator("[data-server-result]").get_attribute("data-server-result") == "ok"
    page.wait_for_selector("#draw-browser-check[data-result]")
    assert page.locator("#draw-browser-check").get_attribute("data-result") == "ok"
    states = page.locator("#draw-browser-check tr[data-check]")
    assert {states.nth(i).get_attribute("data-state") for i in range(states.count())} == {"ok"}
    # inspectors show by department and code, never by account
    public_text = page.locator("main").inner_text()
    assert "insp_chief" not in public_text and "insp_two" not in public_text

    # when the supervisor records a failed inspection with its findings
    page.go_back()
    form = page.get_by_test_id(f"record-{uscc}")
    form.get_by_label("不合格").check()
    form.get_by_label("检查发现（公开）").fill("评估报告未按规范编制，工作底稿缺失。")
    form.get_by_role("button", name="录入结果").click()
    assert page.get_by_test_id("target-result").inner_text() == "不合格"
    assert InspectionTarget.objects.get(plan=plan).entry is not None

    # and closes the plan, publishing the results
    page.get_by_role("button", name="完结计划并公示结果").click()
    assert page.get_by_test_id("plan-state").inner_text() == "已完结"

    # then the public page shows the result, and the agency's public credit page the entry the rule recorded
    page.goto(f"/inspections/{code}/")
    assert "不合格" in page.get_by_test_id("public-targets").inner_text()
    name = next(a.name for a in agencies if a.uscc == uscc)
    page.get_by_test_id("public-targets").get_by_role("link", name=name).click()
    page.wait_for_url(f"**/{uscc}/")
    main = page.locator("main").inner_text()
    assert "双随机抽查不合格" in main
    assert "-10" in main or "−10" in main
