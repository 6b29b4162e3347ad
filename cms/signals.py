"""Receivers of Wagtail's page signals: outbox bookkeeping and cache invalidation, no domain logic.

Why a signal for the moderated path: a moderator approves a notice in /cms/ (or publishes it
directly), and Wagtail publishes it from its own views — the project's code is not on that path.
``page_published`` is sent inside the publishing transaction, so the outbox row turns
``published`` atomically with the page going live, with no polling delay and no window where the
two disagree. The receiver only mirrors the page's state onto its request row and bumps the cache
version; it decides nothing.
"""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published, page_unpublished

from .caching import notice_cache_bump
from .models import HomePage, NoticePage, NoticeRequest


@receiver(page_published, sender=NoticePage)
def notice_page_published(sender, instance: NoticePage, **kwargs) -> None:
    """A notice went live (by the outbox task or a moderator's approval): mark its request, drop caches."""
    NoticeRequest.objects.filter(page_id=instance.pk, published_at__isnull=True).update(
        status=NoticeRequest.Status.PUBLISHED, published_at=instance.first_published_at or timezone.now()
    )
    notice_cache_bump()


@receiver(page_unpublished, sender=NoticePage)
def notice_page_unpublished(sender, instance: NoticePage, **kwargs) -> None:
    """A live notice went offline (or is being deleted) outside the notice service: its request stops saying so.

    Wagtail refuses this to everyone (a notice is a frozen snapshot; withdrawal is
    ``cms.services.notice_withdraw``), so only a shell or a future code path gets here. The request
    goes back to pending, and the resend sweep (``cms.tasks.notice_requests_resend``) publishes the
    snapshot again (``cms.publishing``).
    """
    NoticeRequest.objects.filter(page_id=instance.pk, status=NoticeRequest.Status.PUBLISHED).update(
        status=NoticeRequest.Status.PENDING,
        published_at=None,
        last_error="页面在公告服务之外被下线，等待重新发布。",
    )


@receiver(page_unpublished, sender=NoticePage)
@receiver(page_published, sender=HomePage)
@receiver(page_unpublished, sender=HomePage)
def public_page_changed(sender, **kwargs) -> None:
    """A notice was taken down or deleted, or the front page edited, in /cms/: drop the cached pages."""
    notice_cache_bump()
