"""The deadline sweep: every date stored on a row is acted on by this periodic task, not by a person.

Each kind of due row is claimed in batches with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL),
so several workers share the work and never process a row twice; each action is idempotent
because it is a state transition (a second attempt finds the state moved) or a guarded flag.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Challenge, Engagement, Membership, Payment, Project
from .complaints.challenges import challenge_answer_missed, challenge_close
from .delivery.buyer_deadlines import acceptance_late_record, contract_unsigned
from .delivery.engagements import (
    contract_deadline_missed,
    late_delivery_record,
    measure_decision_lapsed,
    rating_window_close,
)
from .delivery.payments import payment_late
from .membership import membership_lapse
from .procurement.award import publicity_end
from .procurement.revocation import IN_SERVICE
from .procurement.selection import signup_close
from .sweeps import sweep_each

log = logging.getLogger(__name__)


M = TypeVar("M", bound=models.Model)


def _sweep(queryset: models.QuerySet[M], action: Callable[[M], object], batch: int) -> int:
    """Act on each due row (claimed as ``sweep_each`` does), each in its own savepoint; returns how many succeeded."""

    def guarded(row: M) -> bool:
        try:
            with transaction.atomic():
                action(row)
            return True
        except Exception:  # one bad row must not stop the sweep; it is retried next run
            log.exception("deadline sweep failed on %s %s", type(row).__name__, row.pk)
            return False

    return sweep_each(queryset.order_by("pk"), guarded, batch)


def deadlines_sweep(now: datetime.datetime | None = None, batch: int = 100) -> dict[str, int]:
    """Act on every deadline that has passed; returns how many rows each step handled."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "signup_closed": _sweep(
            Project.objects.filter(state=Project.State.OPEN, signup_deadline__lte=now),
            lambda p: signup_close(p, now),
            batch,
        ),
        # A project whose award a pending challenge already held waits until the challenge is settled.
        "publicity_ended": _sweep(
            Project.objects.filter(state=Project.State.AWARDED, publicity_ends_at__lte=now).exclude(
                Exists(
                    Challenge.objects.filter(
                        project=OuterRef("pk"), state__in=Challenge.PENDING, award_held_at__isnull=False
                    )
                )
            ),
            lambda p: publicity_end(p, now),
            batch,
        ),
        "contract_missed": _sweep(
            Engagement.objects.filter(
                state=Engagement.State.AWAITING_CONTRACT, contract_due__lte=now, contract_file=""
            ),
            lambda e: contract_deadline_missed(e, now),
            batch,
        ),
        # The agency uploaded its contract and the buyer did not sign: the buyer's failure (政务诚信).
        "contract_unsigned": _sweep(
            Engagement.objects.filter(state=Engagement.State.AWAITING_CONTRACT, contract_due__lte=now).exclude(
                contract_file=""
            ),
            lambda e: contract_unsigned(e, now),
            batch,
        ),
        "late_delivery": _sweep(
            Engagement.objects.filter(
                state__in=[Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK],
                service_end__lte=now,
                late_recorded=False,
            ),
            lambda e: late_delivery_record(e, now),
            batch,
        ),
        "acceptance_late": _sweep(
            Engagement.objects.filter(
                state=Engagement.State.RESULT_SUBMITTED, acceptance_due__lte=now, acceptance_late_recorded=False
            ),
            lambda e: acceptance_late_record(e, now),
            batch,
        ),
        "rating_closed": _sweep(
            Engagement.objects.filter(state=Engagement.State.ACCEPTED, rating_due__lte=now),
            lambda e: rating_window_close(e, now),
            batch,
        ),
        "measure_decision_lapsed": _sweep(
            Engagement.objects.filter(
                measure_decision_due__lte=now, buyer_continues__isnull=True, state__in=IN_SERVICE
            ),
            lambda e: measure_decision_lapsed(e, now),
            batch,
        ),
        "payment_late": _sweep(
            Payment.objects.filter(due_at__lte=now, late_recorded=False).exclude(state=Payment.State.PAID),
            lambda p: payment_late(p, now),
            batch,
        ),
        # The buyer did not answer a challenge in time: the challenger may complain to the supervisor.
        "challenge_answer_missed": _sweep(
            Challenge.objects.filter(state=Challenge.State.FILED, answer_due__lte=now),
            lambda c: challenge_answer_missed(c, now),
            batch,
        ),
        "challenge_closed": _sweep(
            Challenge.objects.filter(state__in=Challenge.ESCALABLE, complaint_due__lte=now),
            lambda c: challenge_close(c, now),
            batch,
        ),
        # Memberships past their term (a date, inclusive) without renewal stop trading.
        "memberships_lapsed": _sweep(
            Membership.objects.filter(
                state__in=[Membership.State.ACTIVE, Membership.State.RESTRICTED, Membership.State.SUSPENDED],
                term_until__lt=today,
            ).select_related("agency"),
            lambda m: membership_lapse(m, now),
            batch,
        ),
    }
