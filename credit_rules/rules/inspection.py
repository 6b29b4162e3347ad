"""Random inspection (双随机抽查) rules: what an inspection's result writes to the agency's record.

The supervisor's plan samples each credit grade at its own rate (``defaults.INSPECTION_RATES``); a result
other than 合格 is a finding, and this rule says which catalogue item it is. The service fires the step
``inspection.finding`` and records what the rule names, never a ledger row of its own.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import CREDIT_BASED_SUPERVISION, cite
from .base import Facts, Outcome, recorded, rule

# The catalogue item each non-pass result records.
FINDING_EVENTS = {"rectify": "INSPECTION_RECTIFY", "fail": "INSPECTION_FAIL"}


@rule(
    code="CR-INS-001",
    title=_("双随机抽查发现问题"),
    transitions={"inspection.finding"},
    basis=cite(
        _(
            "%(guidance)s：以信用为基础实施分级分类监管，根据信用等级确定“双随机、一公开”抽查比例和频次。抽查不合格或责令整改的记入信用记录，扣分由部署地中介超市管理办法规定。"
        ),
        guidance=CREDIT_BASED_SUPERVISION,
    ),
    message=_("双随机抽查计划 %(plan)s 的检查结果：%(result)s。"),
)
def inspection_finding(f: Facts) -> Outcome | None:
    """A 责令整改 or 不合格 result is recorded against the agency; 合格 records nothing."""
    event = FINDING_EVENTS.get(f.context.get("result", ""))
    if event is None:
        return None
    return recorded(f, event, plan=f.context.get("plan", ""), result=f.context.get("result_label", ""))
