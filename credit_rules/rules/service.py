"""Service (服务) and payment rules: what a step of the service writes to the record, and who may still serve.

Each consequence a service step has for credit — a win given up, a contract not signed in time, a late
result, a rating, a late payment, a supervisor's decided case — is a rule here, so its code, title,
basis and threshold live in one place; the services fire the step and apply what the rule says.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .. import citations as doc
from ..models import MeasureKind
from .base import Facts, Outcome, fmt_date, order, recorded, refuse, rule


@rule(
    code="CR-SVC-001",
    title=_("无故放弃中选资格"),
    transitions={"signup.decline"},
    basis=f"{doc.HUKOU_NEGATIVE_LIST}：无正当理由放弃中选资格属一般违规行为。",
    message=_("项目 %(project)s 中选后放弃中选资格：%(reason)s"),
)
def decline_without_cause(f: Facts) -> Outcome | None:
    """Giving up a won selection is recorded against the agency (无故放弃中选资格)."""
    return recorded(f, "DECLINE_WIN", project=f.context.get("project", ""), reason=f.context.get("reason", ""))


@rule(
    code="CR-SVC-002",
    title=_("未按时签订合同"),
    transitions={"engagement.contract_missed"},
    basis=f"{doc.HUKOU_NEGATIVE_LIST}：未按时签订合同属一般违规行为。",
    message=_("项目 %(project)s 未在规定期限（%(due)s）内签订合同，撤销中选资格。"),
)
def contract_missed(f: Facts) -> list[Outcome] | None:
    """The contract deadline passed unsigned: the win is revoked, and recorded against the agency where the
    policy lists the item. A win already gone (declined, revoked) leaves nothing to do."""
    if not f.context.get("win_open", True):
        return None
    params = {"project": f.context.get("project", ""), "due": f.context.get("due", "")}
    late = recorded(f, "CONTRACT_LATE", **params)
    return [*([late] if late else []), order(MeasureKind.REVOKE, **params)]


@rule(
    code="CR-SVC-003",
    title=_("逾期提交服务成果"),
    transitions={"engagement.late"},
    basis=f"{doc.HUKOU_NEGATIVE_LIST}：无正当理由逾期完成服务属一般违规行为。",
    message=_("项目 %(project)s 服务期限至 %(due)s，逾期未提交成果。"),
)
def late_delivery(f: Facts) -> Outcome | None:
    """The service end date passed without a result: recorded once per engagement."""
    return recorded(f, "DELIVERY_LATE", project=f.context.get("project", ""), due=f.context.get("due", ""))


@rule(
    code="CR-SVC-004",
    title=_("服务评价结果"),
    transitions={"engagement.rate"},
    basis=f"{doc.WUJIANG_EVALUATION}：依据项目业主对每个项目的服务评价开展中介机构评价。",
    message=_("项目 %(project)s 服务评价平均 %(average)s 分。"),
)
def rating_result(f: Facts) -> Outcome | None:
    """A rating at or above the policy's excellent mark, or at or below its poor mark, is recorded."""
    average = f.context.get("average")
    if average is None:
        return None  # closed unrated when the window ended: nothing to record
    value = Decimal(str(average))
    params = {"project": f.context.get("project", ""), "average": f"{value:.1f}"}
    if value >= f.policy.rating_excellent_min:
        return recorded(f, "RATING_EXCELLENT", **params)
    if value <= f.policy.rating_poor_max:
        return recorded(f, "RATING_POOR", **params)
    return None


@rule(
    code="CR-SVC-005",
    title=_("清退后不得继续服务"),
    transitions={"engagement.submit_result"},
    basis=f"{doc.JOINT_REWARD_PUNISHMENT}：对严重失信主体依法依规实施联合惩戒。",
    message=_("贵机构已被清退（%(since)s 起），项目业主未决定由贵机构继续完成本服务，不能提交成果。"),
)
def expelled_serving(f: Facts) -> Outcome | None:
    """An expelled agency serves on only where the buyer decided it should finish the service."""
    expel = f.measure(MeasureKind.EXPEL)
    if expel and not f.context.get("buyer_continues"):
        return refuse(since=fmt_date(expel.starts_at))
    return None


@rule(
    code="CR-PAY-001",
    title=_("逾期支付中介服务费"),
    transitions={"payment.late"},
    basis=f"{doc.SME_PAYMENT_REGULATION}：机关、事业单位从中小企业采购货物、工程、服务，应当自验收之日起30日内支付款项。",
    message=_("项目 %(project)s 服务费应于 %(due)s 前支付，逾期未付。"),
)
def late_payment(f: Facts) -> Outcome | None:
    """A payment past its due date is recorded against the buyer unit (政务诚信)."""
    return recorded(f, "BUYER_LATE_PAYMENT", project=f.context.get("project", ""), due=f.context.get("due", ""))


@rule(
    code="CR-SUP-001",
    title=_("监管部门决定的信用措施"),
    transitions={"creditcase.apply"},
    basis=f"{doc.CREDIT_BASED_SUPERVISION}：依法依规对失信主体实施惩戒，保障其陈述申辩的权利。",
    message=_("经告知和陈述申辩，监管部门决定采取「%(measure_label)s」措施。"),
)
def case_measure(f: Facts) -> Outcome | None:
    """A supervisor's case, once the agency was heard, applies the measure it proposed."""
    measure = f.context.get("measure")
    if not measure:
        return None  # a case that records only a finding (its ground event) orders no measure
    return order(measure, months=f.context.get("months"), measure_label=str(MeasureKind(measure).label))
