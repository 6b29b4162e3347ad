"""The periodic credit sweep: what time alone changes — notices taking effect, suspensions ending, grade D restriction
and its end, listing dates, rewards earned by sustained grade A, cases expiring."""

from __future__ import annotations

import datetime

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from credit_rules.models import CreditSubject, ExternalListing, Grade, LedgerEntry, MeasureKind
from credit_rules.policy import policy_at
from credit_rules.rules.escalation import GRADE_D_RESTRICTION, LISTING_SUSPENSION
from credit_rules.services import subject_for_agency
from credit_rules.standing import (
    in_force,
    neutralised_by,
    points_in_force,
    punitive_measure,
    standing_refresh_due,
    withdrawn_by,
)
from marketplace.models import Agency

from ...models import CreditCase, Membership
from ...selectors.facts import member_since
from ..dormancy import dormancy_sweep
from ..sweeps import sweep_each
from ..transitions import transition_run
from .cases import notices_take_effect
from .measures import escalate, membership_sync


def suspensions_expire(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Reinstate memberships whose suspension has ended; idempotent and safe with several workers."""
    now = now or timezone.now()

    def reinstate(membership: Membership) -> bool:
        after = membership_sync(membership.agency, at=now)
        return after is not None and after.state != Membership.State.SUSPENDED

    due = Membership.objects.filter(state=Membership.State.SUSPENDED, suspended_until__lte=now)
    return sweep_each(due.order_by("suspended_until", "pk").select_related("agency"), reinstate, batch)


def grade_d_restrictions_begin(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Restrict members whose grade fell to D with time, no entry causing it (an honour's points expiring).

    A new entry that lowers the grade escalates at once (the grade D rule, after ``ledger.recorded``); this
    review catches the fall the clock causes. Idempotent and safe with several workers.
    """
    now = now or timezone.now()

    def restrict(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        decision = escalate(subject=subject, transition="standing.review", context={}, at=now)
        membership_sync(membership.agency, at=now)
        return bool(decision.measures)

    # Cached standings were refreshed for ``now`` by the sweep's first step.
    fallen = CreditSubject.objects.filter(grade=Grade.D, is_restricted=False, agency__isnull=False)
    due = Membership.objects.filter(
        state__in=[Membership.State.ACTIVE, Membership.State.SUSPENDED], agency_id__in=fallen.values("agency_id")
    )
    return sweep_each(due.order_by("pk").select_related("agency"), restrict, batch)


def restrictions_end(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Un-restrict memberships whose restriction time ended (its period ran out, or grade D aged out).

    A suspended member due to return restricted is included: it returns active instead.
    """
    now = now or timezone.now()

    def review(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        escalate(subject=subject, transition="standing.review", context={}, at=now)
        after = membership_sync(membership.agency, at=now)
        return after is not None and Membership.State.RESTRICTED not in (after.state, after.resume_state)

    grade_d_restriction = (
        LedgerEntry.objects.filter(
            subject_id=OuterRef("pk"),
            kind=LedgerEntry.Kind.MEASURE,
            measure=MeasureKind.RESTRICT,
            rule_code=GRADE_D_RESTRICTION,
        )
        .filter(in_force(now))
        .exclude(neutralised_by(now))
    )
    # Cached standings were refreshed for ``now`` by the sweep's first step.
    subjects = CreditSubject.objects.filter(
        Q(is_restricted=False) | (~Q(grade=Grade.D) & Exists(grade_d_restriction)), agency__isnull=False
    )
    restricted = Q(state=Membership.State.RESTRICTED) | Q(
        state=Membership.State.SUSPENDED, resume_state=Membership.State.RESTRICTED
    )
    due = Membership.objects.filter(restricted, agency_id__in=subjects.values("agency_id"))
    return sweep_each(due.order_by("pk").select_related("agency"), review, batch)


def listings_review(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Suspend members whose listing starts and restore those whose listing ends on the dates the file gave.

    Set-based: the agencies listed today and those under a listing suspension in force are two small
    sets, each found once through its own index; only the members in one set but not the other (listed
    but not suspended, suspended but no longer listed) are reviewed. Nothing is asked per membership.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    listed_usccs = (
        ExternalListing.objects.filter(listed_on__lte=today)
        .filter(Q(delisted_on__isnull=True) | Q(delisted_on__gt=today))
        .values("uscc")
    )
    listed = set(Agency.objects.filter(uscc__in=listed_usccs).values_list("pk", flat=True))
    suspended = set(
        LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.MEASURE,
            measure=MeasureKind.SUSPEND,
            rule_code=LISTING_SUSPENSION,
            subject__agency__isnull=False,
        )
        .filter(in_force(now))
        .exclude(neutralised_by(now))
        .values_list("subject__agency_id", flat=True)
    )
    out_of_step = listed ^ suspended
    if not out_of_step:
        return 0

    def review(membership: Membership) -> bool:
        subject = subject_for_agency(membership.agency)
        return bool(escalate(subject=subject, transition="listing.recorded", context={}, at=now).measures)

    due = Membership.objects.filter(state__in=Membership.ADMITTED, agency_id__in=sorted(out_of_step))
    return sweep_each(due.order_by("pk").select_related("agency"), review, batch)


def cases_expire(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Close applied cases whose measure period has run out."""
    now = now or timezone.now()
    due = CreditCase.objects.filter(
        state__in=[CreditCase.State.APPLIED, CreditCase.State.UPHELD], measure_entry__expires_at__lte=now
    )
    return sweep_each(
        due.order_by("pk"), lambda case: transition_run(obj=case, name="expire", actor=None, at=now), batch
    )


def rewards_review(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Grant the reward sustained grade A earns, and end the rewards a punitive measure meets (the reward rules).

    The candidates are chosen in one query, from the cached standings and the ledger: agencies at grade A,
    not rewarded and under no measure, active members throughout the green-channel window, with no
    negative entry in it and grade A already at its start; and rewarded agencies now under a measure.
    The rules then decide for each: nothing here loops over all agencies.
    """
    now = now or timezone.now()
    policy = policy_at(now)
    window_start = now - policy.months(policy.green_channel_months)
    negatives = LedgerEntry.objects.filter(
        subject_id=OuterRef("pk"), effective_at__gt=window_start, effective_at__lte=now
    ).filter(
        (Q(kind=LedgerEntry.Kind.EVENT, points__lt=0) & ~Q(neutralised_by(now)))
        | (punitive_measure(now) & ~Q(withdrawn_by(now)))
    )
    points_then = (
        LedgerEntry.objects.filter(subject_id=OuterRef("pk"))
        .filter(points_in_force(window_start))
        .order_by()
        .values("subject_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    member_throughout = Membership.objects.filter(
        agency_id=OuterRef("agency_id"), member_since__lte=window_start
    ).exclude(state=Membership.State.EXPELLED)
    active = Membership.objects.filter(agency_id=OuterRef("agency_id"), state=Membership.State.ACTIVE)
    unpunished = Q(is_restricted=False, is_suspended=False, is_expelled=False)
    earned = (
        Q(grade=Grade.A, is_rewarded=False)
        & unpunished
        & Q(Exists(active), Exists(member_throughout), points_then__gte=policy.grade_a_min - policy.base_score)
        & ~Q(Exists(negatives))
    )
    if not policy.reward_months:
        earned = Q(pk__in=[])  # this policy gives no rewards
    due = (
        CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY, agency__isnull=False)
        .annotate(points_then=Coalesce(Subquery(points_then), Value(0), output_field=IntegerField()))
        .filter(earned | (Q(is_rewarded=True) & ~unpunished))
        .select_related("agency")
    )

    def review(subject: CreditSubject) -> bool:
        assert subject.agency is not None  # agencies only
        context = {"member_since": member_since(subject.agency)}
        return bool(escalate(subject=subject, transition="standing.review", context=context, at=now).measures)

    return sweep_each(due.order_by("pk"), review, batch)


def credit_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic credit sweep: standings overtaken by time, notices due, suspensions ended, grade D restricted
    or recovered, listings, rewards and cases reviewed, dormant members prompted and exited by policy."""
    now = now or timezone.now()
    return {
        "standings": standing_refresh_due(now),
        "notices_applied": notices_take_effect(now),
        "reinstated": suspensions_expire(now),
        "restricted": grade_d_restrictions_begin(now),
        "unrestricted": restrictions_end(now),
        "listings": listings_review(now),
        "rewards": rewards_review(now),
        "cases_expired": cases_expire(now),
        **dormancy_sweep(now),
    }
