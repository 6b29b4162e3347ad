"""The buyer's own deadlines (政务诚信): a contract the agency uploaded and the buyer left unsigned, a result
left neither accepted nor returned. Each is recorded once against the buyer unit, through its rule.

The contract: the agency did its part, so the buyer's failure does not take its win away. When the
deadline first passes, the failure is recorded and the deadline is extended once, by the policy's days;
if the extended deadline passes too, the service is terminated and the project fails with a published
notice (the buyer may relaunch it), so that nothing waits for ever and no second record is written for
the same contract. When the agency could not have been contracted at that moment — the gate refuses
``engagement.sign`` (a measure in force, a lapsed term) — it is not the buyer's failure: the win is
revoked under the refusing rule, as the contract itself would have done. A contract uploaded only after
the deadline is the agency's lateness (the missed-contract rule), as if none had been uploaded.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules import gate
from credit_rules.policy import policy_at
from credit_rules.services import decision_record, subject_for_agency

from ...models import Engagement, Project
from ...selectors.facts import gate_facts
from ..credit.buyers import buyer_failure_record
from ..periods import after_days
from ..procurement.award import revoking_rule
from ..procurement.notices import termination_notice
from ..procurement.revocation import win_revoke
from ..procurement.selection import refusal_note
from ..transitions import target_label, transition_run
from .engagements import contract_deadline_missed


def _local(moment: datetime.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def contract_unsigned(engagement: Engagement, at: datetime.datetime) -> None:
    """The contract deadline passed with the agency's contract uploaded and unsigned (see the module)."""
    engagement = Engagement.objects.select_related("project__buyer", "agency", "signup").get(pk=engagement.pk)
    if engagement.signup is None or engagement.state != Engagement.State.AWAITING_CONTRACT:
        return
    uploaded, due = engagement.contract_uploaded_at, engagement.contract_due
    if not engagement.buyer_contract_late_recorded and uploaded and due and uploaded > due:
        # Uploaded only after the deadline (before the sweep came round): the agency was late, not the buyer.
        contract_deadline_missed(engagement, at)
        return
    decision = gate.evaluate(
        subject_for_agency(engagement.agency), "engagement.sign", at, gate_facts(engagement.agency, engagement, at)
    )
    if not decision.allowed:
        decision_record(decision=decision, target=target_label(engagement))
        win_revoke(engagement.signup, rule_code=revoking_rule(decision), reason=refusal_note(decision.refusals), at=at)
        return
    project = engagement.project
    if not engagement.buyer_contract_late_recorded:
        extended = after_days(at, policy_at(at).buyer_contract_grace_days)
        first = Engagement.objects.filter(pk=engagement.pk, buyer_contract_late_recorded=False).update(
            buyer_contract_late_recorded=True, contract_due=extended
        )
        if first:
            buyer_failure_record(
                unit=project.buyer,
                step="engagement.buyer_contract_missed",
                context={"project": project.code, "due": _local(engagement.contract_due), "extended": _local(extended)},
                target=target_label(engagement),
                evidence={"project": project.code},
                at=at,
            )
        return
    reason = _("项目业主在延长的签约期限（%(due)s）届满后仍未签订合同，服务终止，项目终止。") % {
        "due": _local(engagement.contract_due)
    }
    transition_run(obj=engagement, name="terminate", actor=None, params={"reason": reason}, at=at)
    transition_run(
        obj=project,
        name="fail",
        actor=None,
        params={"at": at, "reason": reason},
        at=at,
        on_done=lambda locked, _decision: termination_notice(locked, reason, "终止"),
    )


def acceptance_late_record(engagement: Engagement, at: datetime.datetime) -> bool:
    """The result was neither accepted nor returned by the end of the buyer's period: recorded once per submission."""
    claimed = Engagement.objects.filter(
        pk=engagement.pk, state=Engagement.State.RESULT_SUBMITTED, acceptance_late_recorded=False
    ).update(acceptance_late_recorded=True)
    if not claimed:
        return False
    project = Project.objects.select_related("buyer").get(pk=engagement.project_id)
    buyer_failure_record(
        unit=project.buyer,
        step="engagement.acceptance_late",
        context={
            "project": project.code,
            "submitted": _local(engagement.result_submitted_at),
            "due": _local(engagement.acceptance_due),
        },
        target=target_label(engagement),
        evidence={"project": project.code},
        at=at,
    )
    return True
