"""The public lists' downloads: for each list the CSV and XLSX hold exactly the page's rows (every page of them)
for the same filters, open in Excel (UTF-8 with BOM) and openpyxl, cost the same queries for 2 rows or 10, carry
no natural person's data, and stop at the row limit with a line that says so."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit_rules import views as credit_views
from credit_rules.models import MeasureKind
from credit_rules.services import measure_record, subject_for_agency
from opendata.exports import writers
from tests.cms.notices import credit_payload, import_many, publish
from tests.factories import AgencyFactory, BuyerUnitFactory, buyer_user
from tests.factories.procurement import published_project

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _measure(agency, kind: str, rule_code: str = "CR-ESC-003", days: int = 365):
    now = timezone.now()
    return measure_record(
        subject=subject_for_agency(agency),
        kind=kind,
        starts_at=now - DAY,
        ends_at=now + datetime.timedelta(days=days),
        rule_code=rule_code,
        basis="",
        evidence={"summary": "串通报价经查实"},
    )


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    raw = _body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)), read_only=True)
    return [["" if v is None else v for v in row] for row in workbook.active.iter_rows(values_only=True)]


def download(client, name: str, fmt: str, params: dict | None = None, *, kind: str = ""):
    if name == "notices":
        url = reverse("notice-download-kind", args=[kind, fmt]) if kind else reverse("notice-download", args=[fmt])
    else:
        url = reverse("list-download", args=[name, fmt])
    return client.get(url, params or {})


def page_column(client, url: str, params: dict, attr) -> list:
    """One value of every row of every page of a public list (the whole-page cache cleared each time)."""
    values, number = [], 1
    while True:
        cache.clear()
        response = client.get(url, {**params, "page": number})
        page = response.context["page_obj"]
        values += [attr(row) for row in page.object_list]
        if not page.has_next():
            return values
        number += 1


def column(rows: list[list], index: int) -> list:
    return [row[index] for row in rows[1:]]


# --- each list: the download's rows are the page's rows ----------------------------------------------


def test_directory_download_is_the_filtered_directory_in_both_formats(client, monkeypatch):
    # given 5 suspended agencies (three pages of two), others not suspended, and one not verified
    monkeypatch.setattr(credit_views, "PAGE_SIZE", 2)
    suspended = [AgencyFactory(name=f"惠州暂停评估有限公司{i:02d}") for i in range(5)]
    for agency in suspended:
        _measure(agency, MeasureKind.SUSPEND, "CR-ESC-001", 30)
    AgencyFactory(name="惠州良好评估有限公司")
    hidden = AgencyFactory(name="惠州未核验评估有限公司", identity="submitted")
    _measure(hidden, MeasureKind.SUSPEND, "CR-ESC-001", 30)
    params = {"measure": "suspend"}
    expected = page_column(client, reverse("agency-directory"), params, lambda a: a.uscc)
    assert len(expected) == 5 and hidden.uscc not in expected

    # when the filtered directory is downloaded
    rows = csv_rows(download(client, "agencies", "csv", params))
    sheet = xlsx_rows(download(client, "agencies", "xlsx", {**params, "page": "2"}))

    # then both hold the page's rows in its order (all pages, whatever page the link was on), with the measure
    assert rows[0][:2] == ["机构名称", "统一社会信用代码"]
    assert column(rows, 1) == expected == column(sheet, 1)
    assert {row[6] for row in rows[1:]} == {"暂停"} and all(row[4] in "ABCD" for row in rows[1:])
    assert sheet[0] == rows[0]


def test_blacklist_download_has_the_expelled_with_rule_and_reason(client):
    expelled = [AgencyFactory(name=f"惠州清退咨询有限公司{i}") for i in range(3)]
    for agency in expelled:
        _measure(agency, MeasureKind.EXPEL)
    AgencyFactory(name="惠州良好咨询有限公司")
    expected = page_column(client, reverse("blacklist"), {}, lambda s: s.uscc)

    rows = csv_rows(download(client, "blacklist", "csv"))
    sheet = xlsx_rows(download(client, "blacklist", "xlsx"))

    assert sorted(expected) == sorted(a.uscc for a in expelled)
    assert column(rows, 1) == expected == column(sheet, 1)
    assert {row[5] for row in rows[1:]} == {"CR-ESC-003"} and {row[7] for row in rows[1:]} == {"串通报价经查实"}


def test_redlist_download_has_the_rewarded_best_score_first(client):
    rewarded = [AgencyFactory(name=f"惠州守信测绘有限公司{i}") for i in range(3)]
    for agency in rewarded:
        _measure(agency, MeasureKind.REWARD, "CR-RWD-001")
    AgencyFactory(name="惠州普通测绘有限公司")
    expected = page_column(client, reverse("redlist"), {}, lambda s: s.uscc)

    rows = csv_rows(download(client, "redlist", "csv"))
    sheet = xlsx_rows(download(client, "redlist", "xlsx"))

    assert sorted(expected) == sorted(a.uscc for a in rewarded)
    assert column(rows, 1) == expected == column(sheet, 1)
    assert all("绿色通道" in row[5] and "CR-RWD-001" in row[5] for row in rows[1:])


def test_buyer_directory_download_follows_the_search(client):
    wanted = [BuyerUnitFactory(name=f"惠州市自然资源局分局{i}") for i in range(3)]
    BuyerUnitFactory(name="惠州市教育局")
    params = {"q": "自然资源"}
    expected = page_column(client, reverse("buyer-directory"), params, lambda u: u.uscc)

    rows = csv_rows(download(client, "buyers", "csv", params))
    sheet = xlsx_rows(download(client, "buyers", "xlsx", params))

    assert sorted(expected) == sorted(u.uscc for u in wanted)
    assert column(rows, 1) == expected == column(sheet, 1)
    assert rows[0][-2:] == ["有效失信记录", "生效的信用警告"] and sheet[1][4] == 0


def test_project_download_follows_the_search_form(client):
    buyer = BuyerUnitFactory(name="惠州市住房和城乡建设局")
    clerk = buyer_user(buyer)
    mine = [published_project(buyer=clerk), published_project(buyer=clerk)]
    published_project()  # another buyer's
    params = {"buyer": buyer.uscc}
    expected = page_column(client, reverse("project-search"), params, lambda p: p.code)

    rows = csv_rows(download(client, "projects", "csv", params))
    sheet = xlsx_rows(download(client, "projects", "xlsx", params))

    assert sorted(expected) == sorted(p.code for p in mine)
    assert column(rows, 0) == expected == column(sheet, 0)
    assert {row[3] for row in rows[1:]} == {buyer.uscc}
    assert isinstance(sheet[1][6], int | float), "the budget is a number in Excel"


def test_notice_download_follows_the_kind_and_the_search(client):
    warnings = [publish("warning") for _ in range(3)]
    publish("announcement")
    url = reverse("notice-list-kind", kwargs={"kind": "warning"})
    cache.clear()
    expected = [n.title for n in client.get(url).context["page_obj"].object_list]

    rows = csv_rows(download(client, "notices", "csv", kind="warning"))
    sheet = xlsx_rows(download(client, "notices", "xlsx", kind="warning"))
    every = csv_rows(download(client, "notices", "csv"))
    one = csv_rows(download(client, "notices", "csv", {"uscc": warnings[0].subject_uscc}))

    assert sorted(expected) == sorted(n.title for n in warnings)
    assert column(rows, 0) == expected == column(sheet, 0)
    assert len(every) == 5 and column(one, 0) == [warnings[0].title]
    assert all(row[-1].startswith("http") for row in rows[1:])
    assert download(client, "notices", "csv", kind="nonsense").status_code == 404


# --- the page's links, the language, the limits ------------------------------------------------------


def test_each_list_page_links_both_downloads_with_its_query_string(client):
    pages = {
        reverse("agency-directory") + "?grade=A&page=2": reverse("list-download", args=["agencies", "csv"])
        + "?grade=A",
        reverse("blacklist"): reverse("list-download", args=["blacklist", "xlsx"]),
        reverse("redlist"): reverse("list-download", args=["redlist", "csv"]),
        reverse("statistics"): reverse("list-download", args=["statistics", "xlsx"]),
        reverse("buyer-directory") + "?q=%E5%B1%80": reverse("list-download", args=["buyers", "xlsx"]) + "?q=%E5%B1%80",
        reverse("project-search") + "?method=draw": reverse("list-download", args=["projects", "csv"]) + "?method=draw",
        reverse("notice-list-kind", kwargs={"kind": "warning"}) + "?archive=1": reverse(
            "notice-download-kind", args=["warning", "xlsx"]
        )
        + "?archive=1",
    }
    for page, link in pages.items():
        body = client.get(page).content.decode()
        assert f'href="{link}"' in body, (page, link)
        assert "下载 CSV" in body and "下载 Excel" in body


def test_headings_are_in_the_readers_language(client):
    AgencyFactory()
    client.cookies["zjcs_language"] = "en"
    rows = csv_rows(download(client, "agencies", "csv"))
    assert rows[0][:2] == ["Agency name", "Unified social credit code (USCC)"]


def test_no_natural_persons_data_in_any_download(client):
    agency = AgencyFactory(contact_name="联系人甄秘密", contact_phone="13912345678", legal_representative="法人邬隐私")
    _measure(agency, MeasureKind.EXPEL)
    rewarded = AgencyFactory(contact_name="联系人甄秘密", legal_representative="法人邬隐私")
    _measure(rewarded, MeasureKind.REWARD, "CR-RWD-001")
    BuyerUnitFactory(contact_name="联系人甄秘密", contact_phone="13912345678")
    for name in ("agencies", "blacklist", "redlist", "buyers", "projects", "notices"):
        for fmt in ("csv", "xlsx"):
            rows = csv_rows(download(client, name, fmt)) if fmt == "csv" else xlsx_rows(download(client, name, fmt))
            text = repr(rows)
            for secret in ("甄秘密", "13912345678", "邬隐私"):
                assert secret not in text, (name, fmt)


def test_text_a_spreadsheet_would_run_is_written_as_text(client):
    AgencyFactory(name='=HYPERLINK("http://x")有限公司')
    rows = csv_rows(download(client, "agencies", "csv"))
    assert rows[1][0].startswith("'=")


def test_an_enormous_list_stops_at_the_limit_and_says_so(client, monkeypatch):
    for _ in range(4):
        AgencyFactory()
    monkeypatch.setattr(writers, "MAX_ROWS", 3)
    rows = csv_rows(download(client, "agencies", "csv"))
    sheet = xlsx_rows(download(client, "agencies", "xlsx"))
    assert len(rows) == 5 and "只下载了前 3 行" in rows[-1][0]
    assert len(sheet) == 5 and "只下载了前 3 行" in sheet[-1][0]


def test_unknown_list_or_format_is_not_found(client):
    assert client.get(reverse("list-download", args=["people", "csv"])).status_code == 404
    assert client.get(reverse("list-download", args=["agencies", "pdf"])).status_code == 404


# --- the query budget: as many queries for 10 rows as for 2 ---------------------------------------------


def _queries(client, name: str, fmt: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = download(client, name, fmt, params)
        _body(response)
    return len(ctx.captured_queries)


def test_download_queries_do_not_grow_with_rows(client):
    def grow(n: int) -> None:
        for _ in range(n):
            agency = AgencyFactory()
            _measure(agency, MeasureKind.REWARD, "CR-RWD-001")
            _measure(AgencyFactory(), MeasureKind.EXPEL)
            BuyerUnitFactory()

    grow(2)
    cases = [("agencies", {}), ("agencies", {"category": "VAL"}), ("blacklist", {}), ("redlist", {}), ("buyers", {})]
    few = [_queries(client, name, fmt, params) for name, params in cases for fmt in ("csv", "xlsx")]
    grow(8)
    many = [_queries(client, name, fmt, params) for name, params in cases for fmt in ("csv", "xlsx")]
    assert many == few
    assert max(few) <= 8


def test_statistics_download_holds_every_charts_data_table(client):
    # given agencies with credit records (the grade chart counts them)
    for _ in range(3):
        _measure(AgencyFactory(), MeasureKind.REWARD, "CR-RWD-001")
    response = client.get(reverse("statistics"))
    charts = response.context["charts"]

    # when the statistics are downloaded
    rows = csv_rows(download(client, "statistics", "csv"))
    sheet = xlsx_rows(download(client, "statistics", "xlsx"))

    # then each chart's every label and series is a row with the chart's number, as a number in Excel
    expected = [
        [chart.title, label, series.values[i]]
        for chart in charts
        for i, label in enumerate(chart.labels)
        for series in chart.series
    ]
    assert [[r[0], r[2], r[4]] for r in sheet[1:]] == expected
    assert [r[0] for r in rows[1:]] == [r[0] for r in expected]
    grades = [r for r in sheet[1:] if r[0] == "中介机构信用等级分布"]
    assert sum(r[4] for r in grades) == 3


@pytest.mark.parametrize("kind", ["", "warning", "termination", "red_list"])
def test_every_notice_kind_downloads_as_a_workbook_in_both_languages(client, kind):
    for language in ("zh-hans", "en"):
        client.cookies["zjcs_language"] = language
        sheet = xlsx_rows(download(client, "notices", "xlsx", kind=kind))
        assert len(sheet) == 1  # the headings of an empty list


def test_notice_download_follows_the_search_words(client):
    # given notices about two agencies
    appraisal = publish("warning", payload=credit_payload(name="惠州市明正房地产土地资产评估有限公司"))
    publish("warning", payload=credit_payload(name="博罗县海岳测绘勘察有限公司"))
    cache.clear()
    expected = [n.title for n in client.get(reverse("notice-list"), {"q": "资产评估"}).context["page_obj"].object_list]

    # when the search is downloaded
    rows = csv_rows(download(client, "notices", "csv", {"q": "资产评估"}))

    # then the file holds the notice the page found, and only it
    assert expected == [appraisal.title] == column(rows, 0)


def test_notice_download_queries_do_not_grow_with_rows(client):
    import_many(2)
    import_many(1, withdrawn=True)
    cases = [{}, {"archive": "1"}]
    _queries(client, "notices", "csv")  # Wagtail's site root paths, cached once per process
    few = [_queries(client, "notices", fmt, params) for params in cases for fmt in ("csv", "xlsx")]
    import_many(10)
    import_many(5, withdrawn=True)
    many = [_queries(client, "notices", fmt, params) for params in cases for fmt in ("csv", "xlsx")]
    assert many == few
    assert max(few) <= 8
