"""Agencies sign up for a published project in a real Chromium; a suspended one sees the gate's refusal."""

import re

import pytest

from credit_rules.rules import REGISTRY
from tests.factories import agencies, published_project, supervisor_user, suspend_by_warnings
from workflows.models import SignUp

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_admitted_agency_signs_up_and_a_suspended_one_is_refused_with_reasons(browser, live_server):
    # given two admitted agencies, the second suspended by two credit warnings, and a published project
    supervisor = supervisor_user()
    (good, good_user), (bad, bad_user) = agencies(2, supervisor=supervisor)
    suspend_by_warnings(bad, supervisor, facts=("逾期 40 日提交成果。", "成果质量不合格。"))
    project = published_project("draw")

    # when the admitted agency's clerk logs in and opens its project list
    page = session(browser, live_server, good_user.username)
    page.goto("/agency/projects/")
    row = page.locator(f"tr[data-code='{project.code}']")
    assert project.name in row.inner_text()

    # and opens the project and signs up with an in-band quote
    row.get_by_role("link", name=project.name).click()
    page.wait_for_url(f"**/agency/projects/{project.code}/")
    assert project.draw_commitment in page.get_by_test_id("commitment").inner_text()
    page.get_by_label("报价金额（元）").fill("52000")
    page.get_by_role("button", name="提交报名").click()

    # then the page says 已报名 and the quote stays sealed
    page.wait_for_url(f"**/agency/projects/{project.code}/")
    assert page.get_by_test_id("signup-state").inner_text() == "已报名"
    assert "报名成功" in page.locator(".messages").inner_text()
    assert "已密封" in page.get_by_test_id("my-signup").inner_text()
    page.goto("/agency/projects/")
    assert "已报名" in page.locator(f"tr[data-code='{project.code}']").inner_text()
    page.context.close()

    # when the suspended agency's clerk tries the same project
    page = session(browser, live_server, bad_user.username)
    page.goto("/agency/projects/")
    assert "暂停交易" in page.get_by_test_id("status-warnings").inner_text()
    page.goto(f"/agency/projects/{project.code}/")

    # then, before any form (none is offered), it sees why: the rule code, what was found and the legal basis
    assert page.get_by_label("报价金额（元）").count() == 0
    text = page.get_by_test_id("signup-refused").inner_text()
    assert "CR-SEL-001" in text
    assert re.search(r"暂停交易资格至 \d{4}-\d{2}-\d{2}", text)
    assert str(REGISTRY["CR-SEL-001"].basis) in text
    page.context.close()

    # and only the first agency's sign-up exists
    assert list(SignUp.objects.filter(project=project).values_list("agency_id", flat=True)) == [good.pk]
