"""An agency wins: its workspace shows the to-do with a countdown and the header its unread message; it opens
the inbox and follows the message to confirm the win — in a real Chromium."""

import re

import pytest

from tests.factories import awarded_project, winner_of
from workflows.models import SignUp

from .axe import axe_run, serious
from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_winner_sees_its_todo_and_message_and_confirms_from_the_inbox(browser, live_server):
    # given a draw awarded by the sweep (the win's message is sent once the award commits)
    project, pool = awarded_project()
    winner, user = winner_of(project, pool)

    # when the winner's clerk logs in: the site shows its workspace
    page = session(browser, live_server, user.username)

    # then the to-do to confirm the win is listed with the time left, and the header counts it and the message
    todo = page.locator("table[data-role='agency'] tr.todo").filter(has_text=project.code)
    assert "确认中选" in todo.inner_text()
    assert re.search(r"还剩 \d+ (天 \d+ 小时|小时|分钟)", todo.locator(".countdown").inner_text())
    assert page.get_by_test_id("header-todo-count").inner_text() == "待办 1"
    assert page.get_by_test_id("header-unread-count").inner_text() == "未读 1"
    assert serious(axe_run(page)) == []

    # when it opens the inbox from the header
    page.get_by_role("link", name=re.compile("^消息")).click()
    page.wait_for_url("**/me/inbox/")

    # then the win is there, naming the project and the deadline to confirm; the message is read now
    message = page.locator(".inbox li").first
    assert f"中选通知：{project.code}" in message.inner_text()
    assert "请在" in message.inner_text() and "前确认中选" in message.inner_text()
    assert page.get_by_test_id("header-unread-count").count() == 0
    assert serious(axe_run(page)) == []

    # when it follows the message to the project and confirms the win there
    message.get_by_role("link", name=re.compile("中选通知")).click()
    page.wait_for_url(f"**/agency/projects/{project.code}/")
    page.get_by_role("button", name="确认中选").click()
    page.wait_for_load_state()

    # then the win is confirmed and the workspace has nothing left to do
    page.goto("/me/")
    assert page.get_by_test_id("todo-count").inner_text() == "0"
    assert page.get_by_test_id("header-todo-count").count() == 0
    page.context.close()
    assert SignUp.objects.get(pk=winner.pk).state == SignUp.State.CONFIRMED
