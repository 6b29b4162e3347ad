"""Reads for the public statistics page (统计分析): measures per month, grade distribution, projects by method and state, award against budget."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from credit_rules import caching as credit_caching
from credit_rules.models import CreditSubject, Grade, LedgerEntry, MeasureKind
from marketplace import caching

from ..models import DormancyPrompt, Engagement, Project, TransitionLog
from .dormancy import dormancy_counts
from .public import PUBLIC_STATES, day_start

WARNING = "warning"  # the measures chart's bucket for credit warnings (events, not measures)
MEASURE_KINDS: tuple[str, ...] = (
    WARNING,
    MeasureKind.REWARD,
    MeasureKind.RESTRICT,
    MeasureKind.SUSPEND,
    MeasureKind.EXPEL,
    MeasureKind.REVOKE,
)


def months_back(now: datetime.datetime, count: int = 12) -> list[datetime.date]:
    """The first days of the last ``count`` calendar months (local time), oldest first, this month last."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    out = []
    for _i in range(count):
        out.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _month_key(value: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return datetime.date(value.year, value.month, 1)


@dataclass(frozen=True)
class AwardMonth:
    """Award amounts against budgets for the projects awarded in one month."""

    projects: int = 0
    budget: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    rate_sum: float = 0.0  # sum over the projects of (budget − amount) / budget

    @property
    def saving(self) -> Decimal:
        return self.budget - self.amount


@dataclass
class PublicStatistics:
    """The numbers behind the statistics page, each from one aggregate query."""

    now: datetime.datetime
    months: list[datetime.date]
    measures: dict[tuple[datetime.date, str], int]
    grades: dict[str, int]
    projects: dict[tuple[str, str], int]
    awards: dict[datetime.date, AwardMonth]
    # This calendar year's dormant members (僵尸中介): prompted, and exited by policy.
    dormancy: dict[str, int] = field(default_factory=dict)

    def measure_count(self, month: datetime.date, kind: str) -> int:
        return self.measures.get((month, kind), 0)

    def by_method(self) -> dict[str, int]:
        out = dict.fromkeys(Project.Method.values, 0)
        for (method, _state), n in self.projects.items():
            out[method] = out.get(method, 0) + n
        return out

    def by_state(self) -> dict[str, int]:
        out = dict.fromkeys(PUBLIC_STATES, 0)
        for (_method, state), n in self.projects.items():
            out[state] = out.get(state, 0) + n
        return out

    def grade_counts(self) -> dict[str, int]:
        return {g: self.grades.get(g, 0) for g in Grade.values}

    @property
    def rewarded_now(self) -> int:
        """Agencies with a reward (the green channel) in force."""
        return self.grades.get(REWARDED, 0)

    def measure_total(self, kind: str) -> int:
        """Measures of one kind taken in the window's months."""
        return sum(n for (month, k), n in self.measures.items() if k == kind and month in self.months)

    def award_total(self) -> AwardMonth:
        """All months of the window together."""
        rows = [self.awards[m] for m in self.months if m in self.awards]
        return AwardMonth(
            projects=sum(r.projects for r in rows),
            budget=sum((r.budget for r in rows), Decimal(0)),
            amount=sum((r.amount for r in rows), Decimal(0)),
            rate_sum=sum(r.rate_sum for r in rows),
        )

    @property
    def saving_rate(self) -> float | None:
        """Total saving over total budget (weighted by budget); None without awards."""
        total = self.award_total()
        return float(total.saving / total.budget) if total.budget else None

    @property
    def average_saving_rate(self) -> float | None:
        """The mean of the projects' own saving rates (each project counts once); None without awards."""
        total = self.award_total()
        return total.rate_sum / total.projects if total.projects else None


def _window_start(months: list[datetime.date]) -> datetime.datetime:
    return day_start(months[0])


def measure_counts_by_month(start: datetime.datetime, now: datetime.datetime) -> dict[tuple[datetime.date, str], int]:
    """Public measures (by kind) and credit warnings against agencies per month, since ``start``.

    Entries overturned on objection were never right and do not count; repaired or lifted ones did
    happen and do. One grouped query.
    """
    overturned = LedgerEntry.objects.filter(
        refers_to_id=OuterRef("pk"), kind=LedgerEntry.Kind.NEUTRALISE, reason=LedgerEntry.Reason.OVERTURNED
    )
    warning = Q(kind=LedgerEntry.Kind.EVENT) & (Q(is_warning=True) | Q(code="CREDIT_WARNING"))
    rows = (
        LedgerEntry.objects.filter(
            Q(kind=LedgerEntry.Kind.MEASURE) | warning,
            subject__kind=CreditSubject.Kind.AGENCY,
            public=True,
            effective_at__gte=start,
            effective_at__lte=now,
        )
        .exclude(Exists(overturned))
        .annotate(
            month=TruncMonth("effective_at"),
            bucket=Case(
                When(kind=LedgerEntry.Kind.MEASURE, then=F("measure")), default=Value(WARNING), output_field=CharField()
            ),
        )
        .order_by()
        .values("month", "bucket")
        .annotate(n=Count("pk"))
    )
    out: dict[tuple[datetime.date, str], int] = {}
    for row in rows:
        key = (_month_key(row["month"]), row["bucket"])
        out[key] = out.get(key, 0) + row["n"]
    return out


REWARDED = "rewarded"  # the grade counts' extra key: agencies with a reward (the green channel) in force now


def grade_counts() -> dict[str, int]:
    """Agencies with a credit record, by cached grade (kept equal to the ledger by ``standing_refresh``), and
    under ``REWARDED`` how many have a reward in force: one grouped query."""
    rows = (
        CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY)
        .order_by()
        .values("grade")
        .annotate(n=Count("pk"), rewarded=Count("pk", filter=Q(is_rewarded=True)))
    )
    out = {row["grade"]: row["n"] for row in rows}
    out[REWARDED] = sum(row["rewarded"] for row in rows)
    return out


def project_counts() -> dict[tuple[str, str], int]:
    """Published projects by (selection method, state)."""
    rows = Project.objects.filter(state__in=PUBLIC_STATES).order_by().values("method", "state").annotate(n=Count("pk"))
    return {(row["method"], row["state"]): row["n"] for row in rows}


def award_sums_by_month(start: datetime.datetime, now: datetime.datetime) -> dict[datetime.date, AwardMonth]:
    """Per month of award: projects, Σ budget, Σ award amount and Σ saving rate of awarded projects.

    The award amount is the live engagement's amount (the winning quote, then the signed contract
    amount); a terminated engagement is left out, since a stepped-up alternate carries the award.
    """
    rate = Cast(F("project__budget") - F("amount"), FloatField()) / Cast(F("project__budget"), FloatField())
    rows = (
        Engagement.objects.filter(
            amount__isnull=False,
            project__budget__gt=0,
            project__state__in=PUBLIC_STATES,
            project__awarded_at__gte=start,
            project__awarded_at__lte=now,
        )
        .exclude(state=Engagement.State.TERMINATED)
        .annotate(month=TruncMonth("project__awarded_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"), budget_sum=Sum("project__budget"), amount_sum=Sum("amount"), rate_sum=Sum(rate))
    )
    out: dict[datetime.date, AwardMonth] = {}
    for row in rows:
        key = _month_key(row["month"])
        prev = out.get(key, AwardMonth())
        out[key] = AwardMonth(
            projects=prev.projects + row["n"],
            budget=prev.budget + Decimal(row["budget_sum"] or 0),
            amount=prev.amount + Decimal(row["amount_sum"] or 0),
            rate_sum=prev.rate_sum + float(row["rate_sum"] or 0),
        )
    return out


def statistics_for_public(now: datetime.datetime | None = None) -> PublicStatistics:
    """Everything the statistics page draws: five aggregate queries, whatever the volume of data."""
    now = now or timezone.now()
    months = months_back(now, 12)
    start = _window_start(months)
    return PublicStatistics(
        now=now,
        months=months,
        measures=measure_counts_by_month(start, now),
        grades=grade_counts(),
        projects=project_counts(),
        awards=award_sums_by_month(start, now),
        dormancy=dormancy_counts(now),
    )


def statistics_marks(now: datetime.datetime) -> list[object]:
    """What the statistics are a function of, read in two index lookups: the day (the window of months and
    "so far" move with it), the last transition logged (every state change of a project or engagement, the
    award amounts with them, goes through the runner, which logs it; so do the seeding's bulk paths) and the
    last ledger entry (every event and measure), the last dormancy prompt. Grades that change with time alone (an entry's period
    running out) are written by the standing refresh, which bumps the credit scope's version."""
    return [
        timezone.localdate(now).isoformat(),
        TransitionLog.objects.aggregate(last=Max("pk"))["last"],
        LedgerEntry.objects.aggregate(last=Max("pk"))["last"],
        DormancyPrompt.objects.aggregate(last=Max("pk"))["last"],  # a prompt is no transition (its exit is)
    ]


def statistics_for_public_cached(now: datetime.datetime | None = None) -> PublicStatistics:
    """``statistics_for_public`` computed once per change of what it reads: the aggregates grow with a year's
    data (100,000 credit subjects, as many projects), the page must not. Its "as of" is when it was computed."""
    now = now or timezone.now()
    key = caching.cache_key("stats", "public", statistics_marks(now))
    return caching.cached(credit_caching.VERSION_KEY, key, lambda: statistics_for_public(now))
