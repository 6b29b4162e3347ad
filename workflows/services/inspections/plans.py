"""An inspection plan published with its commitment, drawn by the verifiable draw, closed with its results.

The draw (docs/draw.md) runs once over the whole frozen pool of agencies in the plan's scope: the proof
is an ordinary ``zjcs-draw-v1`` proof under the plan's code, so the public verifier checks it. Each
stratum's ranking is the proof's ranking restricted to the stratum (the keys do not depend on who else is
in the pool); its first ``ceil(rate × size)`` agencies are the targets. The inspectors are ordered by
the same seed's keys of their codes, and assigned to the targets in ranking order, in turn, each skipping
an inspector tied to the agency (its staff, or a declared conflict).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.defaults import INSPECTION_RATES
from marketplace.errors import ApplicationError, Conflict
from marketplace.models import Agency, Region, ServiceCategory, SupervisorProfile
from marketplace.selectors import acts_for_agency, supervisor_scope_q

from ... import draw
from ...models import InspectionPlan, InspectionTarget, Inspector, Membership
from ...models.inspection import REWARD_STRATUM
from ..transitions import TransitionResult, transition_run
from .notices import draw_notice, plan_notice, results_notice

IN_MARKET = (Membership.State.ACTIVE, Membership.State.RESTRICTED, Membership.State.SUSPENDED)


def default_rates() -> dict[str, int]:
    """The policy's rate per grade, and the lowest of them for agencies under a reward measure."""
    return {REWARD_STRATUM: min(INSPECTION_RATES.values()), **INSPECTION_RATES}


def sample_size(rate: int, size: int) -> int:
    """ceil(rate% × size), in integers."""
    return (rate * size + 99) // 100


def stratum_of(agency: Agency) -> str:
    """An agency's stratum: the green channel (reward measure in force) first, else its cached grade."""
    credit = getattr(agency, "credit", None)
    if credit is None:
        return "A"  # no record yet: the base score's grade
    return REWARD_STRATUM if credit.is_rewarded else credit.grade


def plan_pool(plan: InspectionPlan) -> list[Agency]:
    """The agencies the plan covers: in the supervisor's scope and the plan's, trading on the platform."""
    agencies = Agency.objects.filter(supervisor_scope_q(plan.supervisor)).filter(Q(memberships__state__in=IN_MARKET))
    if plan.region_id:
        agencies = agencies.filter(region_id=plan.region_id)
    if plan.category_id:
        agencies = agencies.filter(categories=plan.category_id)
    return list(agencies.select_related("credit").distinct().order_by("uscc"))


def _scope_check(profile: SupervisorProfile, region: Region | None, category: ServiceCategory | None) -> None:
    if region is not None and not profile.all_regions and not profile.regions.filter(pk=region.pk).exists():
        raise ApplicationError({"region": _("该地区不在您的监管范围内。")})
    if category is not None and not profile.all_categories and not profile.categories.filter(pk=category.pk).exists():
        raise ApplicationError({"category": _("该服务事项不在您的监管范围内。")})


@transaction.atomic
def plan_create(
    *,
    profile: SupervisorProfile,
    actor,
    title: str,
    region: Region | None,
    category: ServiceCategory | None,
    period_start: datetime.date,
    period_end: datetime.date,
    inspectors: list[SupervisorProfile],
    conflicts: Sequence[tuple[SupervisorProfile, Agency]] = (),
) -> InspectionPlan:
    """Publish a plan: its scope (within the supervisor's), rates, inspector pool and the draw's commitment."""
    if not title.strip():
        raise ApplicationError({"title": _("请填写计划名称。")})
    if period_end < period_start:
        raise ApplicationError({"period_end": _("结束日期不能早于开始日期。")})
    _scope_check(profile, region, category)
    if not inspectors:
        raise ApplicationError({"inspectors": _("请至少选择一名检查人员。")})
    strangers = [p for p in inspectors if p.authority != profile.authority]
    if strangers:
        raise ApplicationError({"inspectors": _("检查人员须为本监管部门的人员。")})
    secret = draw.secret_new()
    plan = InspectionPlan.objects.create(
        code=f"tmp-{secret.hex()[:16]}",
        title=title.strip(),
        supervisor=profile,
        created_by=actor,
        region=region,
        category=category,
        period_start=period_start,
        period_end=period_end,
        rates=default_rates(),
        draw_secret=secret.hex(),
        draw_commitment=draw.commitment(secret),
    )
    plan.code = f"SJCC-{timezone.localdate().year}-{plan.pk:05d}"
    plan.save(update_fields=["code"])
    by_profile = {}
    for number, inspector_profile in enumerate(sorted(set(inspectors), key=lambda p: p.pk), start=1):
        by_profile[inspector_profile.pk] = Inspector.objects.create(
            plan=plan, code=f"I{number:02d}", user=inspector_profile.user, department=inspector_profile.authority
        )
    for inspector_profile, agency in conflicts:
        if inspector_profile.pk not in by_profile:
            raise ApplicationError({"conflicts": _("回避声明中的人员不在检查人员名单中。")})
        by_profile[inspector_profile.pk].conflicts.add(agency)
    plan_notice(plan)
    return plan


@dataclass(frozen=True)
class DrawOutcome:
    """What the draw decides: the proof, each agency's stratum, the targets with their inspector codes, the
    inspectors' order."""

    proof: dict
    strata: dict[str, str]
    targets: list[tuple[str, str, int, str | None]]  # (uscc, stratum, place in stratum, inspector code)
    inspector_ranking: list[str]


def draw_compute(
    plan: InspectionPlan, pool: list[Agency], inspectors: list[Inspector], ties: dict[str, set[str]]
) -> DrawOutcome:
    """Run the draw (pure): ``ties`` maps an inspector's code to the USCCs it must not inspect."""
    proof = draw.proof_build(plan.code, [(a.uscc, a.name) for a in pool], bytes.fromhex(plan.draw_secret))
    strata = {a.uscc: stratum_of(a) for a in pool}
    picked: list[tuple[str, str, int]] = []
    for stratum, rate in plan.rates.items():
        ranked = [uscc for uscc in proof["ranking"] if strata[uscc] == stratum]
        picked += [(uscc, stratum, place) for place, uscc in enumerate(ranked[: sample_size(rate, len(ranked))], 1)]
    order = {uscc: i for i, uscc in enumerate(proof["ranking"])}
    picked.sort(key=lambda row: order[row[0]])
    seed = bytes.fromhex(proof["seed"])
    inspector_ranking = draw.ranking(seed, [i.code for i in inspectors])
    targets, turn = [], 0
    for uscc, stratum, place in picked:
        chosen = None
        for step in range(len(inspector_ranking)):
            candidate = inspector_ranking[(turn + step) % len(inspector_ranking)]
            if uscc not in ties.get(candidate, set()):
                chosen, turn = candidate, (turn + step + 1) % len(inspector_ranking)
                break
        targets.append((uscc, stratum, place, chosen))
    return DrawOutcome(proof, strata, targets, inspector_ranking)


def inspector_ties(inspectors: list[Inspector], pool: list[Agency]) -> dict[str, set[str]]:
    """Each inspector's ties: agencies its account is staff of, and its declared conflicts."""
    ties: dict[str, set[str]] = {}
    for inspector in inspectors:
        declared = {a.uscc for a in inspector.conflicts.all()}
        staff = {a.uscc for a in pool if acts_for_agency(inspector.user, a)}
        ties[inspector.code] = declared | staff
    return ties


def plan_draw(*, plan: InspectionPlan, actor) -> TransitionResult[InspectionPlan]:
    """Draw the plan's targets and inspectors, publish the proof and the target list."""
    plan = InspectionPlan.objects.select_related("supervisor").get(pk=plan.pk)
    if plan.state != InspectionPlan.State.DRAFT:
        raise Conflict(_("该计划已经抽取。"))
    pool = plan_pool(plan)
    if not pool:
        raise ApplicationError(_("计划范围内没有在册的中介机构，无法抽取。"))
    inspectors = list(plan.inspectors.select_related("user").prefetch_related("conflicts"))
    outcome = draw_compute(plan, pool, inspectors, inspector_ties(inspectors, pool))
    agencies = {a.uscc: a for a in pool}
    by_code = {i.code: i for i in inspectors}
    now = timezone.now()

    def effects(locked: InspectionPlan, _decision) -> None:
        try:
            with transaction.atomic():
                targets = InspectionTarget.objects.bulk_create(
                    InspectionTarget(
                        plan=locked,
                        agency=agencies[uscc],
                        stratum=stratum,
                        place=place,
                        inspector=by_code.get(code) if code else None,
                    )
                    for uscc, stratum, place, code in outcome.targets
                )
        except IntegrityError:  # pragma: no cover - the runner's lock lets one draw through
            raise Conflict(_("该计划已经抽取。")) from None
        draw_notice(locked, targets)

    return transition_run(
        obj=plan,
        name="draw",
        actor=actor,
        params={
            "at": now,
            "proof": outcome.proof,
            "strata": outcome.strata,
            "inspector_ranking": outcome.inspector_ranking,
        },
        on_done=effects,
    )


def plan_close(*, plan: InspectionPlan, actor) -> TransitionResult[InspectionPlan]:
    """Close a drawn plan once every target's result is recorded, and publish the results."""
    if plan.targets.filter(state=InspectionTarget.State.PENDING).exists():
        raise ApplicationError(_("还有抽查对象未录入检查结果，不能完结计划。"))

    def effects(locked: InspectionPlan, _decision) -> None:
        targets = list(locked.targets.select_related("agency", "inspector", "plan__supervisor"))
        results_notice(locked, targets)

    return transition_run(obj=plan, name="close", actor=actor, params={"at": timezone.now()}, on_done=effects)
