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
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.dbops import TRIGRAM, text_contains
from marketplace.models import BuyerUnit, ServiceCategory

from ..models import Engagement, Project, ProjectQualification, SignUp
from ..scoring import ScoreParts, score_parts
from .scoring import proposal_marks

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
        qs = qs.filter(project_text_matches(q))
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
        qs = qs.filter(published_at__gte=day_start(filters.published_from))
    if filters.published_to:
        qs = qs.filter(published_at__lt=day_start(filters.published_to + datetime.timedelta(days=1)))
    return qs


# A term found in more buyers' names than this is common: their projects are found by walking the list's order.
BUYERS_LISTED = 200


def project_text_matches(q: str) -> Q:
    """Projects whose name, code or buyer's name contains ``q``, each part from its index on PostgreSQL.

    The buyer's name is in another table, which no index of the projects serves: the matching buyers are
    looked up first (their own name index) and their projects taken by ``buyer_id``, so every part of the OR
    is an index scan. One or two characters search the names only (no code is looked up by so little).
    """
    buyers = BuyerUnit.objects.filter(text_contains("name", q)).order_by().values_list("pk", flat=True)
    ids = list(buyers[: BUYERS_LISTED + 1])
    by_buyer = Q(buyer_id__in=ids) if len(ids) <= BUYERS_LISTED else Q(buyer__in=buyers)
    if len(q) < TRIGRAM:
        return text_contains("name", q) | by_buyer
    return text_contains("name", q) | text_contains("code", q) | by_buyer


def day_start(day: datetime.date) -> datetime.datetime:
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
    parts: ScoreParts | None = None  # a scored comparison's price, credit and proposal points

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
        """A draw publishes its commitment; other methods only once a tie was broken by the draw (there is a proof)."""
        if not self.project.draw_commitment:
            return False
        return self.project.method == Project.Method.DRAW or self.has_proof

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
        .only(
            "project_id", "agency_id", "state", "rank", "score", "quote", "credit_score", "agency__name", "agency__uscc"
        )
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
    ranked = [s for s in pool if s.rank is not None]
    parts: dict[int, ScoreParts] = {}
    if closed and project.method == Project.Method.SCORED and ranked and all(s.quote is not None for s in ranked):
        parts = score_parts(project, ranked, proposal_marks(ranked))
    ranking = [
        RankRow(
            rank=s.rank or 0,  # every row here is ranked
            name=s.agency.name,
            uscc=s.agency.uscc,
            score=s.score,
            quote=s.quote if closed else None,
            state=s.state,
            state_label=s.get_state_display(),
            parts=parts.get(s.pk),
        )
        for s in ranked
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
