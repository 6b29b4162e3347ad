"""A notice snapshot's stored words in the reader's language, where the catalogue knows them.

A snapshot keeps the words of the moment it was taken (Chinese: the published record). Labels it stored —
the selection method, the quote kind, the platform's standard sentence on how to object — are message ids
of the catalogue, so an English reader gets them in English; anything else is shown as published.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def as_read(value) -> str:
    """The stored text in the active language when the catalogue has it, else as stored."""
    text = str(value or "")
    return gettext(text) if text else text
