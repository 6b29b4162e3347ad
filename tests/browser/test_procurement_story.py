"""Every selection method from posting to payment, with every person acting in a real Chromium.

The buyer posts and submits the project, the operator publishes it, the agencies sign up, the
deadline sweep (the system) closes the sign-up and runs the method, the winner confirms, uploads
the contract and the result, the buyer confirms the contract, accepts, rates and pays, and the
agency confirms receipt. Only the passage of time is simulated: the sweep is told the time.
"""

from __future__ import annotations

import re

import pytest

from credit_rules.models import LedgerEntry
from tests.factories import agencies, buyer_user, operator_user
from tests.helpers import after
from workflows.models import Project
from workflows.services.deadlines import deadlines_sweep
from workflows.services.transitions import row_reload

from .flows import (
    accept_result,
    confirm_contract,
    confirm_win,
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


@pytest.mark.parametrize("method", ["draw", "price", "scored", "direct"])
def test_a_project_runs_from_posting_to_payment_in_the_browser(browser, live_server, tmp_path, method):
    # given a buyer, an operator and three admitted appraisal agencies
    buyer_user(username="buyer_story")
    operator_user(username="operator_story")
    pool = agencies(3)

    # the buyer posts the project and submits it for review
    buyer = session(browser, live_server, "buyer_story")
    post_project(
        buyer, method, name=f"房地产估价服务（{method}）", direct_agency=pool[0][0] if method == "direct" else None
    )
    project = Project.objects.get(name=f"房地产估价服务（{method}）")

    # the operator publishes it
    operator = session(browser, live_server, "operator_story")
    publish(operator, project)
    row_reload(project)
    assert project.state == "open"

    # the agencies sign up (only the named one for direct selection)
    bidders = pool[:1] if method == "direct" else pool
    agency_pages = {}
    for (agency, user), quote in zip(bidders, ("52000", "61000", "47000"), strict=False):
        agency_pages[agency.pk] = session(browser, live_server, user.username)
        proposal = None
        if method == "scored":
            proposal = pdf_path(tmp_path, f"proposal-{quote}.pdf")
        sign_up(agency_pages[agency.pk], project, quote, proposal_path=proposal)

    # the sign-up deadline passes: the system closes it and runs the method
    deadlines_sweep(after(project.signup_deadline))
    row_reload(project)
    if method == "scored":
        buyer.goto(f"/buyer/projects/{project.code}/")
        for (agency, _user), mark in zip(bidders, ("80", "90", "70"), strict=True):
            buyer.get_by_label(agency.name).fill(mark)
        buyer.get_by_role("button", name="保存评分").click()
        buyer.wait_for_load_state()
        buyer.get_by_role("button", name="完成比选").click()
        buyer.wait_for_load_state()
        row_reload(project)
    assert project.state == "awarded", project.cancel_reason
    winner = project.signups.get(state="selected")
    if method == "price":
        assert winner.quote == 47000
    if method == "draw":
        # the public can check the draw from the proof alone
        public = session(browser, live_server, "buyer_story")
        public.goto(f"/draws/{project.code}/")
        public.wait_for_selector("#draw-browser-check[data-result]")
        states = public.locator("#draw-browser-check tr[data-check]").evaluate_all(
            "rows => rows.map(r => r.dataset.state)"
        )
        assert states and set(states) == {"ok"}

    # the winner confirms the win
    winner_page = agency_pages[winner.agency_id]
    confirm_win(winner_page, project)

    # publicity ends: contracting starts; the winner uploads the contract, the buyer confirms it
    deadlines_sweep(after(project.publicity_ends_at))
    engagement = project.engagements.get()
    upload_contract(winner_page, engagement, pdf_path(tmp_path, "contract.pdf"))
    confirm_contract(buyer, project, winner.quote)
    assert buyer.locator("#project-state").inner_text() == "服务中"

    # the agency delivers; the buyer accepts and rates it excellent
    submit_result(winner_page, engagement, pdf_path(tmp_path, "report.pdf"))
    accept_result(buyer, project)
    rate(buyer, 5)
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code="RATING_EXCELLENT").exists()

    # the buyer records the bank transfer; the agency confirms receipt; the project closes
    buyer.get_by_label("银行转账流水号").fill("HX20261124-0001")
    buyer.get_by_role("button", name="登记付款").click()
    buyer.wait_for_load_state()
    winner_page.goto(f"/agency/projects/engagements/{engagement.pk}/")
    winner_page.get_by_role("button", name="确认收款").click()
    winner_page.wait_for_load_state()
    buyer.goto(f"/buyer/projects/{project.code}/")
    assert re.search("已完结", buyer.locator("#project-state").inner_text())
