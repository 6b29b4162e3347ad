"""Service (服务) and payment rules: what a step of the service writes to the record, and who may still serve.

Each consequence a service step has for credit — a win given up, a contract not signed in time, a late
result, a rating, a late payment, a supervisor's decided case — is a rule here, so its code, title,
basis and threshold live in one place; the services fire the step and apply what the rule says.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ..citations import (
    CREDIT_BASED_SUPERVISION,
    CREDIT_SYSTEM_PLAN,
    HUKOU_NEGATIVE_LIST,
    JOINT_REWARD_PUNISHMENT,
    SME_PAYMENT_REGULATION,
    WUJIANG_EVALUATION,
    cite,
)
from ..models import MeasureKind
from .base import Facts, Outcome, fmt_date, order, recorded, refuse, rule


@rule(
    code="CR-SVC-001",
    title=_("无故放弃中选资格"),
    transitions={"signup.decline"},
    basis=cite(
        _(
            "%(plan)s：建立中介服务机构信用记录和披露制度。放弃中选资格记入信用记录，类别和扣分由部署地中介超市管理办法规定（示例：%(hukou)s将无正当理由放弃中选资格列为一般违规行为）。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
        hukou=HUKOU_NEGATIVE_LIST,
    ),
    message=_("项目 %(project)s 中选后放弃中选资格：%(reason)s"),
)
def decline_without_cause(f: Facts) -> Outcome | None:
    """Giving up a won selection is recorded against the agency (无故放弃中选资格)."""
    return recorded(f, "DECLINE_WIN", project=f.context.get("project", ""), reason=f.context.get("reason", ""))


@rule(
    code="CR-SVC-002",
    title=_("未按时签订合同"),
    transitions={"engagement.contract_missed"},
    basis=cite(
        _(
            "%(plan)s：建立中介服务机构信用记录和披露制度。未按时签订合同的记入信用记录并撤销中选资格，由部署地中介超市管理办法规定（示例：%(hukou)s将不按时签订合同列为一般违规行为）。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
        hukou=HUKOU_NEGATIVE_LIST,
    ),
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
    basis=cite(
        _(
            "%(plan)s：建立中介服务机构信用记录和披露制度。逾期提交服务成果的记入信用记录，由部署地中介超市管理办法规定（示例：%(hukou)s将无正当理由超期完成服务列为一般违规行为）。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
        hukou=HUKOU_NEGATIVE_LIST,
    ),
    message=_("项目 %(project)s 服务期限至 %(due)s，逾期未提交成果。"),
)
def late_delivery(f: Facts) -> Outcome | None:
    """The service end date passed without a result: recorded once per engagement."""
    return recorded(f, "DELIVERY_LATE", project=f.context.get("project", ""), due=f.context.get("due", ""))


@rule(
    code="CR-SVC-004",
    title=_("服务评价结果"),
    transitions={"engagement.rate"},
    basis=cite(
        _(
            "%(joint)s：褒扬诚信、惩戒失信。评价优秀与差的分数线是信用政策数据，加减分由部署地中介超市管理办法规定（示例：%(wujiang)s由逐项目评价形成中介机构评价）。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
        wujiang=WUJIANG_EVALUATION,
    ),
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
    basis=cite(
        _(
            "%(joint)s：对严重失信主体加大惩戒力度。清退的机构在服务中的项目由项目业主决定是否由其继续完成，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
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
    basis=cite(
        _(
            "%(payment)s：机关、事业单位从中小企业采购，应当自验收之日起 30 日内支付款项，合同另有约定的从其约定但最长不超过 60 日。"
        ),
        payment=SME_PAYMENT_REGULATION,
    ),
    message=_("项目 %(project)s 服务费应于 %(due)s 前支付，逾期未付。"),
)
def late_payment(f: Facts) -> Outcome | None:
    """A payment past its due date is recorded against the buyer unit (政务诚信)."""
    return recorded(f, "BUYER_LATE_PAYMENT", project=f.context.get("project", ""), due=f.context.get("due", ""))


@rule(
    code="CR-SUP-001",
    title=_("监管部门决定的信用措施"),
    transitions={"creditcase.apply"},
    basis=cite(
        _("%(supervision)s：依法依规对失信主体采取信用监管措施；%(joint)s：保护当事人合法权益，给予陈述申辩的机会。"),
        supervision=CREDIT_BASED_SUPERVISION,
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("经告知和陈述申辩，监管部门决定采取「%(measure_label)s」措施。"),
)
def case_measure(f: Facts) -> Outcome | None:
    """A supervisor's case, once the agency was heard, applies the measure it proposed.

    A case a rule opened (the prior notice of an automatic measure, 失信告知) carries that rule's own
    order, applied under its code: this rule stays silent for it.
    """
    measure = f.context.get("measure")
    if not measure or f.context.get("rule_code"):
        return None  # a case that records only a finding (its ground event) orders no measure
    return order(measure, months=f.context.get("months"), measure_label=str(MeasureKind(measure).label))
