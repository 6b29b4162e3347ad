"""Downloads in a real Chromium: a visitor downloads the red list as Excel from the page, and an agency
downloads its credit report PDF, which the public verification page printed on it confirms (uploaded through
the file input) and whose tampered copy it rejects."""

from __future__ import annotations

import datetime
import io
import re
from importlib import import_module

import openpyxl
import pytest
from django.apps import apps
from django.utils import timezone

from credit_rules.models import MeasureKind
from credit_rules.services import measure_record, subject_for_agency
from tests.factories import AgencyFactory, agency_user

from .flows import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def default_data_ensure() -> None:
    """The shipped regions and categories the factories need (see tests/browser/test_draw_verify.py)."""
    import_module("marketplace.migrations.0002_default_data").load(apps, None)


def _reward(agency) -> None:
    now = timezone.now()
    measure_record(
        subject=subject_for_agency(agency),
        kind=MeasureKind.REWARD,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=365),
        rule_code="CR-RWD-001",
        basis="",
    )


def test_a_visitor_downloads_the_red_list_as_excel(live_server, browser, tmp_path):
    # given two agencies on the red list and one not (ORM first)
    default_data_ensure()
    listed = [AgencyFactory(name="惠州守信甲测绘有限公司"), AgencyFactory(name="惠州守信乙测绘有限公司")]
    for agency in listed:
        _reward(agency)
    AgencyFactory(name="惠州普通丙测绘有限公司")
    page = session(browser, live_server)

    # when a visitor opens the red list and clicks 下载 Excel
    page.goto("/credit/redlist/")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel").click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    page.context.close()

    # then the file is a workbook whose rows are the page's agencies, headed in Chinese
    assert download.suggested_filename.startswith("redlist-") and path.suffix == ".xlsx"
    rows = list(
        openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True)
    )
    assert rows[0][:2] == ("机构名称", "统一社会信用代码")
    assert sorted(r[0] for r in rows[1:]) == sorted(a.name for a in listed)


def test_an_agency_downloads_its_credit_report_and_the_public_verifies_it(live_server, browser, tmp_path):
    # given a verified agency with an account
    default_data_ensure()
    agency = AgencyFactory(name="惠州信用报告测绘有限公司")
    agency_user(agency, username="report_agency")
    page = session(browser, live_server, "report_agency")

    # when it downloads its credit report from 我的信用
    page.goto("/agency/credit/")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载信用报告（PDF）").click()
    download = info.value
    original = tmp_path / "report.pdf"
    download.save_as(original)
    pdf = original.read_bytes()
    page.context.close()
    assert pdf.startswith(b"%PDF") and download.suggested_filename.endswith(".pdf")

    # and a visitor opens the verification URL printed on it and uploads the PDF
    printed = re.search(rb"https?://[^\s()]+/credit/reports/[0-9a-f-]{36}/verify/", pdf)
    assert printed is not None
    visitor = session(browser, live_server)
    visitor.goto(printed.group().decode())
    visitor.get_by_label("信用报告 PDF 文件").set_input_files(str(original))
    visitor.get_by_role("button", name="验证").click()

    # then the page confirms it and shows what it attested
    answer = visitor.locator("#verify-answer")
    answer.wait_for()
    assert "一致：这是本平台签发的信用报告" in answer.inner_text()
    assert agency.name in answer.inner_text() and agency.uscc in answer.inner_text()

    # and a copy with one byte changed is rejected
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(pdf.replace(b"/Title", b"/Titlf", 1))
    visitor.get_by_label("信用报告 PDF 文件").set_input_files(str(tampered))
    visitor.get_by_role("button", name="验证").click()
    visitor.get_by_role("heading", name="不一致：未找到与之相符的信用报告").wait_for()
    assert agency.uscc not in visitor.locator("#verify-answer").inner_text()
    visitor.context.close()
