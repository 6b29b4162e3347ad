"""The reminder sweep: before every deadline that costs credit, the people who must act are reminded.

The lead times come from ``ZJCS_REMINDER_LEAD_HOURS`` (default 24 h and 2 h), compressed by the time
scale like every period. A row whose deadline is within a lead time gets the reminder of the shortest
lead that covers it, so a deadline first seen 1 hour ahead gets one reminder, not two. Rows are claimed
with the shared ``SKIP LOCKED`` loop; the inbox key (object, deadline, lead) makes each reminder go once
even when sweeps overlap. The sweep also sends the repair reminder (修复提醒函) once an agency's record
may be repaired.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import LedgerEntry

from ...models import CreditCase, Engagement, Notification, Payment, SignUp
from ..periods import time_scale
from ..sweeps import sweep_each
from .events import agency_recipients, buyer_recipients, repairable_notify
from .service import notify

DEFAULT_LEAD_HOURS = (24, 2)
DELIVERING = (Engagement.State.IN_SERVICE, Engagement.State.RETURNED_FOR_REWORK)
BATCH = 100


def lead_times() -> list[tuple[int, datetime.timedelta]]:
    """The lead times (hours as configured, and as a span after the time scale), shortest first."""
    hours = sorted({int(h) for h in getattr(settings, "ZJCS_REMINDER_LEAD_HOURS", DEFAULT_LEAD_HOURS)})
    return [(h, datetime.timedelta(hours=h) / time_scale()) for h in hours]


@dataclass(frozen=True)
class Deadline:
    """A deadline that costs credit when missed: the due rows, the date on them, whom to remind and where."""

    action: str  # a key of ``texts.REMINDER_ACTIONS``
    rows: Callable[[], QuerySet[Any]]
    field: str  # the deadline's path from the row, "__"-separated
    recipients: Callable[[Any], QuerySet[Any]]
    link: Callable[[Any], str]
    about: Callable[[Any], str]


def _project(row) -> str:
    project = row.project if hasattr(row, "project") else row.engagement.project
    return f"{project.code} {project.name}"


def _agency_engagement(e: Engagement) -> str:
    return reverse("agency-engagement", kwargs={"pk": e.pk})


def _buyer_project(row) -> str:
    project = row.project if hasattr(row, "project") else row.engagement.project
    return reverse("buyer-project", kwargs={"code": project.code})


DEADLINES = (
    Deadline(
        "confirm_win",
        lambda: SignUp.objects.filter(state=SignUp.State.SELECTED).select_related("project"),
        "project__publicity_ends_at",
        lambda s: agency_recipients(s.agency_id),
        lambda s: reverse("agency-project", kwargs={"code": s.project.code}),
        _project,
    ),
    Deadline(
        "contract_upload",
        lambda: Engagement.objects.filter(state=Engagement.State.AWAITING_CONTRACT, contract_file="").select_related(
            "project"
        ),
        "contract_due",
        lambda e: agency_recipients(e.agency_id),
        _agency_engagement,
        _project,
    ),
    Deadline(
        "deliver",
        lambda: Engagement.objects.filter(state__in=DELIVERING, late_recorded=False).select_related("project"),
        "service_end",
        lambda e: agency_recipients(e.agency_id),
        _agency_engagement,
        _project,
    ),
    Deadline(
        "case_response",
        lambda: CreditCase.objects.filter(state=CreditCase.State.NOTIFIED, responded_at__isnull=True),
        "response_due",
        lambda c: agency_recipients(c.agency_id),
        lambda c: reverse("agency-case-respond", kwargs={"pk": c.pk}),
        lambda c: str(c.get_measure_display() or c.ground_code),
    ),
    Deadline(
        "buyer_contract",
        lambda: Engagement.objects.filter(state=Engagement.State.AWAITING_CONTRACT)
        .exclude(contract_file="")
        .select_related("project"),
        "contract_due",
        lambda e: buyer_recipients(e.project.buyer_id),
        _buyer_project,
        _project,
    ),
    Deadline(
        "acceptance",
        lambda: Engagement.objects.filter(
            state=Engagement.State.RESULT_SUBMITTED, acceptance_late_recorded=False
        ).select_related("project"),
        "acceptance_due",
        lambda e: buyer_recipients(e.project.buyer_id),
        _buyer_project,
        _project,
    ),
    Deadline(
        "rating",
        lambda: Engagement.objects.filter(state=Engagement.State.ACCEPTED).select_related("project"),
        "rating_due",
        lambda e: buyer_recipients(e.project.buyer_id),
        _buyer_project,
        _project,
    ),
    Deadline(
        "payment",
        lambda: Payment.objects.filter(late_recorded=False)
        .exclude(state=Payment.State.PAID)
        .select_related("engagement__project"),
        "due_at",
        lambda p: buyer_recipients(p.engagement.project.buyer_id),
        _buyer_project,
        _project,
    ),
    Deadline(
        "after_measure",
        lambda: Engagement.objects.filter(buyer_continues__isnull=True, state__in=Engagement.OPEN).select_related(
            "project"
        ),
        "measure_decision_due",
        lambda e: buyer_recipients(e.project.buyer_id),
        _buyer_project,
        _project,
    ),
)


def _deadline_of(row, path: str) -> datetime.datetime:
    value = row
    for part in path.split("__"):
        value = getattr(value, part)
    return value


def deadline_remind(deadline: Deadline, row: Any, lead_hours: int, at: datetime.datetime) -> int:
    """Remind the row's people of its deadline at this lead time (once per deadline and lead)."""
    due = _deadline_of(row, deadline.field)
    made = notify(
        recipients=deadline.recipients(row),
        kind=Notification.Kind.REMINDER,
        key=f"reminder:{deadline.action}:{row.pk}:{due:%Y%m%dT%H%M%S}:{lead_hours}h",
        params={"action": deadline.action, "about": deadline.about(row)},
        link=deadline.link(row),
        deadline=due,
        at=at,
    )
    return len(made)


def _remind(deadline: Deadline, lead_hours: int, at: datetime.datetime, row: Any) -> int:
    return deadline_remind(deadline, row, lead_hours, at)


def reminders_sweep(now: datetime.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Remind of every deadline within a lead time, and of records that became repairable; returns the
    number of new messages per kind of deadline."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    for deadline in DEADLINES:
        sent[deadline.action] = 0
        shorter = datetime.timedelta(0)
        for hours, span in lead_times():
            # The shortest lead that covers the deadline: (now + shorter lead, now + this lead].
            rows = deadline.rows().filter(
                **{f"{deadline.field}__gt": now + shorter, f"{deadline.field}__lte": now + span}
            )
            sent[deadline.action] += sweep_each(rows.order_by("pk"), partial(_remind, deadline, hours, now), batch)
            shorter = span
    sent["repairable"] = sweep_each(repairable_entries(now), repairable_notify, batch)
    return sent


def repairable_entries(now: datetime.datetime) -> QuerySet[LedgerEntry]:
    """An agency's entries in force whose minimum period is served (repair may be applied for), not yet told."""
    told = Notification.objects.filter(
        kind=Notification.Kind.REPAIRABLE,
        key=Concat(Value("repairable:"), Cast(OuterRef("pk"), CharField())),
    )
    return (
        LedgerEntry.objects.filter(
            kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE],
            subject__agency__isnull=False,
            repairable_after__lte=now,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exclude(Exists(LedgerEntry.objects.filter(refers_to=OuterRef("pk"), kind=LedgerEntry.Kind.NEUTRALISE)))
        .exclude(Exists(told))
        .select_related("subject")
        .order_by("pk")
    )
