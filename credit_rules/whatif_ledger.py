"""The what-if's reading of the ledger (``credit_rules.whatif``): set-based, once for both policy versions.

One aggregate of the points in force per subject (the very query a raw SQL baseline runs), one query for the rows
whose meaning depends on others (measures, warnings, complaints, serious events, neutralisations), one for the
external listings. It also gives each subject with measures in force their *signature*: what the rules the what-if
asks may read of them to decide (kind, rule code, the order of their ends), with the entry ids, starts, dates and
titles left out — so agencies are decided once per class of facts (``whatif``; proven by
tests/credit_rules/test_whatif_groups.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import IntegerField, Q, Sum, Value
from django.utils import timezone

from .models import ExternalListing, LedgerEntry, Severity
from .policy import Policy
from .rules.base import EventRow, Listing
from .standing import ActiveMeasure, _rows, in_force, points_in_force

MeasureSignature = tuple[tuple[str, str, int], ...]


def measure_signature(measures: Iterable[ActiveMeasure]) -> MeasureSignature:
    """The measures in their order as (kind, rule code, rank of the end among them; open-ended last).

    ``Facts.measure`` picks the latest-ending measure of a kind (the first of equals): the ranks keep that choice,
    and a lift names its measure by entry id, which is the same measure under any numbering.
    """
    measures = tuple(measures)
    ends = sorted({m.ends_at for m in measures if m.ends_at is not None})
    rank = {end: i for i, end in enumerate(ends)}
    return tuple((m.kind, m.rule_code, len(ends) if m.ends_at is None else rank[m.ends_at]) for m in measures)


@dataclass
class Ledger:
    """What the set-based queries found, per subject."""

    points: dict[int, int]
    measures: dict[int, list[ActiveMeasure]]
    warnings: dict[int, list[datetime.datetime]]
    complaints: dict[int, list[datetime.datetime]]
    serious: dict[int, list[EventRow]]
    listings: dict[int, tuple[Listing, ...]]
    signatures: dict[int, MeasureSignature] = field(default_factory=dict)  # of the subjects with measures

    def notable(self) -> set[int]:
        """The subjects with a measure, warning, complaint, serious event or listing counting."""
        return {*self.measures, *self.warnings, *self.complaints, *self.serious, *self.listings}


def ledger_load(
    at: datetime.datetime, policies: Iterable[Policy], agency_subjects: dict[str, int], *, counts: bool = True
) -> Ledger:
    """``counts=False``: no warnings or complaints (the caller needs no counts in a window: see ``whatif``)."""
    policies = list(policies)
    points = dict(
        _rows(
            LedgerEntry.objects.filter(points_in_force(at))
            .order_by()
            .values("subject_id")
            .annotate(total=Sum("points", output_field=IntegerField()))
            .values_list("subject_id", "total")
        )
    )
    warn_from = min(at - p.months(p.warnings_window_months) for p in policies)
    complaint_from = min(at - p.months(p.complaints_window_months) for p in policies)
    lookback_from = min(at - p.months(p.entry_lookback_months) for p in policies)
    event = Q(kind=LedgerEntry.Kind.EVENT, effective_at__lte=at)
    wanted = (
        (Q(kind=LedgerEntry.Kind.MEASURE) & in_force(at))
        | (event & Q(severity__in=[Severity.SERIOUS, Severity.GRAVE], effective_at__gt=lookback_from))
        | Q(kind=LedgerEntry.Kind.NEUTRALISE, effective_at__lte=at, refers_to__isnull=False)
    )
    if counts:
        wanted |= (event & Q(is_warning=True, effective_at__gt=warn_from)) | (
            event & Q(is_quality_complaint=True, effective_at__gt=complaint_from)
        )
    # Only columns of the index ``ledger_dependent_rows`` (an index-only scan) when no counts are wanted; titles fill
    # messages only, which the what-if does not show.
    flags = ("is_warning", "is_quality_complaint") if counts else ("no_warning", "no_complaint")
    rows = (
        LedgerEntry.objects.filter(wanted)
        .annotate(no_warning=Value(False), no_complaint=Value(False))
        .order_by("effective_at", "pk")
        .values_list(
            "subject_id", "pk", "kind", "measure", "effective_at", "expires_at", "rule_code", "refers_to_id", "code",
            "severity", *flags,
        )
    )  # fmt: skip
    fetched = _rows(rows)
    neutralise, measure_kind, grave = LedgerEntry.Kind.NEUTRALISE, LedgerEntry.Kind.MEASURE, {Severity.SERIOUS, Severity.GRAVE}  # fmt: skip
    neutralised = {row[7] for row in fetched if row[2] == neutralise}
    found = Ledger(points, {}, {}, {}, {}, {})
    measures, warnings, complaints, serious = found.measures, found.warnings, found.complaints, found.serious
    for sid, pk, kind, measure, start, end, rule_code, _ref, code, severity, warning, complaint in fetched:
        if kind == neutralise or pk in neutralised:
            continue
        if kind == measure_kind:
            measures.setdefault(sid, []).append(ActiveMeasure(pk, measure, start, end, rule_code, ""))
            continue
        if warning and start > warn_from:
            warnings.setdefault(sid, []).append(start)
        if complaint and start > complaint_from:
            complaints.setdefault(sid, []).append(start)
        if severity in grave and start > lookback_from:
            serious.setdefault(sid, []).append(EventRow(pk, code, "", severity, start))
    today = timezone.localtime(at).date()
    listed: dict[int, list[Listing]] = {}
    for uscc, source, reason, listed_on in (
        ExternalListing.objects.filter(listed_on__lte=today)
        .filter(Q(delisted_on__isnull=True) | Q(delisted_on__gt=today))
        .order_by("-listed_on", "pk")
        .values_list("uscc", "source", "reason", "listed_on")
    ):
        sid = agency_subjects.get(uscc)
        if sid is not None:
            listed.setdefault(sid, []).append(Listing(source, reason, listed_on))
    found.listings = {sid: tuple(ls) for sid, ls in listed.items()}
    found.signatures = {sid: measure_signature(ms) for sid, ms in found.measures.items()}
    return found


def count_since(moments: list[datetime.datetime] | None, since: datetime.datetime) -> int:
    return sum(1 for m in moments if m > since) if moments else 0
