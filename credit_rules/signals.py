"""Receivers that drop the cached public credit lists when what they show changes elsewhere; no domain logic.

Why signals: agencies are written by ``marketplace`` (registration, the admin, the staff's own
profile), which knows nothing of credit, and by Django's admin for policy versions. Standing writes
bump the version themselves (``standing``), on every path, bulk ones included.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from marketplace.models import Agency

from .caching import credit_cache_bump
from .models import PolicyVersion


@receiver(post_save, sender=Agency)
@receiver(post_delete, sender=Agency)
@receiver(m2m_changed, sender=Agency.categories.through)
@receiver(post_save, sender=PolicyVersion)
def public_credit_data_changed(sender, **kwargs) -> None:
    """An agency, its categories or a policy version changed: the directory and lists are read afresh."""
    credit_cache_bump()
