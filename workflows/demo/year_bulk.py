"""The scaled demo's year, in proportion to the agencies (README, "A realistic year per agency").

Seeded for ``seed_demo --scale N`` with N ≥ 2 only, so ``make demo`` (scale 1) keeps its stories as they
are. So far one share of the year is seeded, in bulk (``bulk_projects``): the projects open for sign-up
on the day, 2 % of 1.04 projects an agency, of all four methods in ``Behaviour``'s mix, each with 3–7
sealed sign-ups by members of its field (one for direct selection). The rest of the year's states are
still to come (see the README).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from marketplace.models import Agency, AgencyStaff, BuyerStaff, Qualification, QualificationLevel, ServiceCategory

from ..models import Membership, Project
from ..services.procurement.projects import Requirement
from .bulk_projects import PlannedProject, PlannedSignup, open_projects_bulk
from .year import Behaviour

# Per agency: 104,000 projects a year per 100,000 agencies, 2 % of them open for sign-up on the day.
PROJECTS_PER_AGENCY = 1.04
OPEN_SHARE = 0.02
MARK = "【演示·报名中】"


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


def open_projects_seed(agencies: int, *, rng: random.Random, progress: Callable[[str], None]) -> None:
    """The projects open for sign-up today in a year of ``agencies`` agencies (idempotent)."""
    if Project.objects.filter(name__startswith=MARK).exists():
        return
    count = round(agencies * PROJECTS_PER_AGENCY * OPEN_SHARE)
    pools = _pools(rng)
    buyers = list(BuyerStaff.objects.select_related("unit", "user").order_by("pk"))
    operator = get_user_model().objects.get(username="operator_demo")
    if not count or not pools or not buyers:
        return
    behaviour = Behaviour()
    methods, weights = zip(*behaviour.methods, strict=True)
    now = timezone.now()
    plans = []
    for i in range(count):
        category, requirement, pool = pools[i % len(pools)]
        staff = buyers[i % len(buyers)]
        method = rng.choices(methods, weights)[0]
        # Published within the last two days: the five working days of sign-up are still running.
        published = now - datetime.timedelta(minutes=rng.randrange(30, 2 * 24 * 60))
        created = published - datetime.timedelta(hours=rng.randrange(2, 72))
        bidders = rng.sample(pool, k=1 if method == "direct" else min(len(pool), rng.randint(*behaviour.bidders)))
        budget = Decimal(rng.randrange(30, 290) * 1000)
        data = {
            "name": f"{MARK}{staff.unit.name}{category.name}服务（{Project.Method(method).label}）",
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
            data.update(direct_agency=bidders[0][0], direct_reason="续作项目，须由原服务机构承担。")
        plans.append(
            PlannedProject(
                buyer=staff.unit,
                actor=staff.user,
                operator=operator,
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
                        at=min(now, published + datetime.timedelta(minutes=rng.randrange(5, 24 * 60))),
                    )
                    for agency, user in bidders
                ],
            )
        )
    open_projects_bulk(plans, progress=progress)
