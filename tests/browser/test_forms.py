"""Forms that explain, in a real Chromium: the error summary at the top of a long form, a warning checked on its
confirmation page and withdrawn by its issuer, and a quote finer than a cent refused in plain words."""

from __future__ import annotations

import re

import pytest

from tests.factories import admitted_agency, agencies, buyer_user, published_project, supervisor_user
from workflows.models import SignUp

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_empty_long_form_lists_every_problem_at_the_top_and_each_link_focuses_its_field(browser, live_server):
    # given a buyer on the (long) new-project form
    buyer_user(username="buyer_forms")
    page = session(browser, live_server, "buyer_forms")
    page.goto("/buyer/projects/new/")

    # when the buyer sends it empty
    page.get_by_label("项目名称").fill("")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()

    # then a box at the top says there is a problem, has the focus, and lists each problem as a link
    summary = page.locator("[data-error-summary]")
    assert summary.get_by_role("heading").inner_text() == "请更正以下问题"
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    items = summary.locator("a").all_inner_texts()
    assert "请填写项目名称。" in items and "请填写预算金额。" in items and "请填写服务内容。" in items
    assert not any("This field" in t or "这个字段是必填项" in t for t in items)
    # and each field's own message stands beside it, tied to it for screen readers
    assert page.locator("#id_budget").get_attribute("aria-describedby").startswith("id_budget_error")
    assert page.locator("#id_budget_error").inner_text() == "请填写预算金额。"

    # when the buyer clicks the budget's item
    summary.get_by_role("link", name="请填写预算金额。").click()
    # then the budget input has the focus
    assert page.evaluate("document.activeElement.id") == "id_budget"
    # and a limited text shows how much is left as the buyer types, without cutting it
    page.get_by_label("项目名称").fill("惠城区安置房估价")
    assert page.locator("#id_name_count").inner_text() == "已输入 8 / 最多 200 字"
    page.get_by_label("项目名称").fill("估" * 205)
    assert page.get_by_label("项目名称").input_value() == "估" * 205
    assert "已超出 5 字" in page.locator("#id_name_count").inner_text()
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    assert "项目名称不超过 200 个字，现在 205 个字。" in page.locator("[data-error-summary]").inner_text()


def test_a_warning_is_checked_on_its_confirmation_page_then_withdrawn_and_leaves_the_public_list(browser, live_server):
    # given a supervisor and an agency admitted through the real entry path
    supervisor = supervisor_user(username="sup_forms")
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    page = session(browser, live_server, "sup_forms")

    # when the supervisor finds the agency and fills in a warning
    page.goto("/supervisor/events/new/")
    page.get_by_label("机构名称或统一社会信用代码").fill(agency.name)
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=f"选择 {agency.name}（{agency.uscc}").click()
    page.get_by_label("事实与依据").fill("2026 年 3 月承接的估价项目逾期 40 日提交成果，经核查属实。")
    page.get_by_label("证据摘要（公开）").fill("估价项目逾期提交成果，经核查属实。")
    page.get_by_role("button", name="下一步：核对信息").click()

    # then the confirmation page states exactly whom and what, and nothing is published yet
    assert page.locator("h1").inner_text() == "请核对后提交"
    assert page.get_by_test_id("confirm-name").inner_text() == agency.name
    assert page.get_by_test_id("confirm-uscc").inner_text() == agency.uscc
    assert page.get_by_test_id("confirm-region").inner_text() == agency.region.name
    assert "发布信用警告公告" in page.get_by_test_id("confirm-publication").inner_text()
    public = session(browser, live_server)
    public.goto("/notices/")
    assert agency.name not in public.locator("main").inner_text()

    # when the supervisor confirms
    page.get_by_role("button", name="确认并提交").click()
    page.wait_for_url(re.compile(r"/supervisor/events/\d+/$"))
    assert page.locator("h1").inner_text() == "信用事件已记录"
    # then the warning is on the public notice list
    public.goto("/notices/")
    assert agency.name in public.locator("main").inner_text()

    # when the issuer withdraws it within the window, with a reason
    page.get_by_label("撤回理由").fill("对象错误：应为另一家名称相近的机构。")
    page.get_by_role("button", name="撤回该警告").click()
    page.wait_for_load_state()

    # then the page says so, and the notice has left the public list
    assert "已撤回对" in page.locator(".messages").inner_text()
    assert "该警告已于" in page.get_by_test_id("withdrawn").inner_text()
    public.goto("/notices/")
    assert agency.name not in public.locator("main").inner_text()


def test_a_quote_finer_than_a_cent_is_refused_in_plain_words(browser, live_server):
    # given an admitted agency and a published project with its band
    ((agency, user),) = agencies(1)
    project = published_project("draw")
    page = session(browser, live_server, user.username)

    # when the agency quotes 65000.005
    page.goto(f"/agency/projects/{project.code}/")
    page.get_by_label("报价金额（元）").fill("65000.005")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_load_state()

    # then it is refused with a plain message at the top and beside the field, and no sign-up exists
    message = "报价最多保留 2 位小数（精确到分），现在是 65000.005。"
    assert message in page.locator("[data-error-summary]").inner_text()
    assert message in page.locator("#id_quote_error").inner_text()
    assert not SignUp.objects.filter(agency=agency).exists()

    # when the agency types it the way people write amounts, in full-width digits with separators
    page.get_by_label("报价金额（元）").fill("６５，０００．００")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url(f"**/agency/projects/{project.code}/")
    assert page.get_by_test_id("signup-state").inner_text() == "已报名"
