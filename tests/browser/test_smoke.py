"""The site shell in a real Chromium: home page, English switch, demo buyer login."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_home_switch_to_english_and_log_in_as_demo_buyer(live_server, browser):
    call_command("seed_demo", stdout=io.StringIO())
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()

    page.goto("/")
    assert page.locator("h1").first.inner_text() == "中介超市"

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Log in").is_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("buyer_demo")
    page.get_by_label("Password").fill("demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="My workspace").click()
    page.wait_for_url("**/me/")
    assert "惠州市住房和城乡建设局" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
