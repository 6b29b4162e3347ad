"""Risk detection (风险提示): reads of the marketplace's own records, one function per pattern.

Each returns ``Finding`` rows; ``services.risk.risk_flags_scan`` upserts them as ``RiskFlag`` by key. The
definitions, thresholds and the innocent look-alikes each must leave alone are in ``docs/risk-flags.md``;
the thresholds are the named constants below. Quotes are read only from sign-ups the close admitted, whose
``quote`` the close opened after the deadline (``sealing``): sealed quotes are never read here.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from marketplace.models import Agency, BuyerUnit, Region, ServiceCategory

from ..models import Project, RiskFlag, SignUp

# How far back every pattern looks, by the project's sign-up deadline (or publication, for direct selection).
WINDOW_DAYS = 365
# 1. Single effective bidder: competitive projects of one buyer unit in one category whose sign-up closed with
# exactly one valid sign-up, at least this many in the window.
SINGLE_BIDDER_MIN_PROJECTS = 3
# 2. Co-bidding: the same set of agencies (of this size) was the whole valid field of at least this many projects.
CLUSTER_MIN_SIZE, CLUSTER_MAX_SIZE = 2, 5
CLUSTER_MIN_PROJECTS = 4
# 2b. Rotation: in a cluster's projects decided by price or score (never by the verifiable draw), every member won
# at least once and no member won more than this many times in a row.
ROTATION_MAX_RUN = 1
# 3. Quotes at the ceiling: at least this many opened quotes, every one within this fraction of the ceiling.
CEILING_MIN_QUOTES = 3
CEILING_MARGIN = Decimal("0.02")
# 3b. Equal quotes: at least this many opened quotes of one project equal to the cent (not the buyer's floor).
EQUAL_MIN_QUOTES = 2
# 4. Direct selection: at least this many direct selections by one buyer unit, this share of them one agency's.
DIRECT_MIN_PROJECTS = 3
DIRECT_MIN_SHARE = Decimal("0.6")

VALID = (
    SignUp.State.ADMITTED,
    SignUp.State.RANKED,
    SignUp.State.SELECTED,
    SignUp.State.NOT_SELECTED,
    SignUp.State.CONFIRMED,
    SignUp.State.DECLINED,
    SignUp.State.REVOKED,
)
COMPETITIVE = (Project.Method.DRAW, Project.Method.PRICE, Project.Method.SCORED)


@dataclass
class Finding:
    """One pattern found: what a ``RiskFlag`` holds, before it is stored."""

    kind: str
    key: str
    evidence: dict
    agencies: list[Agency] = field(default_factory=list)
    buyer: BuyerUnit | None = None
    project: Project | None = None
    region: Region | None = None
    category: ServiceCategory | None = None


def _since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=WINDOW_DAYS)


def _project_ref(project: Project) -> dict:
    return {"code": project.code, "name": project.name, "method": project.method}


def _agency_ref(agency: Agency) -> dict:
    return {"uscc": agency.uscc, "name": agency.name}


def _closed_projects(now: datetime.datetime):
    """Competitive projects whose sign-up deadline passed in the window (the close opened their quotes)."""
    return Project.objects.filter(
        method__in=COMPETITIVE, signup_deadline__gte=_since(now), signup_deadline__lte=now
    ).exclude(state__in=[Project.State.OPEN, Project.State.CANCELLED])


# --- 1. single effective bidder ---------------------------------------------------------------------------------


def single_bidder_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Buyer units (per category) whose competitive projects closed again and again with one valid sign-up."""
    now = now or timezone.now()
    projects = (
        _closed_projects(now)
        .annotate(valid=Count("signups", filter=Q(signups__state__in=VALID)))
        .filter(valid=1)
        .select_related("buyer", "buyer__region", "category")
        .order_by("signup_deadline", "pk")
    )
    groups: dict[tuple[int, int], list[Project]] = defaultdict(list)
    for project in projects:
        groups[(project.buyer_id, project.category_id)].append(project)
    bidders = {
        s.project_id: s.agency
        for s in SignUp.objects.filter(project__in=[p for g in groups.values() for p in g], state__in=VALID)
        .select_related("agency")
        .order_by()
    }
    found = []
    for (buyer_id, category_id), group in groups.items():
        if len(group) < SINGLE_BIDDER_MIN_PROJECTS:
            continue
        buyer, category = group[0].buyer, group[0].category
        sole = {bidders[p.pk] for p in group}
        found.append(
            Finding(
                kind=RiskFlag.Kind.SINGLE_BIDDER,
                key=f"single_bidder:buyer={buyer_id}:category={category_id}",
                evidence={
                    "projects": [{**_project_ref(p), "bidder": _agency_ref(bidders[p.pk])} for p in group],
                    "threshold": SINGLE_BIDDER_MIN_PROJECTS,
                    "window_days": WINDOW_DAYS,
                },
                agencies=sorted(sole, key=lambda a: a.pk) if len(sole) == 1 else [],
                buyer=buyer,
                region=buyer.region,
                category=category,
            )
        )
    return found


# --- 2. co-bidding clusters and rotation -------------------------------------------------------------------------


def _fields(now: datetime.datetime) -> dict[int, list[SignUp]]:
    """Each closed competitive project's valid sign-ups, with their agencies."""
    fields: dict[int, list[SignUp]] = defaultdict(list)
    rows = (
        SignUp.objects.filter(project__in=_closed_projects(now), state__in=VALID)
        .select_related("agency", "project")
        .order_by("project__signup_deadline", "project_id", "pk")
    )
    for signup in rows:
        fields[signup.project_id].append(signup)
    return fields


def _longest_run(winners: list[int]) -> int:
    longest = run = 0
    previous = None
    for winner in winners:
        run = run + 1 if winner == previous else 1
        longest, previous = max(longest, run), winner
    return longest


def cluster_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """The same few agencies as the whole field again and again; and such a group taking turns to win."""
    now = now or timezone.now()
    by_group: dict[frozenset[int], list[list[SignUp]]] = defaultdict(list)
    for signups in _fields(now).values():
        group = frozenset(s.agency_id for s in signups)
        if CLUSTER_MIN_SIZE <= len(group) <= CLUSTER_MAX_SIZE:
            by_group[group].append(signups)
    found = []
    for fields in by_group.values():
        if len(fields) < CLUSTER_MIN_PROJECTS:
            continue
        members = sorted({s.agency for s in fields[0]}, key=lambda a: a.pk)
        ids = "-".join(str(a.pk) for a in members)
        projects = [f[0].project for f in fields]
        found.append(
            Finding(
                kind=RiskFlag.Kind.CO_BIDDING,
                key=f"co_bidding:agencies={ids}",
                evidence={
                    "agencies": [_agency_ref(a) for a in members],
                    "projects": [_project_ref(p) for p in projects],
                    "threshold": CLUSTER_MIN_PROJECTS,
                    "window_days": WINDOW_DAYS,
                },
                agencies=members,
            )
        )
        rotation = _rotation(members, fields)
        if rotation is not None:
            found.append(
                Finding(
                    kind=RiskFlag.Kind.ROTATION, key=f"rotation:agencies={ids}", evidence=rotation, agencies=members
                )
            )
    return found


def _rotation(members: list[Agency], fields: list[list[SignUp]]) -> dict | None:
    """The group's wins by price or score, when every member won and nobody won twice running."""
    wins = []
    for signups in fields:
        project = signups[0].project
        if project.method == Project.Method.DRAW:
            continue  # the verifiable draw cannot be steered: its turns are chance
        winner = next((s for s in signups if s.selected_at is not None), None)
        if winner is not None:
            wins.append((project, winner.agency))
    winners = [agency.pk for _project, agency in wins]
    if len(wins) < CLUSTER_MIN_PROJECTS or set(winners) != {a.pk for a in members}:
        return None
    if _longest_run(winners) > ROTATION_MAX_RUN:
        return None
    return {
        "agencies": [_agency_ref(a) for a in members],
        "wins": [{**_project_ref(p), "winner": _agency_ref(a)} for p, a in wins],
        "threshold": CLUSTER_MIN_PROJECTS,
        "window_days": WINDOW_DAYS,
    }


# --- 3. quotes at the ceiling, equal quotes ------------------------------------------------------------------------


def quote_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Projects whose opened quotes all sit at the ceiling, or where quotes are equal to the cent."""
    now = now or timezone.now()
    found = []
    for signups in _fields(now).values():
        project = signups[0].project
        opened = [s for s in signups if s.quote is not None]
        if project.quote_floor == project.quote_ceiling:
            continue  # a fixed price set by the buyer: every quote is that price
        quotes = [
            {"agency": _agency_ref(s.agency), "quote": str(s.quote)}
            for s in sorted(opened, key=lambda s: (s.quote, s.agency_id))
        ]
        base = {
            "project": _project_ref(project),
            "floor": str(project.quote_floor),
            "ceiling": str(project.quote_ceiling),
            "quote_kind": project.quote_kind,
            "quotes": quotes,
        }
        margin = (project.quote_ceiling - project.quote_floor) * CEILING_MARGIN
        if len(opened) >= CEILING_MIN_QUOTES and all(
            s.quote is not None and s.quote >= project.quote_ceiling - margin for s in opened
        ):
            found.append(
                Finding(
                    kind=RiskFlag.Kind.QUOTES_CEILING,
                    key=f"quotes_ceiling:project={project.pk}",
                    evidence={**base, "margin": str(CEILING_MARGIN), "threshold": CEILING_MIN_QUOTES},
                    agencies=sorted({s.agency for s in opened}, key=lambda a: a.pk),
                    project=project,
                )
            )
        counts = Counter(s.quote for s in opened if s.quote is not None and s.quote != project.quote_floor)
        equal = sorted(q for q, n in counts.items() if n >= EQUAL_MIN_QUOTES)
        if equal:
            found.append(
                Finding(
                    kind=RiskFlag.Kind.QUOTES_EQUAL,
                    key=f"quotes_equal:project={project.pk}",
                    evidence={**base, "equal": [str(q) for q in equal], "threshold": EQUAL_MIN_QUOTES},
                    agencies=sorted({s.agency for s in opened if s.quote in equal}, key=lambda a: a.pk),
                    project=project,
                )
            )
    return found


# --- 4. direct selection concentrated on one agency ----------------------------------------------------------------


def direct_findings(now: datetime.datetime | None = None) -> list[Finding]:
    """Buyer units whose direct selections go, most of them, to one agency."""
    now = now or timezone.now()
    projects = (
        Project.objects.filter(method=Project.Method.DIRECT, published_at__gte=_since(now), published_at__lte=now)
        .exclude(direct_agency=None)
        .select_related("buyer", "buyer__region", "direct_agency", "category")
        .order_by("published_at", "pk")
    )
    by_buyer: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        by_buyer[project.buyer_id].append(project)
    found = []
    for buyer_id, group in by_buyer.items():
        if len(group) < DIRECT_MIN_PROJECTS:
            continue
        counts = Counter(p.direct_agency_id for p in group)
        agency_id, n = counts.most_common(1)[0]
        if Decimal(n) / Decimal(len(group)) < DIRECT_MIN_SHARE:
            continue
        agency = next(p.direct_agency for p in group if p.direct_agency_id == agency_id)
        if agency is None:  # the direct projects all name one (the query asks for them)
            continue
        buyer = group[0].buyer
        found.append(
            Finding(
                kind=RiskFlag.Kind.DIRECT_CONCENTRATION,
                key=f"direct_concentration:buyer={buyer_id}:agency={agency_id}",
                evidence={
                    "agency": _agency_ref(agency),
                    "share": f"{n}/{len(group)}",
                    "projects": [
                        {
                            **_project_ref(p),
                            "agency": _agency_ref(p.direct_agency) if p.direct_agency else None,
                            "reason": p.direct_reason[:200],
                        }
                        for p in group
                    ],
                    "threshold": DIRECT_MIN_PROJECTS,
                    "min_share": str(DIRECT_MIN_SHARE),
                    "window_days": WINDOW_DAYS,
                },
                agencies=[agency],
                buyer=buyer,
                region=buyer.region,
            )
        )
    return found


DETECTIONS = (single_bidder_findings, cluster_findings, quote_findings, direct_findings)
