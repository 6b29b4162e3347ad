"""No natural person's name or phone number on any public page reachable from the front page."""

from __future__ import annotations

import io
import re
from collections import deque
from decimal import Decimal
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cms.models import NoticePage, NoticeRequest
from cms.publishing import notice_request_publish
from marketplace.models import Agency, BuyerUnit
from tests.factories import awarded_project, operator_user

pytestmark = pytest.mark.django_db

# Areas behind a login, and the site's plumbing: never part of the public walk.
PRIVATE = ("/cms/", "/admin/", "/accounts/", "/lang/", "/me/", "/agency/", "/buyer/", "/supervisor/", "/operator/")
PLUMBING = ("/static/", "/media/", "/documents/")
MAX_PAGES = 2500
LINK = re.compile(r"""(?:href|src)=["']([^"'#]+)""")
XML_LINK = re.compile(r"<link>([^<]+)</link>")


def personal_data() -> dict[str, str]:
    """Every natural person's name and phone number the database knows, with where it came from."""
    found: dict[str, str] = {}
    for first, last, username in get_user_model().objects.values_list("first_name", "last_name", "username"):
        for value in (first, last, f"{last}{first}".strip()):
            if value.strip():
                found[value.strip()] = f"user {username}"
    for model in (Agency, BuyerUnit):
        fields = [f for f in ("contact_name", "contact_phone", "legal_representative") if hasattr(model, f)]
        for row in model.objects.values("name", *fields):
            for f in fields:
                if (row[f] or "").strip():
                    found[row[f].strip()] = f"{model.__name__} {row['name']} {f}"
    return found


def drawn_project() -> str:
    """A project taken through sign-up to a public draw by the real services; returns its code."""
    project, _pool = awarded_project("draw", quotes=(Decimal("52000"), Decimal("61000"), Decimal("47000")))
    assert project.state == "awarded" and project.draw_proof
    return project.code


def publish_everything() -> None:
    """Publish every notice the demo asked for, approving the moderated ones as an operator would."""
    for pk in NoticeRequest.objects.filter(status=NoticeRequest.Status.PENDING).values_list("pk", flat=True):
        notice_request_publish(pk)
    moderator = operator_user()
    for page in NoticePage.objects.filter(live=False):
        task_state = page.current_workflow_task_state
        if task_state is not None:
            task_state.task.specific.on_action(task_state.specific, moderator, "approve")


def walk(client) -> dict[str, str]:
    """Every public page reachable from / by links on this site, as {url: body}."""
    seen: set[str] = {"/"}
    queue: deque[str] = deque(["/"])
    bodies: dict[str, str] = {}
    while queue and len(bodies) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, follow=True)
        if response.redirect_chain and urlsplit(response.redirect_chain[-1][0]).path.startswith(PRIVATE):
            continue  # asks for a login: not public
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode("utf-8", errors="replace")
        bodies[url] = body
        for link in LINK.findall(body) + XML_LINK.findall(body):
            target = urldefrag(urljoin(url, link.replace("&amp;", "&")))[0]
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith(PRIVATE + PLUMBING) or local in seen:
                continue
            seen.add(local)
            queue.append(local)
    return bodies


def test_no_public_page_shows_a_natural_person(client):
    # given the demo data with every notice published
    call_command("seed_demo", stdout=io.StringIO())
    code = drawn_project()  # an announcement and a result notice with its public draw proof
    publish_everything()
    people = personal_data()
    assert len(people) > 100  # the demo has staff, contacts and legal representatives

    # when the public follows every link from the front page
    bodies = walk(client)

    # then the walk covered the public site: notices, each notice, agencies, credit lists and feeds
    visited = set(bodies)
    notice_urls = {p.url for p in NoticePage.objects.live()}
    assert notice_urls and notice_urls <= visited
    assert {"/notices/", "/agencies/", "/credit/blacklist/", "/credit/redlist/", "/notices/feed/rss/"} <= visited
    assert {f"/draws/{code}/", f"/draws/{code}.json"} <= visited
    assert sum(1 for u in visited if u.startswith("/agencies/") and u.count("/") == 3) >= 50
    assert len(bodies) < MAX_PAGES, "the walk hit its limit: a link loop?"

    # and no name or phone number of a person appears on any of them
    leaks = [
        f"{url}: {value} ({where})" for url, body in bodies.items() for value, where in people.items() if value in body
    ]
    assert leaks == []
