"""The public notices of a random-inspection plan: the plan with its commitment, the draw, the results.

Organisations only (name, USCC); inspectors appear by department, role and code, never by name.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_noop

from cms.services import notice_request

from ...models import InspectionPlan, InspectionTarget

# Stored in Chinese in the snapshot; the notice page reads them in the visitor's language (cms ``as_read``).
STRATUM_LABELS = {
    "R": gettext_noop("绿色通道（守信激励）"),
    "A": gettext_noop("A 级"),
    "B": gettext_noop("B 级"),
    "C": gettext_noop("C 级"),
    "D": gettext_noop("D 级"),
}
RESULT_LABELS = {"pass": gettext_noop("合格"), "rectify": gettext_noop("责令整改"), "fail": gettext_noop("不合格")}


def plan_snapshot(plan: InspectionPlan) -> dict:
    """What every notice of the plan repeats: its code, scope, period, rates and commitment."""
    return {
        "code": plan.code,
        "title": plan.title,
        "department": plan.supervisor.authority,
        "region": plan.region.name if plan.region else "",
        "category": plan.category.name if plan.category else "",
        "period": {"start": plan.period_start.isoformat(), "end": plan.period_end.isoformat()},
        "rates": [
            {"stratum": STRATUM_LABELS.get(key, key), "rate": rate}
            for key, rate in sorted(plan.rates.items(), key=lambda kv: "RABCD".find(kv[0]))
        ],
        "commitment": plan.draw_commitment,
        "public_url": f"/inspections/{plan.code}/",
    }


def plan_notice(plan: InspectionPlan) -> None:
    """The plan as published, with the commitment to the draw's secret (before anyone can know the draw)."""
    notice_request(
        kind="inspection",
        source_key=f"inspection:{plan.code}:plan",
        payload={"title": f"{plan.title}双随机抽查计划", "inspection": plan_snapshot(plan)},
    )


def _target_rows(targets: list[InspectionTarget], with_results: bool) -> list[dict]:
    rows = []
    for target in targets:
        row = {
            "name": target.agency.name,
            "uscc": target.agency.uscc,
            "stratum": STRATUM_LABELS.get(target.stratum, target.stratum),
            # Inspectors are natural persons: their department and code only, never a name or an account.
            "inspector": {"department": target.inspector.department, "code": target.inspector.code}
            if target.inspector
            else {"department": target.plan.supervisor.authority, "code": ""},
        }
        if with_results:
            row["result"] = RESULT_LABELS.get(target.result, "")
            row["findings"] = target.findings
        rows.append(row)
    return rows


def draw_notice(plan: InspectionPlan, targets: list[InspectionTarget]) -> None:
    """The draw: the targets by organisation, their inspectors by code, and where to verify the proof."""
    notice_request(
        kind="inspection",
        source_key=f"inspection:{plan.code}:draw",
        payload={
            "title": f"{plan.title}抽查对象名单",
            "inspection": plan_snapshot(plan),
            "inspection_targets": _target_rows(targets, with_results=False),
            "drawn_on": timezone.localdate(plan.drawn_at).isoformat() if plan.drawn_at else "",
        },
    )


def results_notice(plan: InspectionPlan, targets: list[InspectionTarget]) -> None:
    """The results of every target, published when the plan closes."""
    notice_request(
        kind="inspection",
        source_key=f"inspection:{plan.code}:results",
        payload={
            "title": f"{plan.title}抽查结果公示",
            "inspection": plan_snapshot(plan),
            "inspection_targets": _target_rows(targets, with_results=True),
            "closed_on": timezone.localdate(plan.closed_at).isoformat() if plan.closed_at else "",
        },
    )
