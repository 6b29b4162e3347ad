"""Reads of the credit records: the public credit pages (agency directory, credit profile, black list
and red list, the policy in force), and what the services ask of the ledger (the commitment letter in force, the measures
that rest on an entry).

Each selector returns one query set shaped for its page, so a page's query count does not grow
with its rows. Lists read the cached standing on ``CreditSubject`` (kept equal to the ledger by
``standing_refresh``); the profile recomputes standing from the ledger, which is the definition.
Only organisation data is selected for display: never contact persons, phones or legal
representatives.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import BooleanField, CharField, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models import Value as V
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.dbops import TRIGRAM, text_contains, uscc_contains
from marketplace.errors import ApplicationError
from marketplace.models import Agency, Qualification, ServiceCategory

from .defaults import MEASURE_BASIS, MEASURE_CLASS, MEASURE_NEVER_REPAIRABLE
from .models import CatalogueEntry, CommitmentLetter, CreditSubject, LedgerEntry, MeasureKind, Severity
from .policy import ClassPeriods, Policy, policy_at
from .rules import REGISTRY
from .rules.escalation import THRESHOLDS, TRIGGERED
from .standing import MEASURE_FLAGS, in_force, neutralised_by

# Short public names of the measures shown as badges and offered as directory filters.
MEASURE_BADGES: dict[str, object] = {
    MeasureKind.REWARD: _("绿色通道"),
    MeasureKind.RESTRICT: _("限制"),
    MeasureKind.SUSPEND: _("暂停"),
    MeasureKind.EXPEL: _("黑名单"),
}

# Natural persons' data is not even loaded for public pages: a template that reached for it
# would cost a query per row and fail the query-budget tests.
PERSONAL_FIELDS = ("contact_name", "contact_phone", "legal_representative")


@dataclass(frozen=True)
class DirectoryFilters:
    """What the public asked the directory for; empty values mean "any"."""

    q: str = ""
    category: ServiceCategory | None = None
    grade: str = ""
    measure: str = ""


def agency_list_for_directory(
    filters: DirectoryFilters | None = None, at: datetime.datetime | None = None
) -> QuerySet[Agency]:
    """Every agency that proved control of its USCC, with cached standing and categories, searched and filtered.

    An agency with no credit record yet stands at the base score of the policy in force; one whose identity is
    not verified (``identity_verified_at``) is not listed, nor found by the search.
    """
    filters = filters or DirectoryFilters()
    policy = policy_at(at)
    base_grade = policy.grade_for(policy.base_score)
    qs = (
        Agency.objects.filter(identity_verified_at__isnull=False)
        .select_related("region")
        .defer(*PERSONAL_FIELDS)
        .prefetch_related(Prefetch("categories", queryset=ServiceCategory.objects.order_by("sort_order", "code")))
        .annotate(
            credit_score=Coalesce(F("credit__score"), V(policy.base_score), output_field=IntegerField()),
            credit_grade=Coalesce(F("credit__grade"), V(base_grade), output_field=CharField()),
            **{
                f"credit_{kind.value}": Coalesce(F(f"credit__{flag}"), V(False), output_field=BooleanField())
                for kind, flag in MEASURE_FLAGS.items()
            },
        )
        .order_by("name", "pk")
    )
    q = filters.q.strip()
    if q and len(q) < TRIGRAM:
        # One or two characters: a part of a name (no USCC is looked up by so little); the planner may still
        # walk the names in order for a character most names share.
        qs = qs.filter(text_contains("name", q))
    elif q:
        # Served on PostgreSQL by the trigram indexes on UPPER(name) and UPPER(uscc) (a bitmap OR of both),
        # in the same order, which the (name, id) index cannot give (name is never null): the planner finds
        # the matches by trigram and sorts them, instead of walking every name in order betting that 20
        # matches come early (a rare term near the end of the alphabet walks them all).
        qs = qs.filter(text_contains("name", q) | uscc_contains(q))
        qs = qs.order_by(F("name").asc(nulls_first=True), "pk")
    if filters.category is not None:
        # A top-level category matches agencies offering any of its leaves.
        offers = Agency.categories.through.objects.filter(agency_id=OuterRef("pk")).filter(
            Q(servicecategory_id=filters.category.pk) | Q(servicecategory__parent_id=filters.category.pk)
        )
        qs = qs.filter(Exists(offers))
    if filters.grade:
        # On the cached standing's own column (the (kind, grade) index), not on the COALESCE shown: an agency
        # with no credit record stands at the base grade, so only that grade also takes agencies without one.
        grade = Q(credit__kind=CreditSubject.Kind.AGENCY, credit__grade=filters.grade)
        qs = qs.filter(grade | Q(credit__isnull=True) if filters.grade == base_grade else grade)
    if filters.measure:
        qs = qs.filter(**{f"credit__{MEASURE_FLAGS[MeasureKind(filters.measure)]}": True})
    return qs


def _public_entries() -> QuerySet[LedgerEntry]:
    """Public events and measures, newest first, with the corrections and dispute marks that refer to them."""
    followups = LedgerEntry.objects.filter(kind__in=[LedgerEntry.Kind.NEUTRALISE, LedgerEntry.Kind.DISPUTE]).order_by(
        "seq"
    )
    return (
        LedgerEntry.objects.filter(public=True, kind__in=[LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE])
        .prefetch_related(Prefetch("followups", queryset=followups))
        .order_by("-effective_at", "-seq")
    )


def agency_profile_for_public(uscc: str) -> QuerySet[Agency]:
    """One verified agency by USCC with its region, categories, qualifications and public ledger entries."""
    return (
        Agency.objects.filter(uscc=uscc.strip().upper(), identity_verified_at__isnull=False)
        .select_related("region", "credit")
        .defer(*PERSONAL_FIELDS)
        .prefetch_related(
            Prefetch("categories", queryset=ServiceCategory.objects.select_related("parent").order_by("sort_order")),
            Prefetch(
                "qualifications",
                queryset=Qualification.objects.select_related("qualification_type", "level").order_by(
                    "qualification_type__code", "-valid_until"
                ),
            ),
            Prefetch("credit__ledger", queryset=_public_entries(), to_attr="public_entries"),
        )
    )


def _measures_in_force(kind: str, at: datetime.datetime) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE, measure=kind)
        .filter(in_force(at))
        .exclude(neutralised_by(at))
        .order_by("-effective_at", "-pk")
    )


def subject_list_for_blacklist(at: datetime.datetime | None = None) -> QuerySet[CreditSubject]:
    """Expelled agencies (黑名单), newest expulsion first, each with its expulsion entries in force.

    Verified or not: the blacklist follows the USCC, whatever became of the registration."""
    at = at or timezone.now()
    expulsions = _measures_in_force(MeasureKind.EXPEL, at)
    return (
        CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY, is_expelled=True)
        .select_related("agency__region")
        .defer(*(f"agency__{name}" for name in PERSONAL_FIELDS))
        .annotate(expelled_since=Subquery(expulsions.filter(subject=OuterRef("pk")).values("effective_at")[:1]))
        .prefetch_related(Prefetch("ledger", queryset=expulsions, to_attr="expulsions"))
        .order_by(F("expelled_since").desc(nulls_last=True), "name", "pk")
    )


def subject_list_for_redlist(at: datetime.datetime | None = None) -> QuerySet[CreditSubject]:
    """Agencies on the red list: a reward measure (the green channel) in force; best score first.

    The list is made of reward measures, which the rules order (sustained grade A, an honour) and end
    (a negative entry, a punitive measure): an honour alone puts no one on it. A punitive measure in
    force keeps an agency off it even before the rules have lifted its reward.
    """
    at = at or timezone.now()
    rewards = _measures_in_force(MeasureKind.REWARD, at)
    # The cached flag (a partial index over the few rewarded subjects, in the list's order) narrows the
    # list first; the ledger then confirms each reward is still in force, so a reward that ran out before
    # the sweep refreshed the row never shows. No scan of every subject.
    return (
        CreditSubject.objects.filter(
            kind=CreditSubject.Kind.AGENCY,
            is_rewarded=True,
            is_expelled=False,
            is_suspended=False,
            is_restricted=False,
            agency__identity_verified_at__isnull=False,
        )
        .filter(Exists(rewards.filter(subject=OuterRef("pk"))))
        .select_related("agency__region")
        .defer(*(f"agency__{name}" for name in PERSONAL_FIELDS))
        .prefetch_related(Prefetch("ledger", queryset=rewards, to_attr="rewards"))
        .order_by("-score", "name", "pk")
    )


# --- the policy in force, for the public ----------------------------------------------------------


@dataclass(frozen=True)
class ClassRow:
    """A class of record and its periods under the policy."""

    label: str
    periods: ClassPeriods


@dataclass(frozen=True)
class BasisRow:
    """A catalogue entry, rule or measure with what it is based on (national, then local)."""

    code: str
    title: str
    basis: str
    entry: CatalogueEntry | None = None
    periods: ClassPeriods | None = None
    repairable: bool = True


@dataclass(frozen=True)
class PolicyPage:
    """The public page of the policy in force: version, bands, classes, catalogue, rules and measures."""

    policy: Policy
    classes: list[ClassRow]
    catalogue: list[BasisRow]
    rules: list[BasisRow]
    measures: list[BasisRow]
    immediate: list[BasisRow] = field(default_factory=list)  # rules whose measures skip prior notice, and why


def policy_for_public(at: datetime.datetime | None = None) -> PolicyPage:
    """The policy in force at ``at`` as the public reads it (no query once the policy is cached)."""
    at = at or timezone.now()
    policy = policy_at(at)
    classes = [Severity.SLIGHT, Severity.GENERAL, Severity.SERIOUS, Severity.INFO]
    catalogue = [
        BasisRow(
            code,
            entry.label,
            policy.basis(entry.basis, code),
            entry=entry,
            periods=policy.periods(entry.severity),
            repairable=entry.repairable,
        )
        for code, entry in sorted(policy.catalogue.items())
    ]
    rules = [
        BasisRow(code, str(rule.title), policy.basis(str(rule.basis), code))
        for code, rule in sorted(REGISTRY.items())
        if rule.in_force(at)
    ]
    measures = [
        BasisRow(
            f"MEASURE_{kind.upper()}",
            str(MeasureKind(kind).label),
            policy.basis(basis, f"MEASURE_{kind.upper()}"),
            periods=policy.periods(MEASURE_CLASS[kind]),
            repairable=kind not in MEASURE_NEVER_REPAIRABLE and kind != MeasureKind.REWARD,
        )
        for kind, basis in MEASURE_BASIS.items()
    ]
    immediate = [
        BasisRow(code, rule_title(code), str(reason))
        for code, reason in sorted((policy.immediate_measures or {}).items())
    ]
    classes_rows = [ClassRow(str(c.label), policy.periods(c)) for c in classes]
    return PolicyPage(policy, classes_rows, catalogue, rules, measures, immediate)


def rule_title(code: str) -> str:
    """The registered title of a rule code, or "" for codes no rule carries (e.g. a supervisor's decision)."""
    rule = REGISTRY.get(code)
    return str(rule.title) if rule else ""


# --- status of a public ledger entry ------------------------------------------------------------


class EntryStatus(models.TextChoices):
    """Where a public event or measure stands, derived from the entries that refer to it."""

    IN_FORCE = "in_force", _("有效")
    PENDING = "pending", _("待生效")
    DISPUTED = "disputed", _("异议处理中")
    OVERTURNED = "overturned", _("已撤销")
    REPAIRED = "repaired", _("已修复")
    LIFTED = "lifted", _("已解除")
    EXPIRED = "expired", _("已过期")

    @property
    def withdrawn(self) -> bool:
        """Overturned and repaired records no longer count and leave the public lists."""
        return self in (EntryStatus.OVERTURNED, EntryStatus.REPAIRED)


_NEUTRALISED = {
    LedgerEntry.Reason.OVERTURNED: EntryStatus.OVERTURNED,
    LedgerEntry.Reason.REPAIRED: EntryStatus.REPAIRED,
    LedgerEntry.Reason.LIFTED: EntryStatus.LIFTED,
}


def entry_status(
    entry: LedgerEntry, followups: Iterable[LedgerEntry], at: datetime.datetime | None = None
) -> EntryStatus:
    """The public status of an event or measure at ``at`` from its follow-up entries (no queries).

    A neutralisation decides for good (overturned, repaired, lifted); otherwise a dispute opened
    and not yet closed shows the record as disputed; otherwise its own period decides.
    """
    at = at or timezone.now()
    effective = sorted((f for f in followups if f.effective_at <= at), key=lambda f: f.seq)
    for f in effective:
        if f.kind == LedgerEntry.Kind.NEUTRALISE and f.reason in _NEUTRALISED:
            return _NEUTRALISED[LedgerEntry.Reason(f.reason)]
    disputes = [f for f in effective if f.kind == LedgerEntry.Kind.DISPUTE]
    if disputes and disputes[-1].reason == LedgerEntry.Reason.DISPUTE_OPENED:
        return EntryStatus.DISPUTED
    if entry.effective_at > at:
        return EntryStatus.PENDING
    if entry.expires_at is not None and entry.expires_at <= at:
        return EntryStatus.EXPIRED
    return EntryStatus.IN_FORCE


# --- what services ask of the credit records ------------------------------------------------------


def commitment_current() -> CommitmentLetter:
    """The commitment letter version in force now."""
    letter = CommitmentLetter.objects.filter(effective_from__lte=timezone.now()).order_by("-effective_from").first()
    if letter is None:
        raise ApplicationError(_("当前没有生效的信用承诺书，暂不能提交，请联系平台运营机构。"))
    return letter


def rests_on(
    entry: LedgerEntry, *, rule_code: str, trigger: int | None, ordered_at: datetime.datetime, at: datetime.datetime
) -> bool:
    """Whether what ``rule_code`` ordered at ``ordered_at`` (set off by entry ``trigger``) falls with ``entry``
    overturned: ``entry`` triggered it, or without it the rule's threshold is no longer met at that moment.

    Asked of measures in force (``measures_resting_on``) and of measures still under prior notice.
    """
    if rule_code not in TRIGGERED or ordered_at < entry.effective_at:
        return False
    if trigger == entry.pk:
        return True
    spec = THRESHOLDS.get(rule_code)
    if spec is None or not getattr(entry, spec[0]):
        return False
    flag, window, needed = spec
    policy = policy_at(ordered_at)
    # The measure was ordered at its trigger's moment: count what still supports it at that moment.
    support = (
        LedgerEntry.objects.filter(
            subject_id=entry.subject_id,
            kind=LedgerEntry.Kind.EVENT,
            effective_at__gt=ordered_at - policy.months(getattr(policy, window)),
            effective_at__lte=ordered_at,
            **{flag: True},
        )
        .exclude(neutralised_by(at))
        .count()
    )
    return support < getattr(policy, needed)


def _ordered_at(measure: LedgerEntry) -> datetime.datetime:
    """When the rule ordered the measure: its start, or the notice's moment if it took effect after prior notice."""
    ordered = measure.evidence.get("ordered_at") if isinstance(measure.evidence, dict) else None
    return datetime.datetime.fromisoformat(ordered) if ordered else measure.effective_at


def measures_resting_on(entry: LedgerEntry, at: datetime.datetime) -> list[LedgerEntry]:
    """Measures that fall with an overturned entry: it triggered them, or without it their threshold is not met."""
    measures = (
        LedgerEntry.objects.filter(
            subject_id=entry.subject_id,
            kind=LedgerEntry.Kind.MEASURE,
            rule_code__in=TRIGGERED,
            effective_at__gte=entry.effective_at,
        )
        .exclude(neutralised_by(at))
        .order_by("seq")
    )
    return [
        measure
        for measure in measures
        if rests_on(
            entry,
            rule_code=measure.rule_code,
            trigger=measure.evidence.get("trigger_entry"),
            ordered_at=_ordered_at(measure),
            at=at,
        )
    ]
