"""An inspection's result (合格 / 责令整改 / 不合格), and what a finding means for the agency's record.

A result other than 合格 is a finding: the service asks the rules what the step ``inspection.finding``
records (``credit_rules.rules.inspection``) and writes the catalogue event they name, through the credit
services; it never writes a ledger row of its own.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules import gate
from credit_rules.models import Source
from credit_rules.services import decision_record, subject_for_agency
from marketplace.errors import ApplicationError
from marketplace.personal_data import personal_data_problem

from ...models import InspectionPlan, InspectionTarget
from ..credit.events import decision_events_record
from ..transitions import TransitionResult, transition_run
from .notices import RESULT_LABELS


def target_record(*, target: InspectionTarget, actor, result: str, findings: str) -> TransitionResult[InspectionTarget]:
    """Record a drawn target's result; a finding goes to the agency's record through the rule."""
    target = InspectionTarget.objects.select_related("plan", "agency").get(pk=target.pk)
    if target.plan.state != InspectionPlan.State.DRAWN:
        raise ApplicationError(_("只有已抽取、尚未完结的计划可以录入检查结果。"))
    if result not in InspectionTarget.Result.values:
        raise ApplicationError({"result": _("请选择检查结果。")})
    findings = findings.strip()
    if result != InspectionTarget.Result.PASS and not findings:
        raise ApplicationError({"findings": _("责令整改或不合格的，请填写检查发现的问题；将随结果公示。")})
    problem = personal_data_problem(findings)
    if problem:
        raise ApplicationError({"findings": problem})
    now = timezone.now()
    label = RESULT_LABELS[result]  # as recorded: in Chinese, whatever the clerk's language

    def effects(locked: InspectionTarget, _decision) -> None:
        if result == InspectionTarget.Result.PASS:
            return
        subject = subject_for_agency(locked.agency)
        context = {"plan": locked.plan.code, "result": result, "result_label": label}
        decision = gate.evaluate(subject, "inspection.finding", now, context)
        if decision.events:
            decision_record(
                decision=decision, target=f"inspection:{locked.plan.code}:{locked.agency.uscc}", actor=actor
            )
        entries = decision_events_record(
            decision, subject=subject, source=Source.SUPERVISOR, evidence={"facts": findings}, actor=actor
        )
        if entries:
            locked.entry = entries[0]
            locked.save(update_fields=["entry"])

    with transaction.atomic():
        return transition_run(
            obj=target,
            name="record",
            actor=actor,
            params={"at": now, "actor": actor, "result": result, "findings": findings},
            on_done=effects,
        )
