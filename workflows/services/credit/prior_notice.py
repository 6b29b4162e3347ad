"""Prior notice of automatic measures (失信告知): a punitive measure a rule orders by itself is told to the agency first.

The notice is a ``CreditCase`` the system opens and notifies at once (both through the runner), carrying the rule's code, its message
parameters and its order (measure and months) and the entry that set it off. The agency answers on its
cases page within the policy's ``case_response_days``; unanswered, the credit sweep applies the measure
when the period ends; answered, a supervisor in scope decides (applies or dismisses); overturning the
entry it rests on drops it. Until then nothing is in force: the gate does not refuse for it.

The policy names the rules whose measures take effect at once, each with its reason
(``PolicyVersion.immediate_measures``); a measure ordered where the agency was just heard on the finding
(a supervisor's decided case) also takes effect at once. Lifts and rewards are never held back.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import translation

from credit_rules.gate import Decision, MeasureOrder
from credit_rules.models import CreditSubject, MeasureKind
from credit_rules.policy import Policy
from credit_rules.rules import REGISTRY

from ...models import CreditCase
from ..notifications.dispatch import event_notify_on_commit
from ..periods import after_days
from ..transitions import transition_run

# The measures that are told first: those that punish, and the revocation of a won selection.
PRIOR_NOTICE_KINDS = (MeasureKind.RESTRICT, MeasureKind.SUSPEND, MeasureKind.EXPEL, MeasureKind.REVOKE)


def immediate_reason(policy: Policy, rule_code: str) -> str:
    """Why the policy lets this rule's measures take effect at once ("" when they are told first)."""
    return str((policy.immediate_measures or {}).get(rule_code, ""))


def needs_notice(order: MeasureOrder, policy: Policy) -> bool:
    """A punitive order the policy does not mark immediate is told to the agency before it takes effect."""
    return order.kind in PRIOR_NOTICE_KINDS and not immediate_reason(policy, order.rule_code)


def _params(decision: Decision, rule_code: str) -> dict[str, Any]:
    for reason in decision.reasons:
        if reason.rule_code == rule_code and reason.outcome == "measure":
            return dict(reason.params)
    return {}


def notice_open(
    *,
    subject: CreditSubject,
    order: MeasureOrder,
    decision: Decision,
    policy: Policy,
    trigger: int | None,
    at: datetime.datetime,
) -> CreditCase:
    """Open the prior notice of ``order`` (once: an open notice of the same rule and measure is returned)."""
    open_already = (
        CreditCase.objects.filter(
            subject=subject, rule_code=order.rule_code, measure=order.kind, state__in=CreditCase.OPEN
        )
        .order_by("pk")
        .first()
    )
    if open_already is not None:
        return open_already
    assert subject.agency is not None  # escalate opens notices for agencies only
    params = _params(decision, order.rule_code)
    with translation.override(settings.LANGUAGE_CODE):  # the record's text, in the platform's language
        facts = REGISTRY[order.rule_code].render(params)
    case = CreditCase.objects.create(
        agency=subject.agency,
        subject=subject,
        measure=order.kind,
        months=order.months,
        rule_code=order.rule_code,
        rule_params=params,
        trigger_entry_id=trigger,
        facts=facts,
        proposed_at=at,
    )
    due = after_days(at, policy.case_response_days)
    if transition_run(obj=case, name="notify", actor=None, params={"at": at, "response_due": due}, at=at).ok:
        event_notify_on_commit("measure_notice", case.pk)
    return CreditCase.objects.get(pk=case.pk)


def notice_order(case: CreditCase, policy: Policy) -> MeasureOrder:
    """The order a rule's notice carries, as the rule gave it: applied under the rule's own code."""
    return MeasureOrder(
        case.rule_code, case.measure, months=case.months, local_basis=policy.local.get(case.rule_code, "")
    )
