"""The monthly operations report in a real Chromium: a supervisor opens the archive from its work pages, reads a
month's report with its server-drawn charts and downloads the PDF."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import supervisor_user
from workflows.services.reports import monthly_report_generate

from .flows import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _serialized_rollback_inside_playwright(browser, transactional_db):
    """Restore the migrated default data when serialized_rollback could not (see test_supervisor_warning)."""
    from django.db import connections

    sync_side = object.__getattribute__(connections._connections, "_storage")
    for alias in connections:
        in_loop = connections[alias]
        contents = getattr(getattr(sync_side, alias, None), "_test_serialized_contents", None)
        if contents and not hasattr(in_loop, "_test_serialized_contents"):
            in_loop._test_serialized_contents = contents
            in_loop.creation.deserialize_db_from_string(contents)


def test_a_supervisor_opens_the_archive_reads_a_report_and_downloads_the_pdf(page):
    # given two archived months and a supervisor
    supervisor_user(username="sup_reports")
    monthly_report_generate(datetime.date(2026, 10, 1))
    monthly_report_generate(datetime.date(2026, 11, 1))

    # when the supervisor goes from its work pages to the reports
    log_in(page, "sup_reports")
    page.goto("/supervisor/")
    page.get_by_role("link", name="月度运营报告").click()
    page.wait_for_url("**/supervisor/reports/")
    rows = page.locator("#reports tbody tr")
    assert rows.count() == 2 and rows.first.inner_text().startswith("2026-11")

    # and opens November's report
    page.get_by_role("link", name="2026-11").click()
    page.wait_for_url("**/supervisor/reports/2026-11/")
    assert "月度运营报告（2026-11）" in page.locator("h1").inner_text()
    assert page.locator("figure svg").count() == 3
    assert page.locator("#methods tbody tr").count() == 5  # four methods and the total

    # then the PDF downloads
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 PDF").click()
    download = info.value
    assert download.suggested_filename == "operations-report-2026-11.pdf"
    with open(download.path(), "rb") as f:
        content = f.read()
    assert content.startswith(b"%PDF-") and b"2026-11" in content
