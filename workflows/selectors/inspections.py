"""Reads of the random-inspection pages: a supervisor's plans, one plan for its supervisor, one for the public."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from marketplace.models import SupervisorProfile

from .. import draw
from ..models import InspectionPlan, InspectionTarget, Inspector

PLAN_LIST_LIMIT = 100


def _plans_of(profile: SupervisorProfile) -> QuerySet[InspectionPlan]:
    """Plans the supervisor published, and those it is an inspector of."""
    inspecting = Inspector.objects.filter(user_id=profile.user_id).values("plan_id")
    return InspectionPlan.objects.filter(Q(supervisor=profile) | Q(pk__in=inspecting))


def plan_list_for_supervisor(profile: SupervisorProfile) -> list[InspectionPlan]:
    """The supervisor's plans and those it inspects for, newest first, with their target counts (one query)."""
    return list(
        _plans_of(profile)
        .select_related("region", "category")
        .annotate(
            target_count=Count("targets"),
            pending_count=Count("targets", filter=Q(targets__state=InspectionTarget.State.PENDING)),
        )
        .order_by("-pk")[:PLAN_LIST_LIMIT]
    )


def _targets(plan: InspectionPlan) -> QuerySet[InspectionTarget]:
    return plan.targets.select_related("agency", "inspector").order_by("stratum", "place")


def plan_get_for_supervisor(profile: SupervisorProfile, code: str) -> InspectionPlan:
    """A plan the supervisor published or inspects for, with its inspectors and targets (404 for others)."""
    plan = _plans_of(profile).filter(code=code).select_related("region", "category", "supervisor").first()
    if plan is None:
        raise Http404(_("没有这个抽查计划。"))
    plan.inspector_rows = list(plan.inspectors.select_related("user").prefetch_related("conflicts"))  # type: ignore[attr-defined]  # loaded for the page
    plan.target_rows = list(_targets(plan))  # type: ignore[attr-defined]  # loaded for the page
    return plan


def target_get_for_supervisor(profile: SupervisorProfile, code: str, pk: int) -> InspectionTarget:
    """A target of a plan the supervisor published or inspects for (404 for others)."""
    target = (
        InspectionTarget.objects.filter(pk=pk, plan__code=code, plan__in=_plans_of(profile))
        .select_related("plan", "agency")
        .first()
    )
    if target is None:
        raise Http404(_("没有这个抽查对象。"))
    return target


def plan_get_for_public(code: str) -> InspectionPlan:
    """A published plan as the public sees it: never the stored secret before the draw, never a person's name."""
    plan = (
        InspectionPlan.objects.filter(code=code)
        .select_related("region", "category", "supervisor")
        .defer("draw_secret")
        .first()
    )
    if plan is None:
        raise Http404(_("没有这个抽查计划。"))
    plan.inspector_rows = list(plan.inspectors.only("plan_id", "code", "department"))  # type: ignore[attr-defined]  # loaded for the page
    plan.target_rows = list(_targets(plan))  # type: ignore[attr-defined]  # loaded for the page
    return plan


def plan_proof_check(plan: InspectionPlan) -> draw.VerifyResult | None:
    """The server's check of a drawn plan's proof against the commitment and code it published."""
    if not plan.draw_proof:
        return None
    return draw.proof_verify(plan.draw_proof, expected_commitment=plan.draw_commitment, expected_project_code=plan.code)
