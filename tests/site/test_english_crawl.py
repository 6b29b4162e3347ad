"""The English switch leaves no Chinese behind: every page reachable by links from the home page and each
role's dashboard, crawled in English as each role (and anonymously), shows Chinese only in proper names.

The allow-list is read from the data, never from the pages: organisations' and places' names, service
categories and licences without an English name, the documents a basis may cite (their titles are proper
names), and what people typed (project names, reasons, facts) in the demo data. Everything else — labels,
states, credit item names, rule titles and bases, messages, numbers and punctuation — must be English.
"""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from cms.models import NoticePage
from credit_rules import citations
from credit_rules.models import CommitmentLetter, ExternalListing, LedgerEntry
from marketplace.models import (
    Agency,
    BuyerUnit,
    QualificationLevel,
    QualificationType,
    Region,
    ServiceCategory,
    SupervisorProfile,
)
from workflows.models import (
    AvoidEntry,
    CreditCase,
    Engagement,
    Membership,
    Objection,
    Project,
    ProposalMark,
    Rating,
    RepairRequest,
)

pytestmark = pytest.mark.django_db

# Chinese characters, and the full-width punctuation that must not survive in English text.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
PAGE_LIMIT = 400
# A notice's own page (not a list of one kind, nor a feed).
NOTICE_PAGE = re.compile(
    r"^/notices/(?!(?:announcement|result|contract|termination|warning|suspension|expulsion|revocation|red_list|repair)/)[^/?]+/$"
)
# Back-office tools with their own translations (Django admin, Wagtail), and non-page downloads.
SKIP_PREFIXES = ("/admin/", "/cms/", "/accounts/logout/", "/lang/", "/documents/", "/media/", "/static/")
SKIP_SUFFIXES = (".json", ".md", ".csv", ".pdf", ".xml", ".rss")
# The draw specification is a technical document published in Chinese (docs/draw.md), not an interface page.
SKIP_PAGES = ("/draws/spec/",)

# What people type: kept as typed, in whatever language they wrote it.
TYPED_TEXT: list[tuple[type[models.Model], tuple[str, ...]]] = [
    (Agency, ("name", "introduction", "address")),
    (BuyerUnit, ("name", "supervising_department", "address")),
    (ExternalListing, ("name", "reason", "source")),
    (Project, ("name", "content", "scale", "direct_reason", "review_note", "cancel_reason", "draw_beacon")),
    (AvoidEntry, ("reason",)),
    (CreditCase, ("facts", "agency_response", "decision_note")),
    (Objection, ("reason", "decision_note")),
    (RepairRequest, ("correction", "decision_note")),
    (Membership, ("statement", "review_note")),
    (Engagement, ("extension_reason", "rework_note", "terminated_reason")),
    (Rating, ("comment",)),
    (ProposalMark, ("note",)),
]
# Names kept in two languages: the Chinese one is allowed only where no English name is kept.
BILINGUAL = (Region, ServiceCategory, QualificationType, QualificationLevel)
# Organisations named in the data beside the ones above: licences' issuing bodies.
ORGANISATIONS = ((QualificationType, "issuing_body"), (SupervisorProfile, "authority"))


def allow_list() -> list[str]:
    """Proper names and typed text from the database and the citations registry, longest first."""
    names: set[str] = set(citations.DOCUMENTS)
    names |= {str(label) for _, label in settings.LANGUAGES}  # each language names itself
    for model, fields in TYPED_TEXT:
        present = [f for f in fields if any(x.name == f for x in model._meta.get_fields())]
        for row in model.objects.values_list(*present):
            for value in row:
                if value:
                    names |= {line.strip() for line in str(value).splitlines() if line.strip()}
                    names.add(str(value).strip())
    for model in BILINGUAL:
        names |= set(model.objects.filter(name_en="").values_list("name", flat=True))
    for model, field in ORGANISATIONS:
        names |= set(model.objects.values_list(field, flat=True))
    # Documents: the commitment letter an agency signs is binding in its Chinese wording.
    for title, body in CommitmentLetter.objects.values_list("title", "body"):
        names |= {title, *(line.strip() for line in body.splitlines())}
    # A published notice is a document: its title and the snapshot it published stay as published (the page
    # around them, and the snapshot's labels the catalogue knows, are in the reader's language).
    names |= set(NoticePage.objects.values_list("title", flat=True))
    # What supervisors and the system wrote down as a record's facts (its evidence summary) is the record.
    for evidence in LedgerEntry.objects.exclude(evidence={}).values_list("evidence", flat=True):
        names |= {str(v).strip() for v in evidence.values() if isinstance(v, str)}
    names.discard("")
    return sorted(names, key=len, reverse=True)


def notice_words() -> list[str]:
    """What the published notices' snapshots say, allowed on the notices' own pages only."""
    words: set[str] = set()
    for payload in NoticePage.objects.values_list("payload", flat=True):
        words |= _strings(payload)
    return sorted(words, key=len, reverse=True)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _strings(value) -> set[str]:
    """Every string inside a JSON snapshot."""
    if isinstance(value, str):
        return {value.strip()} if value.strip() else set()
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


class _Page(HTMLParser):
    """The text a person reads on a page (attributes read aloud included) and its links.

    Left out: scripts and styles, decorations hidden from assistive technology (``aria-hidden``), and text
    marked as Chinese with a ``lang`` attribute (the language switch names Chinese in Chinese).
    """

    READ_ATTRS = ("title", "alt", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.inline: list[str] = []  # inline script or style without the CSP nonce (the policy refuses them)
        self._open: list[tuple[str, bool]] = []

    @property
    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self._open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        data_block = (attrs.get("type") or "").endswith("json")
        if tag == "script" and not attrs.get("src") and not attrs.get("nonce") and not data_block:
            self.inline.append("<script> inline")
        if tag == "style" and not attrs.get("nonce"):
            self.inline.append("<style> inline")
        if "style" in attrs:
            self.inline.append(f'<{tag} style="{attrs["style"]}">')
        hidden = (
            tag in ("script", "style", "template")
            or attrs.get("aria-hidden") == "true"
            or (attrs.get("lang") or "").startswith("zh")
        )
        if tag not in VOID:
            self._open.append((tag, hidden))
        if hidden or self._hidden or (tag == "input" and attrs.get("type") == "hidden"):
            return
        for name in self.READ_ATTRS:
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def _hosts() -> set[str]:
    """This site's hosts: the test client's, and the Wagtail sites' (notice links are absolute to them)."""
    from wagtail.models import Site

    hosts = {"", "testserver"}
    for site in Site.objects.all():
        hosts |= {site.hostname, f"{site.hostname}:{site.port}"}
    return hosts


def _crawl(
    client, starts: list[str], allowed: list[str], seen: set[str], snapshots: list[str], inline: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Breadth-first over same-host GET links; the Chinese left on each page once proper names are removed.

    ``inline`` receives the pages with a script or style the Content-Security-Policy would refuse.
    """
    found: dict[str, list[str]] = {}
    hosts = _hosts()
    queue = deque(starts)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        if page.inline:
            inline[url] = page.inline
        text = " ".join(page.text)
        for name in allowed + (snapshots if NOTICE_PAGE.match(url) else []):
            if name in text:
                text = text.replace(name, " ")
        left = CJK.findall(text)
        if left:
            found[url] = sorted(set(left))
        for href in page.links:
            link, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(link)
            if parts.netloc not in hosts or parts.scheme not in ("", "http", "https"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if (
                path.startswith(SKIP_PREFIXES)
                or path in SKIP_PAGES
                or parts.path.endswith(SKIP_SUFFIXES)
                or path in seen
            ):
                continue
            queue.append(path)
    return found


DASHBOARDS = {
    None: ["/"],
    "agency_demo": ["/", "/me/", "/agency/membership/", "/agency/credit/", "/agency/projects/"],
    "agency_demo2": ["/me/", "/agency/cases/", "/agency/credit/"],
    "buyer_demo": ["/", "/me/", "/buyer/projects/"],
    "supervisor_demo": ["/", "/me/", "/supervisor/"],
    "operator_demo": ["/", "/me/", "/operator/"],
}


def test_every_page_in_english_shows_chinese_only_in_proper_names(client, django_capture_on_commit_callbacks):
    # given the demo data with its notices published (the publisher runs on commit), and every role's account
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    allowed, snapshots = allow_list(), notice_words()
    users = get_user_model().objects

    # when each role (and an anonymous visitor) switches to English and follows every link
    failures: dict[str, dict[str, list[str]]] = {}
    inline: dict[str, list[str]] = {}
    crawled = notices_read = 0
    for username, starts in DASHBOARDS.items():
        client.logout()
        if username:
            client.force_login(users.get(username=username))
        assert client.get("/lang/", {"language": "en", "next": "/"}).status_code == 302
        seen: set[str] = set()
        found = _crawl(client, starts, allowed, seen, snapshots, inline)
        crawled += len(seen)
        notices_read += sum(1 for url in seen if NOTICE_PAGE.match(url))
        if found:
            failures[username or "anonymous"] = found

    # then no page shows Chinese outside proper names (a page with some is listed with what it shows)
    assert crawled > 50 and notices_read > 5, (crawled, notices_read)
    report = "\n".join(
        f"{who} {url}: {' '.join(left)[:300]}" for who, pages in failures.items() for url, left in pages.items()
    )
    assert not failures, report
    # and none carries an inline script or style the Content-Security-Policy would refuse
    assert not inline, inline
