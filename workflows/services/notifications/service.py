"""The one notification service: a message into each recipient's inbox, once, then to their channels.

``notify`` writes one inbox row per recipient under a unique key (the event, its object, its deadline
and the lead time of a reminder): a second call with the same key — the sweep running twice, or two
workers at once — writes nothing and sends nothing. The channels a person chose are sent after the
transaction commits, each claimed in the delivery log first, so no channel ever sends twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace.errors import ApplicationError

from ...models import Notification, NotificationDelivery, NotificationPreference
from .channels import email_send, sms_send
from .texts import notification_text

log = logging.getLogger(__name__)

Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status


def notify(
    *,
    recipients: Iterable,
    kind: str,
    key: str,
    params: dict,
    link: str = "",
    deadline: datetime.datetime | None = None,
    at: datetime.datetime | None = None,
) -> list[Notification]:
    """Put the message in each recipient's inbox (once per key) and send it on their channels after commit."""
    at = at or timezone.now()
    made: list[Notification] = []
    for user in recipients:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user, kind=kind, key=key[:200], params=params, link=link, deadline=deadline, created_at=at
                )
                NotificationDelivery.objects.create(
                    notification=notification, channel=Channel.IN_APP, status=Status.SENT
                )
        except IntegrityError:  # already told: this key reached this person before
            continue
        made.append(notification)
    if made:
        transaction.on_commit(partial(notifications_deliver, [n.pk for n in made]))
    return made


def notifications_deliver(pks: list[int]) -> None:
    """Send each notification on the channels its recipient chose (e-mail unless switched off, SMS if on)."""
    rows = Notification.objects.filter(pk__in=pks).select_related("recipient", "recipient__notification_pref")
    for notification in rows:
        user = notification.recipient
        try:
            pref = user.notification_pref
        except NotificationPreference.DoesNotExist:
            pref = NotificationPreference(user=user)
        with translation.override(settings.LANGUAGE_CODE):
            title, body = notification_text(notification)
        if notification.link:
            body = f"{body}\n{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{notification.link}"
        if pref.email:
            _deliver(notification, Channel.EMAIL, user.email, partial(email_send, user.email, title, body))
        if pref.sms:
            _deliver(notification, Channel.SMS, pref.phone, partial(sms_send, pref.phone, title, body))


def _deliver(notification: Notification, channel: str, address: str, send) -> None:
    """Claim the channel in the delivery log, send, and record how it went."""
    try:
        with transaction.atomic():
            delivery = NotificationDelivery.objects.create(
                notification=notification, channel=channel, status=Status.SKIPPED if not address else Status.FAILED
            )
    except IntegrityError:  # sent (or being sent) already
        return
    if not address:
        delivery.detail = "no address"
        delivery.save(update_fields=["detail"])
        return
    try:
        delivery.detail = str(send())[:300]
        delivery.status = Status.SENT
    except Exception as exc:  # a channel down must not stop the others; the log keeps the failure
        log.warning("notification %s on %s failed: %s", notification.pk, channel, exc)
        delivery.detail = str(exc)[:300]
    delivery.save(update_fields=["status", "detail"])


def notifications_mark_read(user, at: datetime.datetime | None = None) -> int:
    """Mark every unread message of the account read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=at or timezone.now())


def preference_save(*, user, email: bool, sms: bool, phone: str) -> NotificationPreference:
    """Keep the channels a person chose (the inbox is always on); SMS needs a number to send to."""
    phone = phone.strip()
    if sms and not phone:
        raise ApplicationError({"phone": _("选择短信通知时，请填写接收短信的手机号码。")})
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "sms": sms, "phone": phone}
    )
    return pref
