"""Random inspections (双随机、一公开): the supervisor's plans (list, new plan, detail with the draw, results,
close) and the public page of a plan with its proof, checked by the server and again in the browser.

The public page shows organisations (name, USCC) and inspectors by department, role and code only.
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.errors import ApplicationError

from .. import draw
from ..forms.inspections import PlanForm, ResultForm
from ..models import InspectionPlan, InspectionTarget
from ..models.inspection import REWARD_STRATUM
from ..selectors import inspections as sel
from ..services.inspections.plans import plan_close, plan_create, plan_draw
from ..services.inspections.results import target_record
from .common import refusal_redirect, refusal_show, result_show, supervisor_required
from .draws import proof_json_text


def stratum_rows(plan: InspectionPlan) -> list[dict]:
    """Each stratum's rate, size in the frozen pool and sample size, in the order 奖, A, B, C, D."""
    sizes: dict[str, int] = {}
    for stratum in (plan.strata or {}).values():
        sizes[stratum] = sizes.get(stratum, 0) + 1
    rows = []
    for key in (REWARD_STRATUM, "A", "B", "C", "D"):
        if key not in plan.rates:
            continue
        size = sizes.get(key, 0)
        rows.append(
            {
                "key": key,
                "rate": plan.rates[key],
                "size": size if plan.draw_proof else None,
                "sample": math.ceil(plan.rates[key] * size / 100) if plan.draw_proof else None,
            }
        )
    return rows


@supervisor_required
@require_GET
def plan_list(request: HttpRequest, profile) -> HttpResponse:
    return render(
        request,
        "workflows/supervisor_inspection_list.html",
        {"profile": profile, "plans": sel.plan_list_for_supervisor(profile)},
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, profile) -> HttpResponse:
    form = PlanForm(request.POST or None, profile=profile)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plan_create(
                profile=profile,
                actor=request.user,
                title=data["title"],
                region=data["region"],
                category=data["category"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                inspectors=list(data["inspectors"]),
                conflicts=data["conflicts"],
            )
        except ApplicationError as exc:
            refusal_show(request, exc, form=form)
        else:
            messages.success(request, _("抽查计划已发布，抽取承诺值已公开。"))
            return redirect("supervisor-inspection", code=plan.code)
    return render(request, "workflows/supervisor_inspection_form.html", {"profile": profile, "form": form})


def _back_to_plan(_profile, code: str, **_kwargs) -> HttpResponse:
    return redirect("supervisor-inspection", code=code)


@supervisor_required
@require_GET
def plan_detail(request: HttpRequest, profile, code: str) -> HttpResponse:
    plan = sel.plan_get_for_supervisor(profile, code)
    return render(
        request,
        "workflows/supervisor_inspection.html",
        {
            "profile": profile,
            "plan": plan,
            "strata": stratum_rows(plan),
            "result_form": ResultForm(),
            "pending": [t for t in plan.target_rows if t.state == InspectionTarget.State.PENDING],  # type: ignore[attr-defined]
        },
    )


@supervisor_required
@require_POST
@refusal_redirect(_back_to_plan)
def plan_draw_view(request: HttpRequest, profile, code: str) -> HttpResponse:
    plan = get_object_or_404(InspectionPlan, supervisor=profile, code=code)
    result_show(request, plan_draw(plan=plan, actor=request.user), _("已完成抽取，抽查对象名单和抽取证明已公开。"))
    return redirect("supervisor-inspection", code=code)


@supervisor_required
@require_POST
@refusal_redirect(_back_to_plan)
def plan_close_view(request: HttpRequest, profile, code: str) -> HttpResponse:
    plan = get_object_or_404(InspectionPlan, supervisor=profile, code=code)
    result_show(request, plan_close(plan=plan, actor=request.user), _("计划已完结，检查结果已公示。"))
    return redirect("supervisor-inspection", code=code)


@supervisor_required
@require_POST
@refusal_redirect(_back_to_plan)
def target_record_view(request: HttpRequest, profile, code: str, pk: int) -> HttpResponse:
    target = sel.target_get_for_supervisor(profile, code, pk)
    form = ResultForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{target.agency.name}{_('：')}{error}")
        return redirect("supervisor-inspection", code=code)
    result = target_record(
        target=target, actor=request.user, result=form.cleaned_data["result"], findings=form.cleaned_data["findings"]
    )
    result_show(request, result, _("已录入 %(agency)s 的检查结果。") % {"agency": target.agency.name})
    return redirect("supervisor-inspection", code=code)


# --- public -----------------------------------------------------------------------------------------


@require_GET
def plan_public(request: HttpRequest, code: str) -> HttpResponse:
    plan = sel.plan_get_for_public(code)
    context: dict = {"plan": plan, "strata": stratum_rows(plan)}
    if plan.draw_proof:
        result = sel.plan_proof_check(plan)
        seed = bytes.fromhex(plan.draw_proof["seed"])
        departments = {i.code: i.department for i in plan.inspector_rows}  # type: ignore[attr-defined]
        recomputed = draw.ranking(seed, list(departments))
        context.update(
            proof=plan.draw_proof,
            result=result,
            inspectors_hold=recomputed == plan.inspector_ranking,
            inspector_order=[
                {"place": n, "code": c, "department": departments.get(c, ""), "key": draw.key(seed, c)}
                for n, c in enumerate(plan.inspector_ranking, start=1)
            ],
        )
    return render(request, "workflows/public_inspection.html", context)


@require_GET
def plan_proof_json(request: HttpRequest, code: str) -> HttpResponse:
    plan = sel.plan_get_for_public(code)
    if not plan.draw_proof:
        raise Http404(_("该计划尚未抽取。"))
    response = HttpResponse(proof_json_text(plan.draw_proof).encode("utf-8"), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response
