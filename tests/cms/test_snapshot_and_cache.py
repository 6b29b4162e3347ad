"""A published notice is a snapshot; cached pages and lists change at once on publication and withdrawal."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from cms.caching import CSRF_FIELD, cached_page
from cms.models import HomePage, NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from cms.services import notice_withdraw
from credit_rules.models import CreditSubject
from marketplace.models import Agency
from tests.factories import admitted_agency, operator_user, supervisor_user
from workflows.services.credit.events import warning_issue

from .notices import publish, request_for

pytestmark = pytest.mark.django_db


def main(html: str) -> str:
    """The page's main content (the header differs between the public and signed-in visitors)."""
    return html[html.index("<main") : html.index("</main>")]


def test_published_notice_does_not_change_when_the_agency_is_renamed(client):
    # given a credit warning issued by a supervisor through the real service, and published
    agency, _membership, _user = admitted_agency()
    warning_issue(
        agency=agency,
        actor=supervisor_user(),
        facts="逾期提交成果文件。",
        evidence_summary="成果文件逾期 20 日提交，经核实。",
    )
    request = NoticeRequest.objects.get(kind="warning", payload__agency__uscc=agency.uscc)
    page = NoticePage.objects.get(pk=notice_request_publish(request.pk))
    old_name = agency.name
    before = client.get(page.url).content.decode()
    assert old_name in before

    # when the agency is renamed afterwards (and the publisher runs again, as a retry would)
    Agency.objects.filter(pk=agency.pk).update(name="惠州更名后评估咨询有限公司")
    CreditSubject.objects.filter(agency=agency).update(name="惠州更名后评估咨询有限公司")
    notice_request_publish(request.pk)

    # then the notice still shows the name it was published with, in its page, the list and the feed,
    # rendered afresh from the database (not served from the cache)
    cache.clear()
    page = NoticePage.objects.get(pk=page.pk)
    assert page.payload["agency"]["name"] == old_name and page.subject_name == old_name
    for url in (page.url, reverse("notice-list"), reverse("notice-feed-rss")):
        html = client.get(url).content.decode()
        assert old_name in html and "惠州更名后评估咨询有限公司" not in html
    cache.clear()
    assert main(client.get(page.url).content.decode()) == main(before)


def test_new_notice_shows_at_once_on_cached_lists_and_home(client):
    # given the list, a type list and the home page, rendered and cached
    first = publish("warning")
    for url in ("/notices/", "/notices/warning/", "/"):
        assert first.title in client.get(url).content.decode()

    # when a new notice is published
    second = publish("warning")

    # then every one of them shows it on the next request
    for url in ("/notices/", "/notices/warning/", "/"):
        assert second.title in client.get(url).content.decode()


def test_withdrawn_notice_disappears_at_once_from_cached_lists(client):
    # given a notice on the cached lists and its cached page
    notice = publish("suspension")
    for url in ("/notices/", "/notices/suspension/", "/", notice.url):
        assert notice.title in client.get(url).content.decode()
    assert "本公告已撤销" not in client.get(notice.url).content.decode()

    # when its measure is overturned and the withdrawal is published
    notice_withdraw(source_key=request_for(notice).source_key, reason="异议成立，已撤销")
    notice_request_publish(request_for(notice).pk)

    # then the active lists drop it on the next request, the archive has it, and its page says so
    for url in ("/notices/", "/notices/suspension/", "/"):
        assert notice.title not in client.get(url).content.decode()
    assert notice.title in client.get("/notices/?archive=1").content.decode()
    assert "本公告已撤销：异议成立，已撤销" in client.get(notice.url).content.decode()


def test_notice_unpublished_in_the_cms_leaves_the_cached_list(client):
    # given a cached list with a notice
    notice = publish("warning")
    assert notice.title in client.get("/notices/").content.decode()

    # when an editor unpublishes it in /cms/
    notice.unpublish()

    # then it is gone from the list at once
    assert notice.title not in client.get("/notices/").content.decode()


def test_lists_are_cached_per_language(client):
    # given the list read (and cached) in Chinese
    publish("warning")
    chinese = client.get("/notices/").content.decode()

    # when it is read in English
    client.cookies["zjcs_language"] = "en"
    english = client.get("/notices/").content.decode()

    # then the cached part (the type tabs) is in English, not the Chinese copy
    assert "信用警告 (1)" in chinese
    assert "Credit warning (1)" in english and "信用警告 (1)" not in english


@pytest.mark.parametrize("path", ["/notices/", "notice", "/"])
def test_a_cached_public_page_is_the_same_for_everyone_and_sets_no_cookie(path):
    # given a page cached by a first visitor
    notice = publish("warning")
    url = notice.url if path == "notice" else path
    first = Client(enforce_csrf_checks=True).get(url)

    # when a second visitor gets it from the cache
    second = Client(enforce_csrf_checks=True)
    response = second.get(url)

    # then both got the same bytes, with no token and no cookie for anyone
    html = response.content.decode()
    assert html == first.content.decode()
    assert CSRF_FIELD not in html and not response.cookies and not first.cookies
    # and the language switch in its header is a plain GET form that works from the cached page
    form = re.search(r'<form class="lang-switch" action="([^"]+)" method="get">', html)
    english = second.get(form.group(1), {"language": "en", "next": url})
    assert english.status_code == 302 and english["Location"] == url
    assert second.get(url).content.decode().count('<html lang="en">') == 1


def test_a_page_rendered_with_a_csrf_token_is_served_but_never_cached(rf):
    renders = []

    def render():
        renders.append(1)
        return HttpResponse('<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t"></form>')

    request = rf.get("/a-page-with-a-form/")
    for _ in range(2):
        assert CSRF_FIELD in cached_page(request, "test-form-page", render).content.decode()
    assert len(renders) == 2


def test_signed_in_visitors_get_their_own_header_on_cached_pages(client):
    # given the list and a notice cached by the public
    notice = publish("warning")
    Client().get("/notices/")
    Client().get(notice.url)

    # when a signed-in operator opens them
    client.force_login(operator_user())

    # then they see their own header (logout), and the same notices
    for url in ("/notices/", notice.url):
        html = client.get(url).content.decode()
        assert "退出登录" in html and notice.title in html


def test_front_page_edit_in_the_cms_shows_at_once(client):
    # given the front page cached for the public
    home = HomePage.objects.get()
    assert "公开选取" in client.get("/").content.decode()

    # when an editor publishes a new introduction in /cms/
    home.intro = "<p>本平台自 2027 年起受理线上异议。</p>"
    home.save_revision().publish()

    # then the public sees it on the next request
    assert "本平台自 2027 年起受理线上异议。" in client.get("/").content.decode()
