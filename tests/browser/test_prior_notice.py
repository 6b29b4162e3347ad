"""The prior notice of an automatic measure (失信告知) in a real Chromium: the agency reads it and answers on its
cases page; the supervisor sees the answer in the queue, reviews it and dismisses the notice, so the measure
the rule ordered never takes effect."""

import pytest

from credit_rules.models import CreditSubject
from tests.factories import agencies, hearing_lapsed, supervisor_user, warned_twice
from workflows import tasks
from workflows.models import CreditCase, Membership

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RESPONSE = "第二次警告所涉逾期系项目业主延迟提供基础资料所致，附业主书面说明，请不予暂停。"


def test_the_agency_answers_a_notice_and_the_supervisor_dismisses_it(browser, live_server):
    # given an admitted agency whose second warning set off the policy's suspension, told to it first
    supervisor = supervisor_user(username="sup_notice")
    ((agency, user),) = agencies(1, supervisor=supervisor)
    notice = warned_twice(agency, supervisor)

    # when its clerk opens 我的信用, the measure told and not yet in force is shown there
    clerk = session(browser, live_server, user.username)
    clerk.goto("/agency/credit/")
    pending = clerk.get_by_test_id("pending-notices").inner_text()
    assert "暂停" in pending and "CR-ESC-001" in pending

    # and its cases page shows the notice: the rule, the reason, the basis and when it would take effect
    clerk.goto("/agency/cases/")
    section = clerk.locator(f"#case-{notice.pk}")
    text = section.inner_text()
    assert "失信告知" in text and "CR-ESC-001" in text and "按信用规则自动告知" in text
    assert "累计 2 次信用警告，暂停交易资格 1 个月" in section.get_by_test_id("notice-reason").inner_text()
    assert "国办发〔2019〕35号" in text
    assert "尚未生效" in section.get_by_test_id("notice-effect").inner_text()

    # when the clerk answers before the deadline
    section.get_by_role("link", name="陈述申辩").click()
    clerk.get_by_label("陈述申辩意见").fill(RESPONSE)
    clerk.get_by_role("button", name="提交陈述申辩").click()
    clerk.wait_for_url("**/agency/cases/")

    # then the page confirms it and shows the answer with the notice
    assert "陈述申辩意见已提交" in clerk.locator(".messages").inner_text()
    assert RESPONSE in clerk.locator(f"#case-{notice.pk}").inner_text()

    # when the supervisor opens the queue, the notice is there with the agency's answer, waiting for a decision
    desk = session(browser, live_server, "sup_notice")
    desk.goto("/supervisor/")
    row = desk.locator("section[aria-labelledby=q-cases] tbody tr", has_text=agency.name)
    assert "CR-ESC-001" in row.inner_text() and "待决定" in row.inner_text()
    assert RESPONSE[:40] in row.get_by_test_id("case-response").inner_text()

    # and reviews it on the case page and dismisses it with a reason
    row.get_by_role("link", name="办理").click()
    assert RESPONSE in desk.get_by_test_id("agency-response").inner_text()
    desk.get_by_label("处理意见").fill("经核实，逾期系业主延迟提供资料所致，不予实施暂停。")
    desk.get_by_role("button", name="不予处理").click()
    assert desk.get_by_test_id("confirm-uscc").inner_text() == agency.uscc
    desk.get_by_role("button", name="确认并提交").click()
    desk.wait_for_load_state()
    assert desk.get_by_test_id("case-state").inner_text() == str(CreditCase.State.DISMISSED.label)

    # then the measure never takes effect, not even when the response period would have ended
    hearing_lapsed(notice)
    assert tasks.credit_sweep()["notices_applied"] == 0
    assert Membership.objects.get(agency=agency).state == Membership.State.ACTIVE
    assert not CreditSubject.objects.get(agency=agency).is_suspended
    clerk.goto("/agency/cases/")
    assert str(CreditCase.State.DISMISSED.label) in clerk.get_by_test_id("case-state").inner_text()
    clerk.context.close()
    desk.context.close()
