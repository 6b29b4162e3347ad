"""What the policy what-if page reads: the draft versions, and what the market knows of every agency for the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _

from credit_rules.models import PolicyVersion

from ..models import Engagement, Membership


def drafts_for_whatif() -> list[PolicyVersion]:
    """The policy versions not yet published, newest first."""
    return list(PolicyVersion.objects.filter(published_at__isnull=True).order_by("-version"))


def draft_for_whatif(version: int) -> PolicyVersion:
    """A draft version by its number (404 when there is none, or it is published)."""
    draft = PolicyVersion.objects.filter(version=version, published_at__isnull=True).first()
    if draft is None:
        raise Http404(_("没有这个政策草稿。"))
    return draft


def market_contexts() -> dict[int, dict[str, Any]]:
    """Each agency's current membership state and open engagements, for every agency in two queries."""
    open_counts = dict(
        Engagement.objects.filter(state__in=Engagement.OPEN)
        .order_by()
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    contexts: dict[int, dict[str, Any]] = {}
    # Oldest first, so each agency's newest open membership (``facts.current_membership``) is the one kept.
    for agency_id, state in (
        Membership.objects.exclude(state__in=Membership.FINAL)
        .order_by("created_at", "pk")
        .values_list("agency_id", "state")
    ):
        contexts[agency_id] = {"member_state": state, "open_engagements": open_counts.get(agency_id, 0)}
    return contexts
