"""Standing derived from the ledger: score, grade and measures in force, for any moment.

``standing_compute`` is the definition. ``CreditSubject`` keeps a denormalised copy for list
pages; ``standing_refresh`` rewrites it from the definition, and ``standing_refresh_due`` does so
for subjects whose standing changes by the passage of time (an entry expiring, a measure ending).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, IntegerField, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import CreditSubject, LedgerEntry, MeasureKind
from .policy import Policy, policy_at

MEASURE_FLAGS = {
    MeasureKind.REWARD: "is_rewarded",
    MeasureKind.RESTRICT: "is_restricted",
    MeasureKind.SUSPEND: "is_suspended",
    MeasureKind.EXPEL: "is_expelled",
}


@dataclass(frozen=True)
class ActiveMeasure:
    """A measure in force: its ledger entry, kind, start and end (None = until lifted)."""

    entry_id: int
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    rule_code: str
    title: str


@dataclass(frozen=True)
class Standing:
    """A subject's credit standing at a moment, as the ledger defines it."""

    subject_id: int
    at: datetime.datetime
    score: int
    grade: str
    measures: tuple[ActiveMeasure, ...] = field(default_factory=tuple)
    warning_count: int = 0
    valid_until: datetime.datetime | None = None

    def has(self, kind: str) -> bool:
        return any(m.kind == kind for m in self.measures)

    def flags(self) -> dict[str, bool]:
        return {flag: self.has(kind) for kind, flag in MEASURE_FLAGS.items()}


def neutralised_by(at: datetime.datetime):
    """Exists(): a neutralisation of the outer entry already effective at ``at``."""
    return Exists(
        LedgerEntry.objects.filter(refers_to=OuterRef("pk"), kind=LedgerEntry.Kind.NEUTRALISE, effective_at__lte=at)
    )


def in_force(at: datetime.datetime) -> Q:
    """Entries effective at ``at`` and not yet expired."""
    return Q(effective_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))


def points_in_force(at: datetime.datetime) -> Q:
    """Point-bearing entries in force: events and their neutralisations (which carry minus points)."""
    return Q(kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.NEUTRALISE]) & in_force(at)


def measures_in_force(subject_ids: Iterable[int], at: datetime.datetime) -> dict[int, list[ActiveMeasure]]:
    """Measures in force at ``at`` for several subjects, in one query."""
    rows = (
        LedgerEntry.objects.filter(subject_id__in=list(subject_ids), kind=LedgerEntry.Kind.MEASURE)
        .filter(in_force(at))
        .exclude(neutralised_by(at))
        .order_by("effective_at", "pk")
        .values_list("subject_id", "pk", "measure", "effective_at", "expires_at", "rule_code", "title")
    )
    out: dict[int, list[ActiveMeasure]] = {}
    for subject_id, pk, kind, start, end, rule_code, title in rows:
        out.setdefault(subject_id, []).append(ActiveMeasure(pk, kind, start, end, rule_code, title))
    return out


def _next_change(subject_ids: list[int], at: datetime.datetime) -> dict[int, datetime.datetime]:
    """The next moment each subject's standing changes without a new entry: the earliest future expiry."""
    rows = (
        LedgerEntry.objects.filter(subject_id__in=subject_ids, expires_at__gt=at)
        .values("subject_id")
        .annotate(next=Min("expires_at"))
        .values_list("subject_id", "next")
    )
    return dict(rows)


def standing_compute_many(
    subject_ids: Iterable[int], at: datetime.datetime | None = None, policy: Policy | None = None
) -> dict[int, Standing]:
    """Standing of several subjects at ``at`` from the ledger alone (three queries)."""
    at = at or timezone.now()
    policy = policy or policy_at(at)
    ids = list(subject_ids)
    window = at - policy.months(policy.warnings_window_months)
    agg = (
        LedgerEntry.objects.filter(subject_id__in=ids)
        .values("subject_id")
        .annotate(
            total=Coalesce(Sum("points", filter=points_in_force(at)), Value(0), output_field=IntegerField()),
            warnings=Count(
                "pk",
                filter=Q(kind=LedgerEntry.Kind.EVENT, is_warning=True, effective_at__gt=window, effective_at__lte=at)
                & ~Q(neutralised_by(at)),
            ),
        )
        .values_list("subject_id", "total", "warnings")
    )
    sums = {sid: (points, warnings) for sid, points, warnings in agg}
    measures = measures_in_force(ids, at)
    changes = _next_change(ids, at)
    result = {}
    for sid in ids:
        points, warnings = sums.get(sid, (0, 0))
        score = policy.base_score + points
        result[sid] = Standing(
            subject_id=sid,
            at=at,
            score=score,
            grade=policy.grade_for(score),
            measures=tuple(measures.get(sid, ())),
            warning_count=warnings,
            valid_until=changes.get(sid),
        )
    return result


def standing_compute(subject: CreditSubject | int, at: datetime.datetime | None = None) -> Standing:
    """Standing of one subject at ``at``, reproducible from the ledger for any past moment."""
    sid = subject if isinstance(subject, int) else subject.pk
    return standing_compute_many([sid], at)[sid]


def _cached_fields(standing: Standing) -> dict:
    return {
        "score": standing.score,
        "grade": standing.grade,
        "warning_count": standing.warning_count,
        "standing_at": standing.at,
        "standing_valid_until": standing.valid_until,
        **standing.flags(),
    }


def standing_refresh(subject: CreditSubject, at: datetime.datetime | None = None) -> Standing:
    """Rewrite a subject's cached standing from the ledger."""
    standing = standing_compute(subject, at)
    fields = _cached_fields(standing)
    CreditSubject.objects.filter(pk=subject.pk).update(**fields)
    for name, value in fields.items():
        setattr(subject, name, value)
    return standing


def standing_refresh_due(now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Refresh subjects whose cached standing has been overtaken by time; safe with many workers.

    Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` so two workers never take the same
    subject; each batch commits on its own.
    """
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            qs = CreditSubject.objects.filter(standing_valid_until__lte=now).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            subjects = list(qs[:batch])
            if not subjects:
                return done
            for sid, standing in standing_compute_many([s.pk for s in subjects], now).items():
                CreditSubject.objects.filter(pk=sid).update(**_cached_fields(standing))
            done += len(subjects)


def standing_refresh_all(at: datetime.datetime | None = None, batch: int = 20_000) -> int:
    """Recompute every subject's cached standing (after a bulk import or a policy change)."""
    at = at or timezone.now()
    policy = policy_at(at)
    ids = list(CreditSubject.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        standings = standing_compute_many(chunk, at, policy)
        with transaction.atomic():
            rows = list(CreditSubject.objects.filter(pk__in=chunk))
            for row in rows:
                for name, value in _cached_fields(standings[row.pk]).items():
                    setattr(row, name, value)
            CreditSubject.objects.bulk_update(
                rows,
                ["score", "grade", "warning_count", "standing_at", "standing_valid_until", *MEASURE_FLAGS.values()],
                batch_size=2000,
            )
    return len(ids)
