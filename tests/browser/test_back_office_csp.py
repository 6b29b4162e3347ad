"""The back offices work under the site's Content-Security-Policy: Django's admin and Wagtail's admin
load, edit and save with no inline script or style refused (the browser fixture fails on any refusal
the console reports) and with their own scripts running (a widget that only JavaScript builds is there).
"""

from __future__ import annotations

import pytest

from cms.models import HomePage
from tests.browser.flows import session
from tests.cms.notices import credit_payload, publish
from tests.factories import AgencyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def admin_page(browser, live_server):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page = session(browser, live_server)
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("root")
    page.locator("#id_password").fill("pw-12345")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    return page


def test_django_admin_lists_and_edits_under_the_policy(admin_page):
    agency = AgencyFactory(name="惠州策略评估有限公司")
    page = admin_page
    page.goto("/admin/marketplace/agency/")
    page.get_by_role("link", name="惠州策略评估有限公司").click()
    # The related-object widgets (the "+" and pencil links) are built by admin's own script files.
    page.locator("#id_introduction").fill("经营范围：房地产估价。")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/marketplace/agency/")
    agency.refresh_from_db()
    assert agency.introduction == "经营范围：房地产估价。"
    # The changelist's select-all checkbox is wired by actions.js: checking it counts the rows.
    page.locator("#action-toggle").check()
    assert "1" in page.locator(".action-counter").inner_text()
    assert page.locator("#action-toggle").is_checked()


def test_wagtail_admin_explores_filters_and_edits_under_the_policy(admin_page):
    notice = publish("warning", payload=credit_payload("warning", name="惠州策略测绘有限公司"))
    home = HomePage.objects.get()
    page = admin_page
    page.goto("/cms/")
    page.goto(f"/cms/pages/{notice.get_parent().pk}/")
    page.get_by_text("惠州策略测绘有限公司").first.wait_for()
    # The explorer's date filters are started by static/js/wagtail-widgets.js, not by Wagtail's inline
    # scripts (which the policy refuses): each marker is started, and its input has a date picker.
    markers = page.locator("[data-wagtail-chooser='initDateChooser']")
    assert markers.count() >= 1
    page.wait_for_function("() => document.querySelectorAll('[data-wagtail-chooser]:not([data-started])').length === 0")
    # Wagtail's page editor is a JavaScript application: its tabs only exist once its scripts ran.
    page.goto(f"/cms/pages/{home.pk}/edit/")
    page.locator("[data-w-tabs-target='trigger']").first.wait_for()
    page.get_by_role("button", name="保存草稿").click()
    page.locator(".messages .success, [role=status]").first.wait_for()
