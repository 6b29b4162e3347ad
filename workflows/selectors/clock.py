"""Reads of the demo clock: the next stored deadline, and the operator's clock page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Min, QuerySet
from django.utils import timezone

from ..models import CreditCase, DemoClockStep, Engagement, Membership, Payment, Project


def _earliest(queryset: QuerySet, field: str, now: datetime.datetime) -> datetime.datetime | None:
    return queryset.filter(**{f"{field}__gt": now}).aggregate(at=Min(field))["at"]


def deadline_next_after(now: datetime.datetime) -> datetime.datetime | None:
    """The first stored date after ``now`` that a sweep acts on (a deadline, a response period, a measure's end)."""
    active = [Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK]
    candidates = [
        _earliest(Project.objects.filter(state=Project.State.OPEN), "signup_deadline", now),
        _earliest(Project.objects.filter(state=Project.State.AWARDED), "publicity_ends_at", now),
        _earliest(Engagement.objects.filter(state=Engagement.State.AWAITING_CONTRACT), "contract_due", now),
        _earliest(Engagement.objects.filter(state__in=active, late_recorded=False), "service_end", now),
        _earliest(
            Engagement.objects.filter(state=Engagement.State.RESULT_SUBMITTED, acceptance_late_recorded=False),
            "acceptance_due",
            now,
        ),
        _earliest(Engagement.objects.filter(state=Engagement.State.ACCEPTED), "rating_due", now),
        _earliest(Payment.objects.filter(late_recorded=False).exclude(state=Payment.State.PAID), "due_at", now),
        _earliest(CreditCase.objects.filter(state=CreditCase.State.NOTIFIED), "response_due", now),
        _earliest(Membership.objects.filter(state=Membership.State.SUSPENDED), "suspended_until", now),
    ]
    found = [at for at in candidates if at is not None]
    return min(found) if found else None


@dataclass(frozen=True)
class ClockPage:
    """What the operator's clock page shows."""

    now: datetime.datetime
    next_deadline: datetime.datetime | None
    steps: list[DemoClockStep]


def clock_get_for_operator_page(limit: int = 20) -> ClockPage:
    """The demo time, the next deadline a step can jump to, and the latest steps with who took them."""
    now = timezone.now()
    steps = list(DemoClockStep.objects.select_related("actor")[:limit])
    return ClockPage(now=now, next_deadline=deadline_next_after(now), steps=steps)
