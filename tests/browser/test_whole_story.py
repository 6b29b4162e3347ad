"""The whole story in one Chromium run, each step checked by what the page shows (issue 5).

A buyer posts a project; three agencies sign up; the draw runs and the result notice is public
with a proof that verifies; the winner delivers late and is rated poorly; a supervisor issues a
warning, which appears publicly; a second warning suspends the agency, whose next sign-up is
refused with the reason; the suspension ends by itself (time acceleration) and the agency signs
up again. The periodic sweeps are called where Celery beat would run them; time acceleration
(ZJCS_TIME_SCALE) makes the service period and the month's suspension pass in seconds.
"""

from __future__ import annotations

import re
import time

import pytest
from django.utils import timezone

from credit_rules.models import LedgerEntry
from tests.factories import agencies, buyer_user, operator_user, supervisor_user
from tests.helpers import after
from workflows import tasks
from workflows.models import Membership, Project
from workflows.services.procurement.award import project_confirm_winner
from workflows.services.procurement.selection import signup_close
from workflows.services.transitions import row_reload

from .flows import PDF, issue_warning, post_project, publish, session, sign_up, try_sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MONTH_IN_TWO_SECONDS = 30 * 24 * 3600 / 2


def wait_until(moment) -> None:
    delay = (moment - timezone.now()).total_seconds()
    if delay > 0:
        time.sleep(delay + 0.2)


def test_the_whole_story(browser, live_server, settings, tmp_path):
    # given the people: a buyer, an operator, a supervisor and three admitted appraisal agencies
    buyer_user(username="story_buyer")
    operator_user(username="story_operator")
    supervisor = supervisor_user(username="story_supervisor")
    pool = agencies(3, supervisor=supervisor)
    buyer = session(browser, live_server, "story_buyer")
    operator = session(browser, live_server, "story_operator")
    public = session(browser, live_server)

    # a buyer posts a project (and a second one the agencies will sign up for later); the operator publishes both
    post_project(buyer, "draw", name="江北片区房屋征收价值评估")
    post_project(buyer, "draw", name="市民中心办公用房租金评估")
    project = Project.objects.get(name="江北片区房屋征收价值评估")
    later = Project.objects.get(name="市民中心办公用房租金评估")
    publish(operator, project)
    publish(operator, later)
    public.goto("/notices/announcement/")
    assert "江北片区房屋征收价值评估" in public.locator("main").inner_text()

    # three agencies sign up
    pages = {}
    for (agency, user), quote in zip(pool, ("52000", "61000", "47000"), strict=True):
        pages[agency.pk] = session(browser, live_server, user.username)
        sign_up(pages[agency.pk], project, quote)

    # the draw runs when sign-up closes; the result notice is public with a proof that verifies
    # (the sweep acts on this project only: the other one shares its deadline and must stay open)
    signup_close(project, after(Project.objects.get(pk=project.pk).signup_deadline))
    row_reload(project)
    winner = project.signups.get(state="selected")
    winner_agency = winner.agency
    winner_page = pages[winner_agency.pk]
    public.goto("/notices/result/")
    public.get_by_role("link", name=re.compile("江北片区房屋征收价值评估中选结果公示")).click()
    public.wait_for_load_state()
    assert winner_agency.name in public.locator("main").inner_text()
    public.get_by_role("link", name="在线验证抽取结果").click()
    public.wait_for_selector("#draw-browser-check[data-result]")
    states = public.locator("#draw-browser-check tr[data-check]").evaluate_all("rows => rows.map(r => r.dataset.state)")
    assert states and set(states) == {"ok"}

    # the winner confirms, signs; the service period runs fast and the result comes in late
    winner_page.goto(f"/agency/projects/{project.code}/")
    winner_page.get_by_role("button", name="确认中选").click()
    winner_page.wait_for_load_state()
    project_confirm_winner(project=project, at=after(project.publicity_ends_at))  # what the sweep does at publicity end
    engagement = project.engagements.get()
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(PDF)
    winner_page.goto(f"/agency/projects/engagements/{engagement.pk}/")
    winner_page.get_by_label("合同文本").set_input_files(str(contract))
    winner_page.get_by_role("button", name="上传合同").click()
    winner_page.wait_for_load_state()
    settings.ZJCS_TIME_SCALE = 30 * 24 * 3600 / 3  # the 30-day service period passes in three seconds
    buyer.goto(f"/buyer/projects/{project.code}/")
    buyer.get_by_label("合同金额（元）").fill(str(winner.quote))
    buyer.get_by_role("button", name="确认合同").click()
    buyer.wait_for_load_state()
    row_reload(engagement)
    wait_until(engagement.service_end)
    settings.ZJCS_TIME_SCALE = 1
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    winner_page.goto(f"/agency/projects/engagements/{engagement.pk}/")
    winner_page.get_by_label("服务成果文件").set_input_files(str(report))
    winner_page.get_by_role("button", name="提交成果").click()
    winner_page.wait_for_load_state()
    assert (
        "DELIVERY_LATE" in winner_page.locator("main").inner_text()
        or "逾期" in winner_page.locator("main").inner_text()
    )
    assert LedgerEntry.objects.filter(subject__agency=winner_agency, code="DELIVERY_LATE").exists()

    # the buyer accepts and rates it poorly
    buyer.goto(f"/buyer/projects/{project.code}/")
    buyer.get_by_label("验收通过").check()
    buyer.get_by_role("button", name="提交验收结论").click()
    buyer.wait_for_load_state()
    for aspect in ("quality", "timeliness", "attitude", "fees", "conformity"):
        buyer.locator(f"#rating-form input[name={aspect}][value='1']").check()
    buyer.get_by_role("button", name="提交评价").click()
    buyer.wait_for_load_state()
    public.goto(f"/agencies/{winner_agency.uscc}/")
    profile = public.locator("main").inner_text()
    assert "服务评价差" in profile and "逾期提交服务成果" in profile

    # a supervisor issues a warning, which appears publicly
    supervisor_page = session(browser, live_server, "story_supervisor")
    issue_warning(
        supervisor_page, winner_agency, "估价报告逾期提交且评价为差，经核查属实。", "估价报告逾期提交，经核查属实。"
    )
    public.goto("/notices/warning/")
    assert winner_agency.name in public.locator("main").inner_text()

    # a second warning suspends the agency (a month that passes in two seconds here)
    settings.ZJCS_TIME_SCALE = MONTH_IN_TWO_SECONDS
    issue_warning(
        supervisor_page, winner_agency, "另一项目成果数据错误，经复核属实。", "另一项目成果数据错误，经复核属实。"
    )
    assert re.search(r"已自动暂停至", supervisor_page.get_by_test_id("followups").inner_text())
    membership = Membership.objects.get(agency=winner_agency, state="suspended")

    # whose next sign-up is refused with the reason
    try_sign_up(winner_page, later, "50000")
    refusal = winner_page.get_by_role("alert").filter(has_text="信用审查未通过").first.inner_text()
    assert "CR-SEL-001" in refusal and "暂停" in refusal

    # the suspension ends by itself: the periodic credit sweep (Celery beat) reinstates the agency
    wait_until(membership.suspended_until)
    tasks.credit_sweep()
    settings.ZJCS_TIME_SCALE = 1
    assert Membership.objects.get(pk=membership.pk).state == "active"

    # and the agency signs up again
    sign_up(winner_page, later, "50000")
    public.goto(f"/agencies/{winner_agency.uscc}/")
    assert "暂停" in public.locator("main").inner_text()  # the ended suspension stays on the record
