"""Steps several browser tests share: logging in, a logged-in page per person, posting and publishing a
project, signing up, confirming a win, the contract, the result, acceptance and rating, a warning.

Each step acts as the person would, on the page; what the page should then show is the test's to check.
"""

from __future__ import annotations

import re

from tests.helpers import PDF
from workflows.models import Engagement, Project


def log_in(page, username: str, password: str = "pw-12345") -> None:
    """Log in on the login page; the site then shows the person's workspace."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me/")


def session(browser, live_server, username: str | None = None, *, language: str = "zh-CN"):
    """A browser page of its own (cookies are per context), logged in as ``username`` if given."""
    context = browser.new_context(base_url=live_server.url, locale=language)
    context.set_default_timeout(20_000)
    page = context.new_page()
    if username:
        log_in(page, username)
    return page


def pdf_path(tmp_path, name: str):
    """A small PDF written to ``tmp_path``, for a file input."""
    path = tmp_path / name
    path.write_bytes(PDF)
    return path


def post_project(
    page, method: str, *, name: str, direct_agency=None, signup_days: int | None = None, min_level: str = "二级"
) -> None:
    """The buyer fills the project form for a real-estate appraisal and submits it for review."""
    page.goto("/buyer/projects/new/")
    page.get_by_label("项目名称").fill(name)
    page.get_by_label("服务事项").select_option(label="房地产估价")
    page.get_by_label("服务内容").fill("对安置房项目 120 套房屋进行市场价值评估，出具估价报告。")
    page.get_by_label("预算金额（元）").fill("80000")
    page.locator("#id_req-0-qualification_type").select_option(label="房地产估价机构资质")
    page.locator("#id_req-0-min_level").select_option(label=f"房地产估价机构资质 · {min_level}")
    page.get_by_label("报价下限").fill("40000")
    page.get_by_label("报价上限").fill("80000")
    label = {"draw": "随机抽取", "price": "竞价选取", "scored": "比选", "direct": "直接选取"}[method]
    page.get_by_label(label, exact=True).check()
    if signup_days is not None:
        page.get_by_label("报名期（工作日）").fill(str(signup_days))
    if method == "scored":
        page.get_by_label("价格权重").fill("40")
        page.get_by_label("信用权重").fill("30")
        page.get_by_label("方案权重").fill("30")
    if method == "direct":
        page.get_by_label("直接选取机构").fill(direct_agency.uscc)
        page.get_by_label("直接选取理由").fill("该机构承担了本项目前期估价，熟悉情况，预算较小。")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    assert page.locator("#project-state").inner_text() == "待审核"


def verify_identity(page, agency_name: str) -> None:
    """The operator compares a new agency's licence with its registered data and verifies it, confirming."""
    page.goto("/operator/identity/")
    page.locator("tr", has_text=agency_name).get_by_role("link", name="核验").click()
    page.wait_for_load_state()
    assert agency_name in page.get_by_test_id("registered-name").inner_text()
    page.get_by_label("一致，核验通过").check()
    page.get_by_role("button", name="下一步：核对结论").click()
    page.wait_for_load_state()
    assert agency_name in page.get_by_test_id("confirm-name").inner_text()
    page.get_by_role("button", name="确认并提交").click()
    page.wait_for_load_state()
    assert "已核验通过" in page.locator(".messages").inner_text()


def publish(page, project: Project) -> None:
    """The operator approves and publishes a project from its review page."""
    page.goto(f"/operator/projects/{project.code}/")
    page.get_by_role("button", name="审核通过并发布").click()
    page.wait_for_load_state()


def try_sign_up(page, project: Project, quote: str, *, proposal_path=None) -> None:
    """An agency fills the sign-up form (the outcome is left to the caller to check)."""
    page.goto(f"/agency/projects/{project.code}/")
    page.get_by_label("报价金额（元）").fill(quote)
    if proposal_path is not None:
        page.get_by_label("服务方案（PDF）").set_input_files(str(proposal_path))
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_load_state()


def sign_up(page, project: Project, quote: str, *, proposal_path=None) -> None:
    """An agency signs up and sees 已报名."""
    try_sign_up(page, project, quote, proposal_path=proposal_path)
    assert page.get_by_test_id("signup-state").inner_text() == "已报名"


def issue_warning(page, agency, facts: str, summary: str) -> None:
    """A supervisor records a credit warning for an agency from the event form."""
    page.goto(f"/supervisor/events/new/?agency={agency.uscc}")
    page.get_by_label("事实与依据").fill(facts)
    page.get_by_label("证据摘要（公开）").fill(summary)
    page.get_by_role("button", name="下一步：核对信息").click()
    assert page.get_by_test_id("confirm-uscc").inner_text() == agency.uscc
    page.get_by_role("button", name="确认并提交").click()
    page.wait_for_url(re.compile(r"/supervisor/events/\d+/$"))


def confirm_win(page, project: Project) -> None:
    """The winning agency confirms the win (确认中选) on its project page."""
    page.goto(f"/agency/projects/{project.code}/")
    page.get_by_role("button", name="确认中选").click()
    page.wait_for_load_state()


def upload_contract(page, engagement: Engagement, path) -> None:
    """The winning agency uploads the signed contract on its engagement page."""
    page.goto(f"/agency/projects/engagements/{engagement.pk}/")
    page.get_by_label("合同文本").set_input_files(str(path))
    page.get_by_role("button", name="上传合同").click()
    page.wait_for_load_state()


def confirm_contract(page, project: Project, amount) -> None:
    """The buyer confirms the contract at ``amount`` on the project page."""
    page.goto(f"/buyer/projects/{project.code}/")
    page.get_by_label("合同金额（元）").fill(str(amount))
    page.get_by_role("button", name="确认合同").click()
    page.wait_for_load_state()


def submit_result(page, engagement: Engagement, path) -> None:
    """The agency submits its service result on the engagement page."""
    page.goto(f"/agency/projects/engagements/{engagement.pk}/")
    page.get_by_label("服务成果文件").set_input_files(str(path))
    page.get_by_role("button", name="提交成果").click()
    page.wait_for_load_state()


def accept_result(page, project: Project) -> None:
    """The buyer accepts the result (验收通过) on the project page."""
    page.goto(f"/buyer/projects/{project.code}/")
    page.get_by_label("验收通过").check()
    page.get_by_role("button", name="提交验收结论").click()
    page.wait_for_load_state()


def rate(page, mark: int) -> None:
    """The buyer gives every aspect of the rating the same mark (1–5) and submits it."""
    for aspect in ("quality", "timeliness", "attitude", "fees", "conformity"):
        page.locator(f"#rating-form input[name={aspect}][value='{mark}']").check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
