"""What a suspended agency sees in a real Chromium: why it cannot sign up, before any form, in Chinese and,
after the English switch, in English; the page stays clean for axe-core in both."""

from __future__ import annotations

import re

import pytest

from credit_rules import citations
from tests.factories import published_project, suspended_member

from .axe import axe_run, serious
from .flows import log_in, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def test_a_suspended_agency_sees_why_before_any_form_and_reads_it_in_english(live_server, browser):
    # given a suspended agency and an open project in its field (data first: no ORM once the browser runs)
    agency, user = suspended_member()
    project = published_project()
    page = session(browser, live_server)

    # when its clerk logs in and opens the project
    log_in(page, user.username)
    page.goto(f"/agency/projects/{project.code}/")

    # then the reasons stand where the form would be (rule, end date, how to object), and no form is offered
    panel = page.get_by_test_id("signup-refused")
    assert panel.is_visible()
    assert "CR-SEL-001" in panel.inner_text() and "暂停" in panel.inner_text()
    assert page.get_by_label("报价金额（元）").count() == 0
    assert panel.get_by_role("link", name="查看我的信用记录、提出异议").is_visible()
    assert not serious(axe_run(page))

    # when the clerk switches to English
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()

    # then the page and the panel are in English, Chinese left only in names (the project, its buyer, documents)
    assert page.locator("html").get_attribute("lang") == "en"
    panel = page.get_by_test_id("signup-refused")
    text = panel.inner_text()
    assert "no sign-up form is offered" in text and "CR-SEL-001" in text
    for name in (project.name, project.buyer.name, *citations.DOCUMENTS):  # names and document titles
        text = text.replace(name, "")
    assert not CJK.search(text), text
    panel.get_by_role("link", name="See my credit record and object").click()
    page.wait_for_url("**/agency/credit/")
    assert not serious(axe_run(page))
