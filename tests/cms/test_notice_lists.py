"""Public notice lists: all and per type, newest first, search, date and USCC filters, pages, archive."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeIndexPage, NoticePage
from cms.publishing import notice_request_publish
from cms.services import notice_withdraw
from tests.helpers import days_ago, query_count

from .notices import credit_payload, import_many, project_payload, publish, request_for

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [n.title for n in response.context["page_obj"].object_list] if "page_obj" in response.context else []


def listed(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_all_notices_newest_first_with_type_tabs(client):
    # given notices of three types published on different days
    old = publish("announcement", at=days_ago(3))
    middle = publish("warning", at=days_ago(2))
    new = publish("result", at=days_ago(1))

    # when the public opens /notices/
    html = listed(client, reverse("notice-list"))

    # then all three are listed newest first, and the tabs link each type with its count
    assert html.index(new.title) < html.index(middle.title) < html.index(old.title)
    assert f'href="{reverse("notice-list-kind", kwargs={"kind": "warning"})}"' in html
    assert "信用警告 (1)" in html and "全部公告</strong> (3)" in html
    assert f'href="{old.url}"' in html


def test_type_list_shows_only_that_type(client):
    # given a warning and an announcement
    warning = publish("warning")
    announcement = publish("announcement")

    # when the warnings list is opened
    html = listed(client, reverse("notice-list-kind", kwargs={"kind": "warning"}))

    # then only the warning is there, and the tab says where we are
    assert warning.title in html and announcement.title not in html
    assert 'aria-current="page"><strong>信用警告</strong>' in html


def test_unknown_type_is_not_found(client):
    assert client.get("/notices/no-such-type/").status_code == 404


def test_withdrawn_notice_leaves_the_list_and_stays_in_the_archive(client):
    # given two warnings, one later withdrawn after a repair
    kept = publish("warning")
    repaired = publish("warning")
    notice_withdraw(source_key=request_for(repaired).source_key, reason="信用修复，已撤销公示")
    notice_request_publish(request_for(repaired).pk)

    # when the active list and the archive are opened
    active = listed(client, reverse("notice-list"))
    archive = listed(client, reverse("notice-list"), archive="1")

    # then the withdrawn one is only in the archive, marked 已撤销 with its reason
    assert kept.title in active and repaired.title not in active
    assert repaired.title in archive and kept.title not in archive
    assert "已撤销" in archive and "信用修复，已撤销公示" in archive
    # and its own page still answers, saying it was withdrawn
    page = client.get(repaired.url).content.decode()
    assert "本公告已撤销：信用修复，已撤销公示" in page


def test_a_credit_notice_past_its_publication_period_leaves_the_lists_for_the_archive(client):
    # given three warnings: one whose publication period ended yesterday, one ending today, one without an end
    today = timezone.localdate()
    ended = publish(
        "warning", payload={**credit_payload(), "public_until": (today - datetime.timedelta(days=1)).isoformat()}
    )
    last_day = publish("warning", payload={**credit_payload(), "public_until": today.isoformat()})
    open_ended = publish("warning")
    assert ended.public_until == today - datetime.timedelta(days=1) and open_ended.public_until is None

    # when the lists, the archive, a search, the feed and the front page are read
    active = listed(client, reverse("notice-list"))
    archive = listed(client, reverse("notice-list"), archive="1")
    searched = listed(client, reverse("notice-list-kind", kwargs={"kind": "warning"}), q="测试评估")
    feed = client.get(reverse("notice-feed-rss")).content.decode()

    # then the ended one is only in the archive, marked as ended on its date; the others stay
    assert last_day.title in active and open_ended.title in active and ended.title not in active
    assert ended.title in archive and last_day.title not in archive and open_ended.title not in archive
    assert f"公示期满（{ended.public_until:%Y-%m-%d}）" in archive
    assert ended.title not in searched and last_day.title in searched
    assert ended.title in listed(client, reverse("notice-list"), archive="1", q="测试评估")
    assert ended.title not in feed and last_day.title in feed
    assert ended.pk not in {n.pk for n in NoticePage.latest()}
    assert "信用警告 (2)" in active and "已撤销及期满公告 (1)" in active
    # and its own page still answers, with the end of its publication
    page = client.get(ended.url).content.decode()
    assert f"公示期至</dt><dd>{ended.public_until:%Y-%m-%d}（公示期满）" in page


def test_search_finds_chinese_words_inside_longer_names(client):
    # given notices about two agencies
    appraisal = publish(
        "warning", payload=credit_payload(name="惠州市明正房地产土地资产评估有限公司", summary="估价报告数据错误")
    )
    survey = publish("warning", payload=credit_payload(name="博罗县海岳测绘勘察有限公司", summary="测绘成果精度不达标"))

    # when searching for words that sit inside the names and the facts
    by_word = listed(client, reverse("notice-list"), q="资产评估")
    by_fact = listed(client, reverse("notice-list"), q="精度不达标")
    by_uscc = listed(client, reverse("notice-list"), q=survey.subject_uscc)
    nothing = listed(client, reverse("notice-list"), q="环境影响评价")

    # then each finds its notice and only it
    assert appraisal.title in by_word and survey.title not in by_word
    assert survey.title in by_fact and appraisal.title not in by_fact
    assert survey.title in by_uscc and appraisal.title not in by_uscc
    assert appraisal.title not in nothing and survey.title not in nothing and "没有符合条件的公告" in nothing


def test_search_by_project_code_within_a_type(client):
    # given two announcements and a result of the first project
    first = publish("announcement", payload=project_payload(code="ZJCS-2026-000777"))
    publish("announcement", payload=project_payload(code="ZJCS-2026-000888"))
    result = publish("result", payload=project_payload("result", code="ZJCS-2026-000777"))

    # when searching announcements for the first code
    html = listed(client, reverse("notice-list-kind", kwargs={"kind": "announcement"}), q="ZJCS-2026-000777")

    # then only the first announcement is found (the result is another type)
    assert first.title in html and result.title not in html and "共 1 条公告" in html


def test_date_range_filter(client):
    # given notices 10, 5 and 1 days old
    ten = publish("warning", at=days_ago(10))
    five = publish("warning", at=days_ago(5))
    one = publish("warning", at=days_ago(1))

    # when filtering from 7 to 3 days ago
    html = listed(
        client,
        reverse("notice-list"),
        date_from=days_ago(7).date().isoformat(),
        date_to=days_ago(3).date().isoformat(),
    )

    # then only the 5-day-old notice is listed
    assert five.title in html and ten.title not in html and one.title not in html


def test_date_range_upside_down_is_reported(client):
    # given a notice
    notice = publish("warning")

    # when the end date is before the start date
    html = listed(client, reverse("notice-list"), date_from="2026-03-01", date_to="2026-02-01")

    # then the visitor is told, and the list is not filtered by the bad range
    assert "截止日期不能早于起始日期。" in html and notice.title in html


def test_uscc_filter_for_credit_notices(client):
    # given warnings about two agencies
    mine = publish("warning")
    other = publish("warning")

    # when filtering by the first agency's USCC, typed in lower case with spaces
    html = listed(
        client, reverse("notice-list-kind", kwargs={"kind": "warning"}), uscc=f" {mine.subject_uscc.lower()} "
    )

    # then only its notice is listed
    assert mine.title in html and other.title not in html


def test_bad_uscc_gets_a_clear_message(client):
    publish("warning")

    html = listed(client, reverse("notice-list"), uscc="91441302MA4W1234")

    assert "统一社会信用代码应为 18 位，当前为 16 位。" in html


def test_project_type_lists_have_no_uscc_filter(client):
    html = listed(client, reverse("notice-list-kind", kwargs={"kind": "announcement"}))
    assert 'name="uscc"' not in html
    assert 'name="uscc"' in listed(client, reverse("notice-list-kind", kwargs={"kind": "expulsion"}))


def test_twenty_per_page_with_links_that_keep_the_search(client):
    # given 25 warnings
    import_many(25)

    # when the first and second pages of a search are opened
    first = client.get(reverse("notice-list"), {"q": "信用警告"}).content.decode()
    second = client.get(reverse("notice-list"), {"q": "信用警告", "page": "2"}).content.decode()

    # then 20 and 5 are shown, and the next link keeps the query
    assert first.count("<tr>") == 21  # header row + 20
    assert second.count("<tr>") == 6
    assert 'href="/notices/?q=%E4%BF%A1%E7%94%A8%E8%AD%A6%E5%91%8A&amp;page=2" rel="next"' in first
    assert "共 25 条公告" in first


PAGES = [
    ("/notices/", {}),
    ("/notices/warning/", {}),
    ("/notices/", {"q": "信用警告"}),
    ("/notices/", {"uscc": "", "date_from": "2020-01-01"}),
    ("/notices/", {"archive": "1"}),
    ("/notices/feed/rss/", {}),
    ("/notices/warning/feed/atom/", {}),
    ("/", {}),
]


def _queries(client, url: str, params: dict) -> int:
    cache.clear()  # measure the uncached render: the cached one costs nothing
    return query_count(client, url, params)


def test_query_count_does_not_grow_with_the_notices(client):
    # given one active and one withdrawn notice, the query count of each uncached public page
    import_many(1)
    import_many(1, withdrawn=True)
    notice = publish("warning")
    for url, params in PAGES:  # warm per-process caches (Wagtail's site root paths) outside the count
        _queries(client, url, params)
    one = {url + str(params): _queries(client, url, params) for url, params in PAGES}
    one_page = _queries(client, notice.url, {})

    # when there are fifty of each
    import_many(49)
    import_many(49, withdrawn=True)
    fifty = {url + str(params): _queries(client, url, params) for url, params in PAGES}

    # then every page costs the same number of queries
    assert one == fifty
    assert _queries(client, notice.url, {}) == one_page


def test_a_cached_list_costs_no_query(client, django_assert_num_queries):
    # given a list rendered once
    publish("warning")
    client.get(reverse("notice-list"))

    # then rendering it again asks the database nothing
    with django_assert_num_queries(0):
        assert client.get(reverse("notice-list")).status_code == 200


def test_the_tab_counts_are_counted_once_per_notice_version(client):
    # given the first page of the list rendered, and a second notice kind to click
    import_many(25)
    publish("warning")
    client.get(reverse("notice-list"))

    # when the second page and the warnings' tab are opened (each a fragment not yet cached)
    with CaptureQueriesContext(connection) as later:
        second = client.get(reverse("notice-list"), {"page": "2"})
        warnings = client.get(reverse("notice-list-kind", kwargs={"kind": "warning"}))

    # then neither counts the notices again, and the pages still say how many there are
    counting = [q["sql"] for q in later.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counting == []
    assert "共 26 条公告" in second.content.decode()
    assert "共 26 条公告" in warnings.content.decode()

    # and a notice published afterwards is counted on the next request
    publish("warning")
    assert "共 27 条公告" in client.get(reverse("notice-list-kind", kwargs={"kind": "warning"})).content.decode()


def test_the_notice_index_page_serves_the_same_list():
    # given a notice, and the Wagtail page that holds all notices
    notice = publish("warning")
    index = NoticeIndexPage.objects.get()

    # when Wagtail serves the index page itself (as a preview in /cms/ would)
    request = RequestFactory().get(index.url)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = index.serve(request)

    # then it is the notice list
    assert response.status_code == 200 and notice.title in response.content.decode()
    assert index.url == reverse("notice-list")
