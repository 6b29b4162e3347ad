"""RSS 2.0 and Atom feeds of the notices, all types and per type."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from cms.publishing import notice_request_publish
from cms.services import notice_withdraw
from tests.helpers import days_ago

from .notices import project_payload, publish, request_for

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return [{child.tag: (child.text or "") for child in item} for item in root.find("channel").findall("item")]


def atom_entries(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "title": entry.find(f"{ATOM}title").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": entry.find(f"{ATOM}updated").text,
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_rss_lists_the_latest_active_notices_newest_first(client):
    # given an older announcement, a newer warning, and a withdrawn warning
    older = publish("announcement", at=days_ago(2))
    newer = publish("warning", at=days_ago(1))
    gone = publish("warning")
    notice_withdraw(source_key=request_for(gone).source_key, reason="信用修复，已撤销公示")
    notice_request_publish(request_for(gone).pk)

    # when the RSS feed of all notices is read
    items = rss_items(client, reverse("notice-feed-rss"))

    # then it parses and holds the active notices newest first, with absolute links
    assert [i["title"] for i in items] == [newer.title, older.title]
    assert items[0]["link"] == f"http://testserver{newer.url}"
    assert items[0]["category"] == "信用警告" and newer.subject_uscc in items[0]["description"]


def test_atom_feed_per_type(client):
    # given a warning and an announcement
    warning = publish("warning")
    publish("announcement")

    # when the warnings' Atom feed is read
    entries = atom_entries(client, reverse("notice-feed-kind-atom", kwargs={"kind": "warning"}))

    # then it parses and holds only the warning
    assert [e["title"] for e in entries] == [warning.title]
    assert entries[0]["link"] == f"http://testserver{warning.url}"


def test_per_type_rss_and_all_atom(client):
    announcement = publish("announcement")
    publish("warning")

    assert [i["title"] for i in rss_items(client, "/notices/announcement/feed/rss/")] == [announcement.title]
    assert len(atom_entries(client, "/notices/feed/atom/")) == 2


def test_feed_shows_a_new_notice_at_once(client):
    # given a feed read (and cached) with one notice
    publish("warning")
    assert len(rss_items(client, "/notices/feed/rss/")) == 1

    # when another is published
    new = publish("warning")

    # then the feed has it on the next read
    assert rss_items(client, "/notices/feed/rss/")[0]["title"] == new.title


def test_list_page_announces_its_feeds(client):
    html = client.get("/notices/warning/").content.decode()
    assert 'type="application/rss+xml"' in html and 'href="/notices/warning/feed/rss/"' in html
    assert 'href="/notices/warning/feed/atom/"' in html


@pytest.mark.parametrize(("feed", "summary_tag"), [("rss", "description"), ("atom", f"{ATOM}summary")])
def test_feeds_carry_a_project_name_as_text_never_as_markup(client, feed, summary_tag):
    # given an announcement whose project name holds markup
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>道路工程'
    publish("announcement", payload=project_payload(name=hostile))

    # when a feed reader parses the feed and reads the summary as the HTML it declares
    response = client.get(reverse(f"notice-feed-{feed}"))
    root = ET.fromstring(response.content)
    summaries = [element.text or "" for element in root.iter(summary_tag)]
    summary = next(text for text in summaries if "道路工程" in text)

    # then the markup arrives as escaped text: no tag survives the HTML reading
    assert "<script" not in summary and "<img" not in summary
    assert "&lt;script&gt;" in summary
    if feed == "atom":
        assert root.find(f"{ATOM}entry/{ATOM}summary").get("type") == "html"
