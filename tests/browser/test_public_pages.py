"""The public procurement pages in a real Chromium: axe-core finds no serious or critical violation on
the project search, a project's public page and the statistics, and the browser lays out the five
statistics charts as named images."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from workflows.selectors.public import project_list_for_search

from .axe import axe_run, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_public_pages_pass_axe_and_draw_their_charts(live_server, browser):
    # given the demo data (ORM first: no database calls once the browser runs)
    call_command("seed_demo", stdout=io.StringIO())
    project = project_list_for_search().first()
    assert project is not None
    urls = [reverse("project-search"), reverse("project-public", args=[project.code]), reverse("statistics")]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    found = {}
    for url in urls:
        # when axe-core checks each page
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        report = axe_run(page)
        assert report["version"].startswith("4.") and report["passed"] > 10, report
        bad = serious(report)
        if bad:
            found[url] = bad
    # and the statistics charts are laid out by the browser as images with a name
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == 5
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.get_by_role("img", name="信用措施月度统计").count() == 1
    context.close()
    # then there is no serious or critical violation
    assert found == {}
