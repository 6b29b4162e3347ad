"""The scaled demo's year, in proportion to the agencies (README, "A realistic year per agency").

Seeded for ``seed_demo --scale N`` with N ≥ 2 only, so ``make demo`` (scale 1) keeps its stories as they
are. Of 1.04 projects an agency, in ``Behaviour``'s mix of methods, each with 3–7 sealed sign-ups by
members of its field (one for direct selection), the shares seeded so far, in bulk:

- open for sign-up on the day (2 %, ``bulk_projects``);
- selecting: scored comparisons closed, awaiting the buyer's marks (1 %), and awarded: in publicity on
  the day, the winner mostly confirmed (4 %), both through ``bulk_selection`` after their sign-up closed;
- cancelled by the buyer while open (5 %) and failed (流标) with too few sign-ups at the close (6 %),
  at moments spread over the past year;
- awarded earlier in the year, publicity over (82 %), then taken through delivery by ``bulk_delivery``
  as far as their dates allow by today: in service, accepted awaiting rating or payment, or closed.

Every project is planned at its real moments (drafted, submitted, published, signed up for, closed,
marked, awarded, confirmed, cancelled) and written as the services write it at each: a deadline the
state rests on has passed, one still to come (publicity) has not.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from marketplace.models import Agency, AgencyStaff, BuyerStaff, Qualification, QualificationLevel, ServiceCategory

from ..models import Challenge, Membership, Project, SignUp
from ..services.periods import after_working_days
from ..services.procurement.projects import Requirement
from .bulk_cancel import PlannedCancel, cancel_bulk
from .bulk_delivery import delivery_bulk
from .bulk_projects import PlannedProject, PlannedSignup, open_projects_bulk
from .bulk_selection import PlannedClose, PlannedMark, selection_bulk
from .delivery_plan import CONTRACTED_SHARE, delivery_plan
from .year import Behaviour

# Per agency: 104,000 projects a year per 100,000 agencies; the shares of them in each state on the day.
PROJECTS_PER_AGENCY = 1.04
OPEN_SHARE = 0.02
SELECTING_SHARE = 0.01
AWARDED_SHARE = 0.04
CANCELLED_SHARE = 0.05
FAILED_SHARE = 0.06
MARK = "【演示·报名中】"
# The projects past their sign-up, each named by the state it was seeded in.
PAST_MARKS = {
    "selecting": "【演示·比选中】",
    "awarded": "【演示·公示中】",
    "cancelled": "【演示·已终止】",
    "failed": "【演示·流标】",
    "delivered": "【演示·往期】",  # awarded earlier in the year: in service, accepted or closed by now
}
CANCEL_REASON = "项目所涉规划调整，采购需求取消。"


def _pools(rng: random.Random) -> list[tuple[ServiceCategory, Requirement, list[tuple[Agency, Any]]]]:
    """Per licensed field: the lowest level of its licence, and admitted members holding it valid, with a clerk."""
    today = timezone.localdate()
    users = {s.agency_id: s.user for s in AgencyStaff.objects.filter(is_admin=True).select_related("user")}
    pools = []
    for category in ServiceCategory.objects.filter(parent__isnull=False, qualification_types__isnull=False).distinct():
        qtype = category.qualification_types.order_by("code").first()
        level = QualificationLevel.objects.filter(qualification_type=qtype).order_by("-rank").first()
        if qtype is None or level is None:
            continue
        valid = Qualification.objects.filter(agency=OuterRef("pk"), qualification_type=qtype, valid_until__gte=today)
        members = (
            Agency.objects.filter(categories=category, memberships__state=Membership.State.ACTIVE)
            .filter(Exists(valid))
            .order_by("pk")
            .distinct()
            .values_list("pk", flat=True)[:400]
        )
        pool = [(a, users[a.pk]) for a in Agency.objects.filter(pk__in=list(members)) if a.pk in users]
        if len(pool) >= 3:
            pools.append((category, Requirement(qtype, level), pool))
    rng.shuffle(pools)
    return pools


def _deadline(published: datetime.datetime) -> datetime.datetime:
    """The sign-up deadline ``project_review`` sets at publication: the default five working days on."""
    return after_working_days(published, Project._meta.get_field("signup_days").default)


@dataclass
class _Planner:
    """What every planned project draws on: the fields and their members, the buyers, the operator, the mix."""

    rng: random.Random
    pools: list[tuple[ServiceCategory, Requirement, list[tuple[Agency, Any]]]]
    buyers: list[BuyerStaff]
    operator: Any
    behaviour: Behaviour = field(default_factory=Behaviour)
    count: int = 0

    @classmethod
    def make(cls, rng: random.Random) -> _Planner | None:
        pools = _pools(rng)
        buyers = list(BuyerStaff.objects.select_related("unit", "user").order_by("pk"))
        operator = get_user_model().objects.get(username="operator_demo")
        return cls(rng, pools, buyers, operator) if pools and buyers else None

    def method(self) -> str:
        methods, weights = zip(*self.behaviour.methods, strict=True)
        return self.rng.choices(methods, weights)[0]

    def project(
        self,
        mark: str,
        method: str,
        published: datetime.datetime,
        *,
        bidders: int | None = None,
        signups_until: datetime.datetime | None = None,
    ) -> PlannedProject:
        """A project published at ``published``, with ``bidders`` sign-ups (the mix's 3–7 unless told) before
        ``signups_until`` (the present, or its deadline, whichever is first, unless told)."""
        rng = self.rng
        category, requirement, pool = self.pools[self.count % len(self.pools)]
        staff = self.buyers[self.count % len(self.buyers)]
        self.count += 1
        created = published - datetime.timedelta(hours=rng.randrange(2, 72))
        if bidders is None:
            bidders = 1 if method == "direct" else rng.randint(*self.behaviour.bidders)
        chosen = rng.sample(pool, k=min(len(pool), bidders))
        budget = Decimal(rng.randrange(30, 290) * 1000)
        data = {
            "name": f"{mark}{staff.unit.name}{category.name}服务（{Project.Method(method).label}）",
            "category": category,
            "content": f"{category.name}：按国家及广东省相关技术规范开展服务，出具正式成果文件。",
            "budget": budget,
            "quote_kind": Project.QuoteKind.AMOUNT,
            "quote_floor": budget / 2,
            "quote_ceiling": budget,
            "method": method,
        }
        if method == "scored":
            data.update(weight_price=40, weight_credit=30, weight_proposal=30)
        if method == "direct":
            direct = chosen[0][0] if chosen else rng.choice(pool)[0]
            data.update(direct_agency=direct, direct_reason="续作项目，须由原服务机构承担。")
        deadline = _deadline(published)
        until = min(timezone.now(), deadline, signups_until or deadline)
        span = max(1, int((until - published).total_seconds() // 60) - 1)
        return PlannedProject(
            buyer=staff.unit,
            actor=staff.user,
            operator=self.operator,
            data=data,
            requirements=[requirement],
            created_at=created,
            submitted_at=created + (published - created) / 2,
            published_at=published,
            signups=[
                PlannedSignup(
                    agency=agency,
                    actor=user,
                    quote=(budget * Decimal(rng.randrange(50, 101)) / 100).quantize(Decimal("0.01")),
                    at=published + datetime.timedelta(minutes=rng.randrange(1, min(span, 24 * 60) + 1)),
                )
                for agency, user in chosen
            ],
        )


def open_projects_seed(agencies: int, *, rng: random.Random, progress: Callable[[str], None]) -> None:
    """The projects open for sign-up today in a year of ``agencies`` agencies (idempotent)."""
    if Project.objects.filter(name__startswith=MARK).exists():
        return
    count = round(agencies * PROJECTS_PER_AGENCY * OPEN_SHARE)
    planner = _Planner.make(rng)
    if not count or planner is None:
        return
    now = timezone.now()
    plans = []
    for _i in range(count):
        method = planner.method()
        # Published within the last two days: the five working days of sign-up are still running.
        published = now - datetime.timedelta(minutes=rng.randrange(30, 2 * 24 * 60))
        plans.append(planner.project(MARK, method, published))
    open_projects_bulk(plans, progress=progress)


def _in_publicity(planner: _Planner, now: datetime.datetime):
    """A method and the moments of a project whose sign-up closed and whose selection ran, publicity still running."""
    rng = planner.rng
    publicity = Project._meta.get_field("publicity_days").default
    while True:
        method = planner.method()
        published = now - datetime.timedelta(minutes=rng.randrange(5 * 24 * 60, 12 * 24 * 60))
        closed = _deadline(published) + datetime.timedelta(minutes=rng.randrange(1, 15))
        # A scored comparison is marked and finished by its buyer the next working morning or so.
        award_at = closed + datetime.timedelta(hours=rng.randrange(16, 30) if method == "scored" else 0)
        if award_at < now - datetime.timedelta(minutes=30) and after_working_days(award_at, publicity) > now:
            return method, published, closed, award_at


def _close(closed: datetime.datetime, project: Project) -> PlannedClose:
    """The sweep closes sign-up at ``closed``: the project fails with too few, or awaits its marks if scored."""
    return PlannedClose(project=project, closed_at=closed)


def _cancel(actor: Any, at: datetime.datetime, project: Project) -> PlannedCancel:
    """The buyer's officer ends the project at ``at``, while it is open."""
    return PlannedCancel(project, actor, CANCEL_REASON, at)


def _awarded(
    planner: _Planner,
    plan: PlannedProject,
    closed: datetime.datetime,
    award_at: datetime.datetime,
    confirmed: datetime.datetime | None,
    project: Project,
) -> PlannedClose:
    """Closed at ``closed`` and awarded at ``award_at``: a scored comparison's officer marks every sign-up
    between the two, then finishes; the winner confirms at ``confirmed`` (None: not yet)."""
    close = PlannedClose(project=project, closed_at=closed, confirmed_at=confirmed)
    if project.method != Project.Method.SCORED:
        return close
    signups = list(project.signups.order_by("pk").select_related("agency"))
    step = (award_at - closed) / (len(signups) + 1)
    close.scorer = plan.actor
    close.marks = [
        PlannedMark(s.agency, Decimal(planner.rng.randint(55, 98)), closed + step * (i + 1))
        for i, s in enumerate(signups)
    ]
    close.finished_at = award_at
    return close


def past_projects_seed(agencies: int, *, rng: random.Random, progress: Callable[[str], None]) -> None:
    """The year's projects past their sign-up, in proportion to ``agencies`` agencies (idempotent): scored
    comparisons awaiting marks, awarded projects in publicity, projects the buyer cancelled, projects failed."""
    if Project.objects.filter(name__startswith=PAST_MARKS["awarded"]).exists():
        return
    planner = _Planner.make(rng)
    if planner is None:
        return
    total = agencies * PROJECTS_PER_AGENCY
    now = timezone.now()
    b = planner.behaviour
    # Each planned project, and what happens to it once it is open (given the project as written).
    opened: list[tuple[PlannedProject, Callable[[Project], PlannedClose | PlannedCancel]]] = []

    # Scored comparisons closed within the last days, the buyer not yet marking.
    for _i in range(round(total * SELECTING_SHARE)):
        while True:
            published = now - datetime.timedelta(minutes=rng.randrange(7 * 24 * 60, 10 * 24 * 60))
            closed = _deadline(published) + datetime.timedelta(minutes=rng.randrange(1, 15))
            if closed < now:
                break
        plan = planner.project(PAST_MARKS["selecting"], "scored", published)
        opened.append((plan, partial(_close, closed)))

    # Awarded, in publicity on the day; most winners have confirmed (the rest may still, or will let it lapse).
    for _i in range(round(total * AWARDED_SHARE)):
        method, published, closed, award_at = _in_publicity(planner, now)
        confirms = award_at + datetime.timedelta(minutes=rng.randrange(30, 48 * 60))
        silent = rng.random() < b.winner_declines + b.winner_silent or confirms >= now
        plan = planner.project(PAST_MARKS["awarded"], method, published)
        opened.append((plan, partial(_awarded, planner, plan, closed, award_at, None if silent else confirms)))

    # Cancelled by the buyer while open, and failed at the close with too few sign-ups, over the past year.
    for _i in range(round(total * CANCELLED_SHARE)):
        published = now - datetime.timedelta(minutes=rng.randrange(14 * 24 * 60, 365 * 24 * 60))
        cancelled = published + datetime.timedelta(minutes=rng.randrange(60, 4 * 24 * 60))
        plan = planner.project(PAST_MARKS["cancelled"], planner.method(), published, signups_until=cancelled)
        opened.append((plan, partial(_cancel, plan.actor, cancelled)))
    for _i in range(round(total * FAILED_SHARE)):
        method = planner.method()
        published = now - datetime.timedelta(minutes=rng.randrange(14 * 24 * 60, 365 * 24 * 60))
        closed = _deadline(published) + datetime.timedelta(minutes=rng.randrange(1, 15))
        bidders = 0 if method == "direct" else rng.randint(0, 2)
        plan = planner.project(PAST_MARKS["failed"], method, published, bidders=bidders)
        opened.append((plan, partial(_close, closed)))

    # Awarded earlier in the year, publicity long over: delivery takes them on (``delivery_seed``, below).
    for _i in range(round(total * CONTRACTED_SHARE)):
        method = planner.method()
        published = now - datetime.timedelta(minutes=rng.randrange(21 * 24 * 60, 365 * 24 * 60))
        closed = _deadline(published) + datetime.timedelta(minutes=rng.randrange(1, 15))
        award_at = closed + datetime.timedelta(hours=rng.randrange(16, 30) if method == "scored" else 0)
        confirms = award_at + datetime.timedelta(minutes=rng.randrange(30, 48 * 60))
        plan = planner.project(PAST_MARKS["delivered"], method, published)
        opened.append((plan, partial(_awarded, planner, plan, closed, award_at, confirms)))

    if not opened:
        return
    # ``open_projects_bulk`` writes the plans in the order they were drafted: its projects come back so.
    opened.sort(key=lambda item: item[0].created_at)
    projects = open_projects_bulk([plan for plan, _then in opened], progress=progress)
    steps = []
    for (plan, then), project in zip(opened, projects, strict=True):
        assert project.name == plan.data["name"] and project.published_at == plan.published_at
        steps.append(then(project))
    cancel_bulk([s for s in steps if isinstance(s, PlannedCancel)], progress=progress)
    selection_bulk([s for s in steps if isinstance(s, PlannedClose)], progress=progress)
    delivery_seed(agencies, rng=rng, progress=progress)


def delivery_seed(agencies: int, *, rng: random.Random, progress: Callable[[str], None]) -> int:
    """Take the awarded projects whose publicity has ended through delivery, for a year of ``agencies``
    agencies (82 % of 1.04 projects an agency at most); returns how many it took.

    It works on the awarded projects already in the database (``bulk_selection`` seeds them; it creates
    none), so it is idempotent: a project it took is no longer awarded. One whose winner has no clerk or
    whose buyer has no officer, or that a pending challenge holds, is left as it is.
    """
    now = timezone.now()
    pending = Challenge.objects.filter(project=OuterRef("pk"), state__in=Challenge.PENDING)
    candidates = list(
        Project.objects.filter(state=Project.State.AWARDED, publicity_ends_at__lte=now)
        .exclude(Exists(pending))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    limit = round(agencies * PROJECTS_PER_AGENCY * CONTRACTED_SHARE)
    chosen = sorted(rng.sample(candidates, k=min(limit, len(candidates))))
    projects = Project.objects.filter(pk__in=chosen).select_related("buyer").order_by("pk")
    winners = {
        s.project_id: s
        for s in SignUp.objects.filter(
            project_id__in=chosen, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED]
        ).select_related("agency")
    }
    # The first admin (else the first member of staff) acts for its organisation: later rows give way.
    staff = AgencyStaff.objects.filter(agency_id__in=[w.agency_id for w in winners.values()])
    clerks = {s.agency_id: s.user for s in reversed(staff.order_by("-is_admin", "pk").select_related("user"))}
    units = BuyerStaff.objects.filter(unit_id__in=[p.buyer_id for p in projects])
    officers = {s.unit_id: s.user for s in reversed(units.order_by("-is_admin", "pk").select_related("user"))}
    plans = []
    for project in projects:
        winner = winners.get(project.pk)
        if winner is None or winner.agency_id not in clerks or project.buyer_id not in officers:
            continue
        plan = delivery_plan(project, winner, clerks[winner.agency_id], officers[project.buyer_id], now=now, rng=rng)
        if plan is not None:
            plans.append(plan)
    delivery_bulk(plans, progress=progress)
    return len(plans)
