"""Reads for the public procurement pages (no login): project search, a project's public page, statistics.

Only projects the operator has published are visible (never drafts, projects awaiting review or
returned ones). Quotes come from ``SignUp.quote`` alone, which the sign-up close fills in after the
deadline; the sealed quote and the draw secret are never even loaded here. Organisations appear by
name and USCC; natural persons' data (contact names, phones, legal representatives, user accounts)
is deferred so a template that reached for it would cost a query and fail the budget tests.
The statistics are aggregate queries whose number does not grow with the data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import CreditSubject, Grade, LedgerEntry, MeasureKind
from marketplace.models import BuyerUnit, ServiceCategory

from ..models import Engagement, Project, ProjectQualification, SignUp

S = Project.State
PUBLIC_STATES: tuple[str, ...] = (
    S.OPEN,
    S.SELECTING,
    S.AWARDED,
    S.CONTRACTING,
    S.IN_SERVICE,
    S.RESULT_SUBMITTED,
    S.ACCEPTED,
    S.RATED,
    S.CLOSED,
    S.CANCELLED,
    S.FAILED,
)
# Sign-ups that passed the re-check at the close: the frozen pool, whatever happened to them later.
ELIGIBLE_SIGNUP_STATES: tuple[str, ...] = (
    SignUp.State.ADMITTED,
    SignUp.State.RANKED,
    SignUp.State.SELECTED,
    SignUp.State.NOT_SELECTED,
    SignUp.State.CONFIRMED,
    SignUp.State.DECLINED,
    SignUp.State.REVOKED,
)
WINNER_STATES: tuple[str, ...] = (SignUp.State.SELECTED, SignUp.State.CONFIRMED)
ORG_PERSONAL_FIELDS = ("contact_name", "contact_phone")
AGENCY_PERSONAL_FIELDS = (*ORG_PERSONAL_FIELDS, "legal_representative")
WARNING = "warning"  # the measures chart's bucket for credit warnings (events, not measures)


# --- project search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    """What the public asked the project search for; empty values mean "any"."""

    q: str = ""
    category: ServiceCategory | None = None
    method: str = ""
    state: str = ""
    buyer: BuyerUnit | None = None
    published_from: datetime.date | None = None
    published_to: datetime.date | None = None


def _winner() -> QuerySet[SignUp]:
    return SignUp.objects.filter(project_id=OuterRef("pk"), state__in=WINNER_STATES).order_by("rank", "pk")


def project_list_for_search(filters: ProjectFilters | None = None) -> QuerySet[Project]:
    """Published projects, newest first, with buyer, category and the current winner's name; filtered."""
    filters = filters or ProjectFilters()
    qs = (
        Project.objects.filter(state__in=PUBLIC_STATES)
        .select_related("buyer", "category")
        .only(
            "code",
            "name",
            "state",
            "method",
            "budget",
            "quote_kind",
            "signup_deadline",
            "published_at",
            "buyer__name",
            "buyer__uscc",
            "category__name",
            "category__name_en",
        )
        .annotate(
            winner_name=Subquery(_winner().values("agency__name")[:1], output_field=CharField()),
            winner_uscc=Subquery(_winner().values("agency__uscc")[:1], output_field=CharField()),
        )
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
    )
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(buyer__name__icontains=q))
    if filters.category is not None:
        # A top-level category matches projects in any of its leaves.
        qs = qs.filter(Q(category=filters.category) | Q(category__parent=filters.category))
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.buyer is not None:
        qs = qs.filter(buyer=filters.buyer)
    if filters.published_from:
        qs = qs.filter(published_at__gte=_day_start(filters.published_from))
    if filters.published_to:
        qs = qs.filter(published_at__lt=_day_start(filters.published_to + datetime.timedelta(days=1)))
    return qs


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of a local calendar day, as an aware moment (dates on the page are local dates)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()), timezone.get_current_timezone())


def buyer_list_for_search() -> QuerySet[BuyerUnit]:
    """Buyer units that have at least one published project, by name (the search's buyer filter)."""
    published = Project.objects.filter(buyer_id=OuterRef("pk"), state__in=PUBLIC_STATES)
    return BuyerUnit.objects.filter(Exists(published)).only("uscc", "name").order_by("name", "pk")


# --- a project's public page ------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    """One place of the published ranking; ``quote`` only once the sign-up has closed."""

    rank: int
    name: str
    uscc: str
    score: Decimal | None
    quote: Decimal | None
    state: str
    state_label: str

    @property
    def is_winner(self) -> bool:
        return self.state in WINNER_STATES


@dataclass
class PublicProjectPage:
    """What the public may see of one project: the fields of its announcement and of its result notice."""

    project: Project
    requirement_text: str
    closed: bool
    eligible_count: int | None
    ranking: list[RankRow] = field(default_factory=list)
    winner: RankRow | None = None
    contract: Engagement | None = None

    @property
    def is_rate(self) -> bool:
        return self.project.quote_kind == Project.QuoteKind.RATE

    @property
    def shows_commitment(self) -> bool:
        """Draw and price projects publish the draw commitment (price ties are broken by a draw)."""
        return self.project.method in (Project.Method.DRAW, Project.Method.PRICE) and bool(self.project.draw_commitment)

    @property
    def has_proof(self) -> bool:
        return bool(getattr(self.project, "has_proof", False))

    @property
    def shows_reason(self) -> bool:
        return self.project.state in (S.CANCELLED, S.FAILED) and bool(self.project.cancel_reason)


def requirement_summary(project: Project) -> str:
    """The qualification requirement in words, in the reader's language (requirements prefetched)."""
    reqs = [
        _("%(type)s%(level)s及以上") % {"type": r.qualification_type.label, "level": r.min_level.label}
        for r in project.requirements.all()
    ]
    if not reqs:
        return _("无资质要求")
    joiner = _("或") if project.qualification_mode == Project.QualificationMode.ANY else _("且")
    return joiner.join(reqs)


def project_for_public(code: str) -> QuerySet[Project]:
    """One published project by code, with requirements, the frozen pool and the signed contract prefetched."""
    signups = (
        SignUp.objects.filter(state__in=ELIGIBLE_SIGNUP_STATES)
        .select_related("agency")
        .only("project_id", "agency_id", "state", "rank", "score", "quote", "agency__name", "agency__uscc")
        .order_by(F("rank").asc(nulls_last=True), "pk")
    )
    contracts = (
        Engagement.objects.filter(contracted_at__isnull=False)
        .exclude(state=Engagement.State.TERMINATED)
        .select_related("agency")
        .only(
            "project_id",
            "agency_id",
            "state",
            "amount",
            "contracted_at",
            "service_end",
            "agency__name",
            "agency__uscc",
        )
        .order_by("-contracted_at", "-pk")
    )
    return (
        Project.objects.filter(code=code, state__in=PUBLIC_STATES)
        .select_related("buyer", "category", "category__parent")
        .defer(
            "draw_secret",
            "draw_proof",
            "review_note",
            "created_by",
            *(f"buyer__{name}" for name in ORG_PERSONAL_FIELDS),
        )
        .annotate(has_proof=ExpressionWrapper(Q(draw_proof__isnull=False), output_field=BooleanField()))
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=ProjectQualification.objects.select_related("qualification_type", "min_level").order_by("pk"),
            ),
            Prefetch("signups", queryset=signups, to_attr="pool"),
            Prefetch("engagements", queryset=contracts, to_attr="contracts"),
        )
    )


def project_page_for_public(code: str) -> PublicProjectPage:
    """The public page of a project, or 404 for an unknown code or one not (yet) published."""
    project = project_for_public(code).first()
    if project is None:
        raise Http404(_("没有找到该项目，或项目尚未发布。"))
    pool: list[SignUp] = project.pool  # type: ignore[attr-defined]  # prefetched
    # The sign-up close (run by the deadline sweep, never before the deadline) is what fills the
    # quotes and moves the project on; a project cancelled during sign-up never closed.
    closed = (
        project.signup_deadline is not None
        and project.state != S.OPEN
        and not (project.state == S.CANCELLED and not pool)
    )
    ranking = [
        RankRow(
            rank=s.rank,
            name=s.agency.name,
            uscc=s.agency.uscc,
            score=s.score,
            quote=s.quote if closed else None,
            state=s.state,
            state_label=s.get_state_display(),
        )
        for s in pool
        if s.rank is not None
    ]
    contracts: list[Engagement] = project.contracts  # type: ignore[attr-defined]  # prefetched
    return PublicProjectPage(
        project=project,
        requirement_text=requirement_summary(project),
        closed=closed,
        eligible_count=len(pool) if closed else None,
        ranking=ranking if closed else [],
        winner=next((r for r in ranking if r.is_winner), None) if closed else None,
        contract=contracts[0] if contracts else None,
    )


# --- statistics -------------------------------------------------------------------------------------


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
    return _day_start(months[0])


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


def grade_counts() -> dict[str, int]:
    """Agencies with a credit record, by cached grade (kept equal to the ledger by ``standing_refresh``)."""
    rows = (
        CreditSubject.objects.filter(kind=CreditSubject.Kind.AGENCY).order_by().values("grade").annotate(n=Count("pk"))
    )
    return {row["grade"]: row["n"] for row in rows}


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
    """Everything the statistics page draws: four aggregate queries, whatever the volume of data."""
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
    )


MEASURE_KINDS: tuple[str, ...] = (
    WARNING,
    MeasureKind.REWARD,
    MeasureKind.RESTRICT,
    MeasureKind.SUSPEND,
    MeasureKind.EXPEL,
    MeasureKind.REVOKE,
)
