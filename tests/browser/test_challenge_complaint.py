"""From a challenge (质疑) to a complaint decision (投诉) through the pages, in a real Chromium: a bidder files a
challenge with evidence from the result notice, the buyer answers on its project, the bidder escalates to the
supervisor, the supervisor upholds it (the win is revoked, the alternate steps up), and the public decision
notice appears in the public list without any person's data."""

from __future__ import annotations

import re

import pytest

from tests.factories import agencies, awarded_project, buyer_user, supervisor_user
from workflows.models import Challenge, SignUp
from workflows.services.transitions import row_reload

from .flows import pdf_path, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_challenge_goes_to_a_complaint_the_supervisor_upholds_and_the_decision_is_public(
    browser, live_server, tmp_path
):
    # given an awarded project: its buyer, three bidders and a supervisor over them
    supervisor_user(username="sup_complaints")
    buyer = buyer_user(username="buyer_complaints")
    pool = agencies(3)
    project, pool = awarded_project(buyer=buyer, pool=pool)
    winner = project.signups.get(state="selected")
    challenger, challenger_user = next((a, u) for a, u in pool if a != winner.agency)

    # a bidder opens the result notice and follows its link to challenge online
    agency_page = session(browser, live_server, challenger_user.username)
    agency_page.goto("/notices/result/")
    agency_page.get_by_role("link", name=re.compile(f"{project.name}中选结果公示")).first.click()
    assert "书面提出" not in agency_page.content()
    agency_page.get_by_role("link", name="在线提出质疑").click()
    agency_page.wait_for_url(f"**/agency/challenges/new/{project.code}/")
    agency_page.get_by_label("质疑事项和理由").fill("中选机构的资质证书已过期，不符合项目资质要求。")
    agency_page.get_by_label("证明材料").set_input_files(str(pdf_path(tmp_path, "certificate.pdf")))
    agency_page.get_by_role("button", name="提交质疑").click()
    agency_page.wait_for_url(re.compile(r"/agency/challenges/\d+/$"))
    assert agency_page.get_by_test_id("challenge-state").inner_text() == "待业主答复"
    # the same bidder cannot file twice
    agency_page.goto(f"/agency/challenges/new/{project.code}/")
    agency_page.get_by_label("质疑事项和理由").fill("再次提交。")
    agency_page.get_by_role("button", name="提交质疑").click()
    assert "请勿重复提交" in agency_page.locator("form.panel").inner_text()
    agency_page.goto("/agency/complaints/")
    agency_page.get_by_role("link", name="查看").first.click()

    # the buyer answers it from its project page
    buyer_page = session(browser, live_server, "buyer_complaints")
    buyer_page.goto(f"/buyer/projects/{project.code}/")
    buyer_page.get_by_role("link", name="质疑与投诉").click()
    buyer_page.get_by_role("link", name="答复").click()
    buyer_page.get_by_role("link", name="查看").first.click()  # the challenger's evidence opens for the buyer
    buyer_page.go_back()
    buyer_page.get_by_label("答复内容").fill("经核查，资质证书在有效期内，维持中选结果。")
    buyer_page.get_by_role("button", name="提交答复").click()
    buyer_page.wait_for_load_state()
    assert buyer_page.get_by_test_id("challenge-state").inner_text() == "业主已答复"

    # the bidder is not satisfied and complains to the supervisor
    agency_page.reload()
    assert "维持中选结果" in agency_page.get_by_test_id("challenge-answer").inner_text()
    agency_page.get_by_label("投诉事项和理由").fill("答复未回应证书已于公示前过期的事实。")
    agency_page.get_by_role("button", name="提交投诉").click()
    agency_page.wait_for_load_state()
    assert agency_page.get_by_test_id("challenge-state").inner_text() == "投诉处理中"

    # the supervisor finds it in the queue and upholds it
    supervisor_page = session(browser, live_server, "sup_complaints")
    supervisor_page.goto("/supervisor/")
    supervisor_page.locator("#q-complaints").locator("..").get_by_role("link", name="处理").click()
    supervisor_page.wait_for_url(re.compile(r"/supervisor/challenges/\d+/$"))
    supervisor_page.get_by_label("投诉成立", exact=True).check()
    supervisor_page.get_by_label("处理理由").fill("经调查，中选机构资质证书已于公示前过期，投诉成立。")
    supervisor_page.get_by_role("button", name="作出决定").click()
    supervisor_page.wait_for_load_state()
    # a check-your-answers page names the winner whose selection the decision revokes; nothing is decided yet
    assert supervisor_page.get_by_test_id("confirm-name").inner_text() == winner.agency.name
    assert supervisor_page.get_by_test_id("confirm-uscc").inner_text() == winner.agency.uscc
    assert Challenge.objects.get().state != Challenge.State.UPHELD
    supervisor_page.get_by_role("button", name="确认并提交").click()
    supervisor_page.wait_for_load_state()
    assert supervisor_page.get_by_test_id("challenge-state").inner_text() == "投诉成立"

    # the win is revoked and the next alternate steps up
    assert Challenge.objects.get().state == Challenge.State.UPHELD
    assert row_reload(winner).state == SignUp.State.REVOKED
    assert project.signups.filter(state="selected").exclude(pk=winner.pk).exists()

    # and anyone sees the decision notice in the public list, naming organisations only
    public = session(browser, live_server)
    public.goto("/notices/complaint_decision/")
    public.get_by_role("link", name=re.compile(f"{project.name}投诉处理决定公告")).first.click()
    decision = public.get_by_test_id("complaint-decision").inner_text()
    assert "投诉成立，撤销中选资格" in decision
    assert challenger.name in decision
    assert challenger_user.username not in public.content()
