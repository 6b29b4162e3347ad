"""What counts as business for a member, and which members have had none (僵尸中介): the set-based queries
the dormancy sweep, the agency's workspace and the statistics page share.

Activity that resets the clock: a sign-up, an engagement (and any engagement still open), a renewal or any
other change of the membership (every change goes through the runner, which logs it).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from credit_rules.policy import Policy

from ..models import DormancyPrompt, Engagement, Membership, SignUp, TransitionLog

# The members a prompt and an exit apply to: admitted and free to sign up (a suspension or a lapse is its own
# state, and its end is a membership change that restarts the clock anyway).
TRADING = (Membership.State.ACTIVE, Membership.State.RESTRICTED)


def activity_since(agency: Any, membership: Any, since: Any) -> Q:
    """Any business of the agency (or change of its membership) after ``since``; each argument a value or an
    ``OuterRef``/``F`` expression, so one query answers it for many rows."""
    signups = SignUp.objects.filter(agency_id=agency, submitted_at__gt=since)
    engagements = Engagement.objects.filter(Q(created_at__gt=since) | Q(state__in=Engagement.OPEN), agency_id=agency)
    changes = TransitionLog.objects.filter(
        content_type__app_label="workflows",
        content_type__model="membership",
        object_id=membership,
        outcome=TransitionLog.Outcome.DONE,
        at__gt=since,
    )
    return Q(Exists(signups)) | Q(Exists(engagements)) | Q(Exists(changes))


def dormancy_cutoff(policy: Policy, now: datetime.datetime) -> datetime.datetime | None:
    """The start of the window without business that makes a member dormant (None: the policy has none)."""
    return now - policy.months(policy.zombie_months) if policy.zombie_months else None


def memberships_to_prompt(policy: Policy, now: datetime.datetime) -> QuerySet[Membership]:
    """Trading members without business since the window's start and not prompted within it: one query."""
    cutoff = dormancy_cutoff(policy, now)
    if cutoff is None:
        return Membership.objects.none()
    prompted = DormancyPrompt.objects.filter(membership_id=OuterRef("pk"), prompted_at__gt=cutoff)
    return Membership.objects.filter(state__in=TRADING, member_since__lte=cutoff).exclude(
        activity_since(OuterRef("agency_id"), OuterRef("pk"), cutoff) | Q(Exists(prompted))
    )


def memberships_to_exit(policy: Policy, now: datetime.datetime) -> QuerySet[Membership]:
    """Trading members prompted within the window whose exit is due, with still no business: one query."""
    cutoff = dormancy_cutoff(policy, now)
    if cutoff is None:
        return Membership.objects.none()
    due = DormancyPrompt.objects.filter(
        membership_id=OuterRef("pk"), exited_at__isnull=True, prompted_at__gt=cutoff, exit_due__lte=now
    )
    return Membership.objects.filter(Exists(due), state__in=TRADING).exclude(
        activity_since(OuterRef("agency_id"), OuterRef("pk"), cutoff)
    )


def prompts_pending(policy: Policy, now: datetime.datetime) -> QuerySet[DormancyPrompt]:
    """Prompts still standing: not exited, within the window, the member trading with no business since."""
    cutoff = dormancy_cutoff(policy, now)
    if cutoff is None:
        return DormancyPrompt.objects.none()
    return DormancyPrompt.objects.filter(
        exited_at__isnull=True, prompted_at__gt=cutoff, membership__state__in=TRADING
    ).exclude(activity_since(OuterRef("membership__agency_id"), OuterRef("membership_id"), OuterRef("prompted_at")))


def last_activity(membership: Membership) -> datetime.datetime:
    """When the member last did business or its membership last changed (its admission at the earliest)."""
    moments = [
        membership.member_since,
        SignUp.objects.filter(agency_id=membership.agency_id).aggregate(m=Max("submitted_at"))["m"],
        Engagement.objects.filter(agency_id=membership.agency_id).aggregate(m=Max("created_at"))["m"],
        TransitionLog.objects.filter(
            content_type__app_label="workflows",
            content_type__model="membership",
            object_id=membership.pk,
            outcome=TransitionLog.Outcome.DONE,
        ).aggregate(m=Max("at"))["m"],
    ]
    return max(m for m in moments if m is not None)


def dormancy_counts(now: datetime.datetime) -> dict[str, int]:
    """Prompts made and exits by policy this calendar year (local time), in one aggregate query."""
    local = timezone.localtime(now)
    year_start = timezone.make_aware(datetime.datetime(local.year, 1, 1))
    return DormancyPrompt.objects.aggregate(
        prompted=Count("pk", filter=Q(prompted_at__gte=year_start, prompted_at__lte=now)),
        exited=Count("pk", filter=Q(exited_at__gte=year_start, exited_at__lte=now)),
    )
