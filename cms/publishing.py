"""Turning notice requests into published Wagtail pages: one request, one page.

The parent page row is locked before treebeard's ``add_child`` (tree inserts are not safe under
concurrency), and the request row is locked too, so two workers taking the same request publish
one page between them.

A moderated request (measure notices, when the credit policy says so) becomes a draft revision
submitted to the notice index's Wagtail workflow (``公告审核``, created by migration 0004); a
moderator approves it in /cms/ and Wagtail publishes it. The ``page_published`` receiver in
``cms.signals`` then marks the request published — bookkeeping of the outbox only.

Nothing in the project unpublishes a notice, and Wagtail refuses it to everyone (cms.models,
cms.wagtail_hooks). Should a page still go offline (a shell, a future code path), the
``page_unpublished`` receiver turns its request back to pending, and the resend sweep brings the
snapshot back here (``_republish``): a request never says "published" of a page that is not.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from wagtail.models import Page

from .models import HomePage, NoticeIndexPage, NoticePage, NoticeRequest

PENDING_GRACE = datetime.timedelta(minutes=2)
# Path segments of the notice lists and feeds under /notices/ (cms/urls.py): never a notice's slug.
RESERVED_SLUGS = frozenset([*NoticeRequest.Kind.values, "feed"])


def notice_index() -> NoticeIndexPage:
    """The notices container, created under the home page on first use."""
    found = NoticeIndexPage.objects.first()
    if found:
        return found
    home = HomePage.objects.first()
    Page.objects.select_for_update().filter(pk=home.pk).first()
    found = NoticeIndexPage.objects.first()
    if found:
        return found
    index = NoticeIndexPage(title="公告公示", slug="notices")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def payload_text(payload: dict) -> str:
    """Plain text of the payload for full-text search."""
    parts: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif value not in (None, ""):
            parts.append(str(value))

    walk(payload)
    return "\n".join(parts)


@transaction.atomic
def notice_request_publish(request_id: int) -> int | None:
    """Publish the request's page, or bring its withdrawal onto the page; returns the page id."""
    request = NoticeRequest.objects.select_for_update().get(pk=request_id)
    if request.page_id:
        page = NoticePage.objects.get(pk=request.page_id)
        if request.status == NoticeRequest.Status.PENDING and not page.live:
            # It was published, then taken offline outside this service (cms.signals set it pending).
            _republish(page, request)
        elif request.withdrawn_at and not page.withdrawn:
            _withdraw(page, request.withdrawn_reason)
        return page.pk
    existing = NoticePage.objects.filter(source_key=request.source_key).first()
    if existing is None:
        index = notice_index()
        Page.objects.select_for_update().get(pk=index.pk)  # serialise tree inserts under this parent
        index.refresh_from_db()
        page = NoticePage(
            **notice_snapshot(request),
            withdrawn=bool(request.withdrawn_at),
            withdrawn_reason=request.withdrawn_reason,
            live=False,  # Wagtail's default is live: a page goes live only by publishing its revision
        )
        index.add_child(instance=page)
        revision = page.save_revision()
        if request.moderated:
            if not request.withdrawn_at:  # withdrawn before anyone approved it: nothing left to moderate
                _moderation_start(page)
        else:
            revision.publish()
        existing = page
    request.page_id = existing.pk
    request.status = NoticeRequest.Status.MODERATION if request.moderated else NoticeRequest.Status.PUBLISHED
    request.published_at = None if request.moderated else timezone.now()
    request.attempts += 1
    request.save(update_fields=["page", "status", "published_at", "attempts"])
    return existing.pk


def _date(value) -> datetime.date | None:
    """A snapshot's ISO date ("" or missing: none)."""
    return datetime.date.fromisoformat(value) if value else None


def notice_snapshot(request: NoticeRequest) -> dict[str, Any]:
    """The page fields a request fixes for good: what its notice says and where it lives.

    The publisher builds the page from these; approving a moderated notice
    (``cms.moderation.notice_workflow_finish``) and putting back a notice taken offline compare or
    restore them, so a notice is always exactly its snapshot.
    """
    payload = request.payload
    with translation.override(settings.LANGUAGE_CODE):  # the same title whichever language the caller has
        title = payload.get("title") or str(request.get_kind_display())
    return {
        "title": title,
        "slug": notice_slug(request),
        "kind": request.kind,
        "source_key": request.source_key,
        "payload": payload,
        "subject_name": (payload.get("agency") or {}).get("name", ""),
        "subject_uscc": (payload.get("agency") or {}).get("uscc", ""),
        "project_code": (payload.get("project") or {}).get("code", ""),
        "body_text": payload_text(payload),
        "public_until": _date(payload.get("public_until")),
    }


def notice_slug(request: NoticeRequest) -> str:
    """The page slug of a request: its source key made URL-safe, never a list's path segment."""
    slug = slugify(request.source_key.replace(":", "-").replace("/", "-"))[:200] or f"notice-{request.pk}"
    return f"notice-{slug}"[:200] if slug in RESERVED_SLUGS else slug


def _moderation_start(page: NoticePage) -> None:
    """Submit the saved revision to the page's Wagtail workflow; with none, it waits as a draft in /cms/."""
    workflow = page.get_workflow()
    if workflow is not None:
        workflow.start(page, None)  # requested by the system, not by a person


def _republish(page: NoticePage, request: NoticeRequest) -> None:
    """Put a notice taken offline outside the service back as its snapshot, and say so on its request."""
    for name, value in notice_snapshot(request).items():
        setattr(page, name, value)
    page.withdrawn, page.withdrawn_reason = bool(request.withdrawn_at), request.withdrawn_reason
    page.go_live_at = page.expire_at = None
    page.expired = False
    page.save_revision().publish()
    request.status = NoticeRequest.Status.PUBLISHED
    request.published_at = page.first_published_at or timezone.now()
    request.attempts += 1
    request.last_error = ""
    request.save(update_fields=["status", "published_at", "attempts", "last_error"])


def _withdraw(page: NoticePage, reason: str) -> None:
    """Mark the page withdrawn: a live notice moves to the archive; one still in moderation never goes live."""
    page.withdrawn = True
    page.withdrawn_reason = reason
    revision = page.save_revision()
    if page.live:
        revision.publish()
        return
    state = page.current_workflow_state
    if state is not None:
        state.cancel(user=None)


def notice_requests_pending(older_than: datetime.timedelta = PENDING_GRACE) -> list[int]:
    """Requests not in their final state after the grace period, whose task was lost or gave up:
    never published, failed, or withdrawn while their page still shows the notice as active."""
    cutoff = timezone.now() - older_than
    unfinished = (
        Q(status=NoticeRequest.Status.PENDING, created_at__lt=cutoff)
        | Q(status=NoticeRequest.Status.FAILED)
        | Q(withdrawn_at__lt=cutoff, page__isnull=False, page__noticepage__withdrawn=False)
    )
    return list(NoticeRequest.objects.filter(unfinished).values_list("pk", flat=True))
