"""Reads of a buyer unit's own record (政务诚信): the public page and directory of buyer units, the buyer's
workspace, and the count the warning threshold asks for.

A buyer unit's record holds what the buyer rules recorded against it (``rules.buyer``: late payment, a
contract left unsigned, a result left unaccepted, a service left unrated) and the warnings their number
warranted. Buyers are government units: nothing here stops them buying, it shows their integrity.
Only organisation data is selected — never contact persons or phones — and the page's queries do not
grow with its rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.dbops import TRIGRAM, text_contains, uscc_contains
from marketplace.models import BuyerUnit

from .models import CreditSubject, LedgerEntry
from .policy import policy_at
from .rules.buyer import BUYER_WARNING_RULE, FAILURE_RULES
from .selectors import EntryStatus, entry_status, rule_title
from .standing import in_force, neutralised_by

# Natural persons' data of a unit is never loaded for its pages.
PERSONAL_FIELDS = ("contact_name", "contact_phone")


def _counting(at: datetime.datetime) -> Q:
    """Events in force at ``at``, for the directory's counts."""
    return Q(kind=LedgerEntry.Kind.EVENT) & in_force(at)


def buyer_failures_since_warning(subject: CreditSubject, at: datetime.datetime) -> int:
    """The buyer's failures within the policy's window, counted after its latest warning in that window.

    What the warning rule looks at (``buyer.recorded``): each warning starts the count again, so one run
    of failures warrants one warning. Neutralised entries do not count.
    """
    policy = policy_at(at)
    since = at - policy.months(policy.buyer_failures_window_months)
    events = LedgerEntry.objects.filter(subject=subject, kind=LedgerEntry.Kind.EVENT, effective_at__lte=at).exclude(
        neutralised_by(at)
    )
    last_warning = (
        events.filter(rule_code=BUYER_WARNING_RULE, effective_at__gt=since)
        .order_by("-effective_at")
        .values_list("effective_at", flat=True)
        .first()
    )
    return events.filter(rule_code__in=FAILURE_RULES, effective_at__gt=last_warning or since).count()


def _record_entries() -> QuerySet[LedgerEntry]:
    """A buyer's public events, newest first, with the corrections that refer to them."""
    followups = LedgerEntry.objects.filter(kind__in=[LedgerEntry.Kind.NEUTRALISE, LedgerEntry.Kind.DISPUTE]).order_by(
        "seq"
    )
    return (
        LedgerEntry.objects.filter(public=True, kind=LedgerEntry.Kind.EVENT)
        .prefetch_related(Prefetch("followups", queryset=followups))
        .order_by("-effective_at", "-seq")
    )


def buyer_unit_for_record(uscc: str) -> QuerySet[BuyerUnit]:
    """One buyer unit by USCC with its region and its public record prefetched (organisation data only)."""
    return (
        BuyerUnit.objects.filter(uscc=uscc.strip().upper())
        .select_related("region", "credit")
        .defer(*PERSONAL_FIELDS)
        .prefetch_related(Prefetch("credit__ledger", queryset=_record_entries(), to_attr="record_entries"))
    )


@dataclass(frozen=True)
class RecordRow:
    """One event of a buyer's record: when, what, under which rule and basis, for which project, where it stands."""

    entry: LedgerEntry
    status: EntryStatus

    @property
    def summary(self) -> str:
        return str(self.entry.evidence.get("summary", "")) if isinstance(self.entry.evidence, dict) else ""

    @property
    def project_code(self) -> str:
        return str(self.entry.evidence.get("project", "")) if isinstance(self.entry.evidence, dict) else ""

    @property
    def is_warning(self) -> bool:
        return self.entry.rule_code == BUYER_WARNING_RULE

    @property
    def rule_title(self) -> str:
        return rule_title(self.entry.rule_code)


@dataclass(frozen=True)
class KindCount:
    """How many records of one kind the buyer has: all of them, and those in force."""

    code: str
    title: str
    total: int
    in_force: int


@dataclass(frozen=True)
class BuyerRecord:
    """A buyer unit's government-integrity record as its page shows it."""

    unit: BuyerUnit
    rows: list[RecordRow]
    counts: list[KindCount]
    warnings: list[RecordRow]  # warnings in force
    window_months: int
    failures_to_warn: int
    at: datetime.datetime

    @property
    def failures_in_force(self) -> int:
        return sum(1 for r in self.rows if r.entry.rule_code in FAILURE_RULES and r.status == EntryStatus.IN_FORCE)


def buyer_record(unit: BuyerUnit, at: datetime.datetime | None = None) -> BuyerRecord:
    """The record of a unit loaded by ``buyer_unit_for_record`` (no further query), as of ``at``."""
    at = at or timezone.now()
    policy = policy_at(at)
    try:
        entries: list[LedgerEntry] = unit.credit.record_entries  # type: ignore[attr-defined]  # prefetched
    except CreditSubject.DoesNotExist:
        entries = []
    rows = [RecordRow(e, entry_status(e, e.followups.all(), at)) for e in entries]
    totals = Counter(r.entry.code for r in rows)
    live = Counter(r.entry.code for r in rows if r.status == EntryStatus.IN_FORCE)
    # The kind's name in the active language where the policy in force lists it, else as recorded.
    titles = {r.entry.code: r.entry.title for r in rows}
    titles.update({code: policy.catalogue[code].label for code in titles if code in policy.catalogue})
    counts = [KindCount(code, titles[code], totals[code], live[code]) for code in sorted(totals)]
    return BuyerRecord(
        unit=unit,
        rows=rows,
        counts=counts,
        warnings=[r for r in rows if r.is_warning and r.status == EntryStatus.IN_FORCE],
        window_months=policy.buyer_failures_window_months,
        failures_to_warn=policy.buyer_failures_to_warn,
        at=at,
    )


def buyer_list_for_directory(q: str = "", at: datetime.datetime | None = None) -> QuerySet[BuyerUnit]:
    """Every buyer unit with its failures and warnings in force, searched by name or USCC, by name (one query)."""
    at = at or timezone.now()
    counted = (
        LedgerEntry.objects.filter(subject__buyer_unit_id=OuterRef("pk"))
        .filter(_counting(at))
        .exclude(neutralised_by(at))
        .order_by()
        .values("subject_id")
    )

    def count_of(rules) -> Coalesce:
        rows = counted.filter(rule_code__in=rules).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    qs = (
        BuyerUnit.objects.select_related("region")
        .defer(*PERSONAL_FIELDS)
        .annotate(failures=count_of(FAILURE_RULES), warnings=count_of([BUYER_WARNING_RULE]))
        .order_by("name", "pk")
    )
    q = q.strip()
    if q and len(q) < TRIGRAM:
        qs = qs.filter(text_contains("name", q))  # one or two characters: a part of a name, not of a USCC
    elif q:
        qs = qs.filter(text_contains("name", q) | uscc_contains(q))
    return qs
