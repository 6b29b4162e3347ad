"""Standing derived from the ledger: score, grade and measures in force, for any moment.

``standing_compute`` is the definition. ``CreditSubject`` keeps a denormalised copy for list
pages; ``standing_refresh`` rewrites it from the definition, and ``standing_refresh_due`` does so
for subjects whose standing changes by the passage of time (an entry expiring, a measure ending).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Exists, Field, IntegerField, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .caching import credit_cache_bump
from .models import CreditSubject, LedgerEntry, MeasureKind
from .policy import Policy, policy_at

MEASURE_FLAGS = {
    MeasureKind.REWARD: "is_rewarded",
    MeasureKind.RESTRICT: "is_restricted",
    MeasureKind.SUSPEND: "is_suspended",
    MeasureKind.EXPEL: "is_expelled",
}


@dataclass(frozen=True, slots=True)
class ActiveMeasure:
    """A measure in force: its ledger entry, kind, start and end (None = until lifted)."""

    entry_id: int
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    rule_code: str
    title: str


@dataclass(frozen=True, slots=True)
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


def withdrawn_by(at: datetime.datetime):
    """Exists(): the outer entry was overturned or repaired by ``at`` (as if it had never counted).

    A lifted or expired measure did happen; an overturned or repaired one no longer counts against the agency.
    """
    return Exists(
        LedgerEntry.objects.filter(
            refers_to=OuterRef("pk"),
            kind=LedgerEntry.Kind.NEUTRALISE,
            reason__in=[LedgerEntry.Reason.OVERTURNED, LedgerEntry.Reason.REPAIRED],
            effective_at__lte=at,
        )
    )


def punitive_measure(at: datetime.datetime) -> Q:
    """Measures that punish (restrict, suspend, expel) taken by ``at``, in force or not."""
    return Q(
        kind=LedgerEntry.Kind.MEASURE,
        measure__in=[MeasureKind.RESTRICT, MeasureKind.SUSPEND, MeasureKind.EXPEL],
        effective_at__lte=at,
    )


def in_force(at: datetime.datetime) -> Q:
    """Entries effective at ``at`` and not yet expired."""
    return Q(effective_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))


def points_in_force(at: datetime.datetime) -> Q:
    """Point-bearing entries in force: events and their neutralisations (which carry minus points)."""
    return Q(kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.NEUTRALISE]) & in_force(at)


def warning_ages_out(effective_at: datetime.datetime, months: int) -> datetime.datetime:
    """The first moment a warning stops counting in a ``months`` window (it counts while effective_at > at - months).

    That is effective_at + months (as relativedelta adds them), except where the day is clamped at a
    month end (31 Jan + 1 month = 28 Feb): the warning then counts until the next month begins.
    """
    years, month0 = divmod(effective_at.month - 1 + months, 12)
    year, month = effective_at.year + years, month0 + 1
    if effective_at.day <= calendar.monthrange(year, month)[1]:
        return effective_at.replace(year=year, month=month)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return effective_at.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _rows(queryset) -> list[tuple]:
    """All rows of a values_list() queryset, fetched in one go.

    On PostgreSQL the timestamps are parsed by psycopg's own C loader: Django registers a Python
    subclass of it (to pin the time zone, which the session already has as UTC) that is about 20
    times slower, and a whole-ledger recompute loads hundreds of thousands of timestamps.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    from psycopg.types.datetime import TimestamptzLoader

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.adapters.register_loader("timestamptz", TimestamptzLoader)
        raw.execute(sql, params)
        return raw.fetchall()


def _by_subjects(subject_ids: list[int] | None) -> Q:
    return Q() if subject_ids is None else Q(subject_id__in=subject_ids)


def _compute(
    subject_ids: list[int] | None,
    all_ids: Iterable[int],
    at: datetime.datetime,
    policy: Policy,
    as_cached_values: bool = False,
) -> dict[int, Any]:
    """Standing of ``all_ids`` at ``at`` in two ledger queries (``subject_ids`` None: no subject filter).

    With ``as_cached_values`` each subject maps to the tuple of its cached columns (``CACHED`` order)
    instead of a ``Standing``: the same values, without building objects nobody reads.

    The first query is a plain aggregate PostgreSQL can run in parallel; the second fetches only the
    few rows whose meaning depends on other rows (measures, warnings, neutralisations), so that the
    "not neutralised" test is a set lookup here instead of a correlated subquery per row.
    """
    by_subject = _by_subjects(subject_ids)
    sums = {
        sid: (points, expiry, start)
        for sid, points, expiry, start in _rows(
            # Expired entries can neither count nor change anything later: leave them out before grouping.
            LedgerEntry.objects.filter(by_subject)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at) | Q(effective_at__gt=at))
            .order_by()
            .values("subject_id")
            .annotate(
                total=Coalesce(Sum("points", filter=points_in_force(at)), Value(0), output_field=IntegerField()),
                next_expiry=Min("expires_at", filter=Q(expires_at__gt=at)),
                next_start=Min("effective_at", filter=Q(effective_at__gt=at)),
            )
            .values_list("subject_id", "total", "next_expiry", "next_start")
        )
    }
    window_from = at - policy.months(policy.warnings_window_months)
    rows = (
        LedgerEntry.objects.filter(by_subject)
        .filter(
            (Q(kind=LedgerEntry.Kind.MEASURE) & in_force(at))
            | Q(kind=LedgerEntry.Kind.EVENT, is_warning=True, effective_at__gt=window_from, effective_at__lte=at)
            | Q(kind=LedgerEntry.Kind.NEUTRALISE, effective_at__lte=at, refers_to__isnull=False)
        )
        # In time order, so each subject's measures and warnings arrive sorted: one sort in the
        # database instead of one per subject here.
        .order_by("effective_at", "pk")
        .values_list(
            "subject_id", "pk", "kind", "measure", "effective_at", "expires_at", "rule_code", "title", "refers_to_id"
        )
    )
    neutralised: set[int] = set()
    candidates = []
    for row in _rows(rows):
        if row[2] == LedgerEntry.Kind.NEUTRALISE:
            neutralised.add(row[8])
        else:
            candidates.append(row)
    measures: dict[int, list[ActiveMeasure]] = {}
    warnings: dict[int, list[datetime.datetime]] = {}
    for sid, pk, kind, measure, start, end, rule_code, title, _ in candidates:
        if pk in neutralised:
            continue
        if kind == LedgerEntry.Kind.MEASURE:
            measures.setdefault(sid, []).append(ActiveMeasure(pk, measure, start, end, rule_code, title))
        else:
            warnings.setdefault(sid, []).append(start)

    base, grade_for, months = policy.base_score, policy.grade_for, policy.warnings_window_months
    empty = (0, None, None)
    flag_kinds = tuple(MEASURE_FLAGS)
    # A few hundred distinct scores among 100,000 subjects: grade each score once.
    grades: dict[int, str] = {}
    result: dict[int, Any] = {}
    for sid in all_ids:
        points, next_change, start = sums.get(sid, empty)
        if start is not None and (next_change is None or start < next_change):
            next_change = start
        own_warnings = warnings.get(sid, ())
        if own_warnings:
            ages_out = warning_ages_out(own_warnings[0], months)  # the oldest: rows come in time order
            if next_change is None or ages_out < next_change:
                next_change = ages_out
        own_measures = measures.get(sid, ())
        score = base + points
        grade = grades.get(score)
        if grade is None:
            grade = grades[score] = grade_for(score)
        if as_cached_values:
            kinds = {m.kind for m in own_measures}
            result[sid] = (score, grade, len(own_warnings), next_change, *(k in kinds for k in flag_kinds))
            continue
        result[sid] = Standing(sid, at, score, grade, tuple(own_measures), len(own_warnings), next_change)
    return result


def standing_compute_many(
    subject_ids: Iterable[int] | None, at: datetime.datetime | None = None, policy: Policy | None = None
) -> dict[int, Standing]:
    """Standing of several subjects (None: every subject) at ``at`` from the ledger alone."""
    at = at or timezone.now()
    policy = policy or policy_at(at)
    if subject_ids is None:
        ids = [pk for (pk,) in _rows(CreditSubject.objects.order_by("pk").values_list("pk"))]
        return _compute(None, ids, at, policy)
    ids = list(subject_ids)
    return _compute(ids, ids, at, policy)


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
    credit_cache_bump()
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
            credit_cache_bump()
            for sid, standing in standing_compute_many([s.pk for s in subjects], now).items():
                CreditSubject.objects.filter(pk=sid).update(**_cached_fields(standing))
            done += len(subjects)


CACHED = ("score", "grade", "warning_count", "standing_valid_until", *MEASURE_FLAGS.values())


def standing_refresh_all(at: datetime.datetime | None = None, batch: int = 5_000) -> int:
    """Recompute every subject's cached standing (after a bulk import or a policy change); returns rows rewritten.

    Only subjects whose cached standing differs are written (``standing_at`` says when a row was last
    rewritten): rewriting 100,000 unchanged rows and their indexes costs far more than computing them.
    A subject that gained an entry meanwhile is skipped, since that append refreshed it already.
    """
    at = at or timezone.now()
    policy = policy_at(at)
    cached = {
        pk: (head_seq, tuple(values))
        for pk, head_seq, *values in _rows(CreditSubject.objects.order_by("pk").values_list("pk", "head_seq", *CACHED))
    }
    fresh = _compute(None, cached, at, policy, as_cached_values=True)
    changed = []  # (new values, subject id, head_seq read before computing)
    for sid, values in fresh.items():
        head_seq, old = cached[sid]
        if values != old:
            changed.append((values, sid, head_seq))
    if not changed:
        return 0
    credit_cache_bump()
    if connection.vendor == "postgresql":
        return _write_copy_update(changed, at)
    return _write_per_row(changed, at, batch)


def _cache_columns() -> list[Field]:
    meta = CreditSubject._meta
    return [cast(Field, meta.get_field(name)) for name in (*CACHED, "standing_at")]


def _write_per_row(changed: list[tuple], at: datetime.datetime, batch: int) -> int:
    """One guarded UPDATE per changed subject, sent in batches (SQLite, where that is cheap)."""
    db_fields = _cache_columns()
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in db_fields)
    sql = f"UPDATE {quote(CreditSubject._meta.db_table)} SET {assignments} WHERE id = %s AND head_seq = %s"
    written = 0
    for start in range(0, len(changed), batch):
        params = [
            [f.get_db_prep_save(v, connection) for f, v in zip(db_fields, (*values, at), strict=True)] + [sid, head]
            for values, sid, head in changed[start : start + batch]
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
            written += cursor.rowcount  # both drivers sum it over the batch
    return written


def _write_copy_update(changed: list[tuple], at: datetime.datetime) -> int:
    """COPY the changed rows into a temporary table and apply them in one guarded UPDATE … FROM (PostgreSQL).

    A set-based UPDATE of 90,000 rows takes seconds; as many single-row UPDATEs take about ten times longer.
    """
    db_fields = _cache_columns()
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in db_fields]
    types = [f.db_type(connection) for f in db_fields]
    table = quote(CreditSubject._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE standing_refresh (id bigint, head_seq integer, "
            + ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
            + ") ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY standing_refresh (id, head_seq, {', '.join(columns)}) FROM STDIN") as copy:
            for values, sid, head in changed:
                copy.write_row((sid, head, *values, at))
        cursor.execute(
            f"UPDATE {table} AS s SET "
            + ", ".join(f"{c} = r.{c}" for c in columns)
            + " FROM standing_refresh AS r WHERE s.id = r.id AND s.head_seq = r.head_seq"
        )
        written = cursor.rowcount
        # ON COMMIT DROP is not enough inside an outer transaction (a caller's atomic block, a test).
        cursor.execute("DROP TABLE standing_refresh")
        return written
