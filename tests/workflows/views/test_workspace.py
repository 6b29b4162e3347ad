"""The workspace (我的工作台, /me/): each role's to-dos with their stored deadlines and countdowns, the counts in
the header, the inbox and the notification settings."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    accepted_engagement,
    admitted_agency,
    agency_user,
    awarded_project,
    buyer_user,
    contracted_engagement,
    contracting_project,
    delivered_engagement,
    notified_case,
    operator_user,
    submitted_application,
    submitted_project,
    supervisor_user,
    winner_of,
)
from tests.helpers import logged_in, page_html, page_text, query_count, refetch
from tests.query_budgets import BUDGETS
from workflows.models import Notification, NotificationPreference
from workflows.selectors.workspace import (
    countdown,
    todo_list_for_agency_workspace,
    todo_list_for_buyer_workspace,
    todo_list_for_supervisor_workspace,
)
from workflows.services.credit import cases as case_services
from workflows.services.notifications.service import notify

pytestmark = pytest.mark.django_db

ME = "/me/"


def _rows(response) -> list[tuple[str, str]]:
    """(action, about) of every to-do the page lists."""
    return [(t.action, t.about) for s in response.context["workspace"].sections for t in s.todos]


def local(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def test_countdown_says_the_time_left_and_overdue_in_words():
    now = timezone.now()
    assert countdown(now + datetime.timedelta(days=2, hours=3, minutes=5), now) == "还剩 2 天 3 小时"
    assert countdown(now + datetime.timedelta(hours=5), now) == "还剩 5 小时"
    assert countdown(now + datetime.timedelta(minutes=30), now) == "还剩 30 分钟"
    assert countdown(now - datetime.timedelta(days=1, hours=2), now) == "已逾期 1 天 2 小时"


def test_the_winner_sees_confirm_with_the_publicity_deadline_and_a_countdown():
    # given an awarded draw: one winner
    project, pool = awarded_project()
    winner, user = winner_of(project, pool)

    # when the winner opens its workspace
    response = logged_in(user).get(ME)

    # then the to-do to confirm the win is listed with the stored deadline and the time left, linking to the project
    html = page_html(response)
    assert ("确认中选", f"{project.code} {project.name}") in _rows(response)
    assert local(project.publicity_ends_at) in html
    assert "还剩" in html
    assert reverse("agency-project", kwargs={"code": project.code}) in html
    # and the header counts it
    assert 'data-testid="header-todo-count">待办 1<' in html
    # while the losers have nothing to do
    loser = next(u for a, u in pool if a != winner.agency)
    assert _rows(logged_in(loser).get(ME)) == []


def test_a_passed_deadline_is_shown_overdue():
    # given a win whose publicity has ended before the sweep ran
    project, pool = awarded_project()
    winner, _user = winner_of(project, pool)
    later = project.publicity_ends_at + datetime.timedelta(hours=2, minutes=1)

    # when the agency's to-dos are read after the deadline
    section = todo_list_for_agency_workspace(winner.agency, now=later)

    # then the to-do is overdue and says so
    (todo,) = section.todos
    assert todo.overdue and todo.countdown == "已逾期 2 小时"


def test_agency_todos_follow_the_engagement_contract_then_delivery():
    # given a confirmed winner in contracting (no contract uploaded yet)
    deal = contracting_project()
    rows = _rows(logged_in(deal.winner_user).get(ME))
    assert ("上传签约合同", f"{deal.project.code} {deal.project.name}") in rows
    engagement = refetch(deal.engagement)
    (todo,) = todo_list_for_agency_workspace(deal.winner.agency).todos
    assert todo.deadline == engagement.contract_due
    assert todo.url == reverse("agency-engagement", kwargs={"pk": engagement.pk})

    # when the contract is signed: the service must be delivered by its end date
    signed = contracted_engagement()
    (todo,) = todo_list_for_agency_workspace(signed.winner.agency).todos
    assert todo.action == "提交服务成果" and todo.deadline == signed.engagement.service_end


def test_agency_is_asked_to_answer_a_notice_of_a_measure_until_its_due_date():
    # given a supervisor's notified case against an admitted agency
    supervisor = supervisor_user()
    agency, _membership, user = admitted_agency(supervisor=supervisor)
    case = notified_case(agency, supervisor)

    # then the agency's workspace asks it to respond by the stored due date
    (todo,) = todo_list_for_agency_workspace(agency).todos
    assert todo.action == "陈述申辩" and todo.deadline == case.response_due
    assert todo.url == reverse("agency-case-respond", kwargs={"pk": case.pk})

    # and once it responded, the to-do moves to the supervisor
    case_services.case_respond(case=case, actor=user, response="已按要求整改，附整改报告。")
    assert todo_list_for_agency_workspace(agency).todos == []
    actions = [t.action for t in todo_list_for_supervisor_workspace(supervisor.supervisor).todos]
    assert "审查陈述申辩" in actions


def test_buyer_todos_confirm_the_winner_sign_accept_rate_and_pay():
    buyer = buyer_user()
    unit = buyer.buyerstaff_set.get().unit

    # an awarded project: confirm the winner by the end of publicity
    project, _pool = awarded_project(buyer=buyer)
    (todo,) = todo_list_for_buyer_workspace(unit).todos
    assert todo.action == "确认中选结果" and todo.deadline == project.publicity_ends_at

    # the agency uploaded its contract: the buyer signs it by the contract deadline
    buyer2 = buyer_user()
    deal = contracting_project(buyer=buyer2, contract=True)
    (todo,) = todo_list_for_buyer_workspace(buyer2.buyerstaff_set.get().unit).todos
    assert todo.action == "签订合同" and todo.deadline == deal.engagement.contract_due

    # a result delivered: accept it by the acceptance deadline
    buyer3 = buyer_user()
    deal = delivered_engagement(buyer=buyer3)
    (todo,) = todo_list_for_buyer_workspace(buyer3.buyerstaff_set.get().unit).todos
    assert todo.action == "验收服务成果" and todo.deadline == deal.engagement.acceptance_due

    # accepted: rate by the rating deadline and pay by the due date, both on the workspace page
    buyer4 = buyer_user()
    deal = accepted_engagement(buyer=buyer4)
    response = logged_in(buyer4).get(ME)
    rows = dict(_rows(response))
    assert set(rows) == {"评价服务", "支付服务费"}
    todos = {t.action: t for t in todo_list_for_buyer_workspace(buyer4.buyerstaff_set.get().unit).todos}
    assert todos["评价服务"].deadline == deal.engagement.rating_due
    assert todos["支付服务费"].deadline == deal.engagement.payment.due_at
    assert local(deal.engagement.rating_due) in page_html(response)


def test_supervisor_and_operator_todos():
    # given an application waiting for review and a project waiting for publication
    supervisor = supervisor_user()
    agency, membership, _user = submitted_application()
    project = submitted_project()

    # then the supervisor is asked to review the application, the operator the project
    response = logged_in(supervisor).get(ME)
    assert ("审核入驻申请", agency.name) in _rows(response)
    assert reverse("supervisor-application", kwargs={"pk": membership.pk}) in page_html(response)
    response = logged_in(operator_user()).get(ME)
    assert ("审核项目", f"{project.code} {project.name}") in _rows(response)
    assert reverse("operator-project", kwargs={"code": project.code}) in page_html(response)


def test_the_workspace_page_costs_the_same_queries_for_one_todo_or_many():
    # given an agency that won one lowest-price project (the lowest quote is the third agency's)
    first, pool = awarded_project("price")
    winner, user = winner_of(first, pool)
    client = logged_in(user)
    client.get(ME)  # per-process caches filled outside the count
    one = query_count(client, ME)
    header_one = query_count(client, reverse("inbox"))  # a page whose header alone reads the to-dos

    # when it wins two more
    for _ in range(2):
        project, _pool = awarded_project("price", pool=pool)
        assert winner_of(project, pool)[0].agency == winner.agency

    # then the page lists three to-dos for the same number of queries
    assert len(_rows(client.get(ME))) == 3
    assert query_count(client, ME) == one <= BUDGETS["dashboard"]
    assert query_count(client, reverse("inbox")) == header_one <= BUDGETS["inbox"]
    assert 'data-testid="header-todo-count">待办 3<' in page_html(client.get(reverse("inbox")))


@pytest.mark.parametrize(
    ("selector", "budget"),
    [
        (todo_list_for_agency_workspace, 5),
        (todo_list_for_buyer_workspace, 2),
        (todo_list_for_supervisor_workspace, 5),
    ],
)
def test_each_role_selector_keeps_its_query_budget(selector, budget, django_assert_max_num_queries):
    buyer = buyer_user()
    deal = accepted_engagement(buyer=buyer)
    supervisor = supervisor_user()
    target = {
        todo_list_for_agency_workspace: deal.winner.agency,
        todo_list_for_buyer_workspace: buyer.buyerstaff_set.get().unit,
        todo_list_for_supervisor_workspace: supervisor.supervisor,
    }[selector]
    selector(target)  # the policy cache is filled outside the count
    with django_assert_max_num_queries(budget):
        selector(target)


def test_the_inbox_lists_messages_and_marks_them_read():
    # given two messages for an agency's account
    user = agency_user()
    for n in (1, 2):
        notify(
            recipients=[user],
            kind=Notification.Kind.REPAIRABLE,
            key=f"repairable:{n}",
            params={"entry": f"信用警告 {n}"},
            link="/agency/credit/",
        )
    client = logged_in(user)
    assert 'data-testid="header-unread-count">未读 2<' in page_html(client.get(ME))

    # when the inbox is opened
    text = page_text(client.get(reverse("inbox")))

    # then both are shown in words, and they are read now: the header no longer counts them
    assert "信用修复提醒函：信用警告 1" in text and "信用修复提醒函：信用警告 2" in text
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert "header-unread-count" not in page_html(client.get(ME))


def test_the_inbox_shows_another_language_when_switched():
    user = agency_user()
    notify(recipients=[user], kind=Notification.Kind.REPAIRABLE, key="repairable:9", params={"entry": "x"})
    client = logged_in(user)
    text = page_text(client.get(reverse("inbox"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Credit repair reminder" in text


def test_preferences_need_a_phone_number_for_sms_and_are_kept():
    user = agency_user()
    client = logged_in(user)
    url = reverse("notification-preferences")

    # SMS without a number is refused with a message and nothing is saved
    response = client.post(url, {"email": "on", "sms": "on", "phone": ""})
    assert "选择短信通知时，请填写接收短信的手机号码。" in page_text(response)
    assert not NotificationPreference.objects.filter(user=user).exists()

    # a number that is not a mobile number is refused on its field
    response = client.post(url, {"sms": "on", "phone": "12345"})
    assert "请填写 11 位手机号码。" in page_text(response)

    # a valid choice is kept: e-mail off, SMS on
    response = client.post(url, {"sms": "on", "phone": "13800000000"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.email, pref.sms, pref.phone) == (False, True, "13800000000")


def test_the_workspace_speaks_english_when_switched():
    project, pool = awarded_project()
    _winner, user = winner_of(project, pool)
    response = logged_in(user).get(ME, HTTP_ACCEPT_LANGUAGE="en")
    html = page_html(response)
    assert "Confirm selection" in html and "Time left" in html
    assert re.search(r"\d+ (d \d+ h|h|min) left", html)
    assert 'data-testid="header-todo-count">1 to do<' in html
