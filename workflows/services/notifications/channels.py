"""The channels beyond the inbox: e-mail through Django's mail framework, SMS behind a small interface.

E-mail goes to whatever ``EMAIL_BACKEND`` the settings choose (the console in the demo, SMTP in
production). SMS goes through the provider ``ZJCS_SMS_PROVIDER`` names (a dotted path to a class with
``send(phone, text) -> str``); the demo's provider only writes the message to the log.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

DEFAULT_SMS_PROVIDER = "workflows.services.notifications.channels.LoggingSmsProvider"


class SmsProvider(Protocol):
    """Something that sends a text message and returns the provider's reference for it."""

    def send(self, phone: str, text: str) -> str: ...


class LoggingSmsProvider:
    """The demo's SMS provider: the message is written to the log, nothing leaves the machine."""

    def send(self, phone: str, text: str) -> str:
        log.info("SMS to %s: %s", phone, text)
        return "logged"


def sms_provider() -> SmsProvider:
    """The SMS provider the settings name."""
    return import_string(getattr(settings, "ZJCS_SMS_PROVIDER", DEFAULT_SMS_PROVIDER))()


def email_send(address: str, title: str, body: str) -> str:
    """Send one e-mail; returns a note for the delivery log."""
    send_mail(title, body, None, [address], fail_silently=False)
    return address


def sms_send(phone: str, title: str, body: str) -> str:
    """Send one text message (the title and body on one line); returns the provider's reference."""
    return sms_provider().send(phone, f"【中介超市】{title}。{body}")
