"""The whole story in one Chromium run, each step checked by what the page shows (issue 5).

A buyer posts a project; three agencies sign up; the draw runs and the result notice is public
with a proof that verifies; the winner delivers late and is rated poorly; a supervisor issues a
warning, which appears publicly; a second warning sets off the policy's suspension, told to the
agency first (失信告知) and applied by the credit sweep when the response period runs out; the
agency's next sign-up is refused with the reason; the suspension ends by itself and the agency signs up
again. The periodic sweeps are called where Celery beat would run them. Time acceleration (ZJCS_TIME_SCALE)
makes the service period pass in seconds; the week to answer and the month's suspension are calendar time,
which the test travels through (the whole process, live server included, as the demo clock does).
"""

from __future__ import annotations

import re

import pytest
import time_machine
from dateutil.relativedelta import relativedelta

from credit_rules.models import LedgerEntry
from tests.factories import agencies, buyer_user, operator_user, pending_notice, supervisor_user
from tests.helpers import after, close_to, wait_past
from workflows import tasks
from workflows.models import Membership, Project
from workflows.services.procurement.award import project_confirm_winner
from workflows.services.procurement.selection import signup_close
from workflows.services.transitions import row_reload

from .flows import (
    accept_result,
    confirm_contract,
    confirm_win,
    issue_warning,
    pdf_path,
    post_project,
    publish,
    rate,
    session,
    sign_up,
    submit_result,
    upload_contract,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_whole_story(browser, live_server, settings, tmp_path):
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600  # the people stay signed in while the story travels a month on
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
    post_project(buyer, "draw", name="市民中心办公用房租金评估", signup_days=60)  # open through the month ahead
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
    confirm_win(winner_page, project)
    project_confirm_winner(project=project, at=after(project.publicity_ends_at))  # what the sweep does at publicity end
    engagement = project.engagements.get()
    upload_contract(winner_page, engagement, pdf_path(tmp_path, "contract.pdf"))
    settings.ZJCS_TIME_SCALE = 30 * 24 * 3600 / 3  # the 30-day service period passes in three seconds
    confirm_contract(buyer, project, winner.quote)
    row_reload(engagement)
    wait_past(engagement.service_end, margin=0.2)
    settings.ZJCS_TIME_SCALE = 1
    submit_result(winner_page, engagement, pdf_path(tmp_path, "report.pdf"))
    assert (
        "DELIVERY_LATE" in winner_page.locator("main").inner_text()
        or "逾期" in winner_page.locator("main").inner_text()
    )
    assert LedgerEntry.objects.filter(subject__agency=winner_agency, code="DELIVERY_LATE").exists()

    # the buyer accepts and rates it poorly
    accept_result(buyer, project)
    rate(buyer, 1)
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

    # a second warning sets off the policy's suspension (a calendar month), told to the agency first: it sees the
    # notice on its cases page, and while it may answer nothing is in force
    issue_warning(
        supervisor_page, winner_agency, "另一项目成果数据错误，经复核属实。", "另一项目成果数据错误，经复核属实。"
    )
    assert "已告知机构拟采取「暂停」" in supervisor_page.get_by_test_id("notices").inner_text()
    notice = pending_notice(winner_agency)
    assert Membership.objects.get(agency=winner_agency, state="active")
    winner_page.goto("/agency/cases/")
    told = winner_page.locator(f"#case-{notice.pk}").inner_text()
    assert "失信告知" in told and "CR-ESC-001" in told and "暂停" in told

    # the response period runs out unanswered: the credit sweep (Celery beat) applies the suspension
    with time_machine.travel(after(notice.response_due), tick=True) as clock:
        tasks.credit_sweep()
        membership = Membership.objects.get(agency=winner_agency, state="suspended")
        assert close_to(membership.suspended_until, after(notice.response_due) + relativedelta(months=1))

        # whose next project page says why it cannot sign up, and offers no form
        winner_page.goto(f"/agency/projects/{later.code}/")
        refusal = winner_page.get_by_test_id("signup-refused").inner_text()
        assert "CR-SEL-001" in refusal and "暂停" in refusal
        assert winner_page.get_by_label("报价金额（元）").count() == 0

        # the suspension ends by itself a month later: the periodic credit sweep (Celery beat) reinstates the agency
        clock.move_to(after(membership.suspended_until))
        tasks.credit_sweep()
        assert Membership.objects.get(pk=membership.pk).state == "active"

        # and the agency signs up again
        sign_up(winner_page, later, "50000")
        public.goto(f"/agencies/{winner_agency.uscc}/")
        assert "暂停" in public.locator("main").inner_text()  # the ended suspension stays on the record
