"""Buyer (政务诚信) rules: what a buyer unit's failures write to its own record, and when their number warrants
a public warning.

Buyers are government units: these rules record and publish, they never refuse — the projects' transitions
are exempt from the gate on purpose. Late payment (CR-PAY-001, in ``service.py``) is one of the failures
counted here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import CREDIT_SYSTEM_PLAN, SME_PAYMENT_REGULATION, cite
from .base import Facts, Outcome, code_of, recorded, rule
from .service import late_payment


@rule(
    code="CR-BUY-001",
    title=_("项目业主未按时签订合同"),
    transitions={"engagement.buyer_contract_missed"},
    basis=cite(
        _(
            "%(plan)s：政务诚信是社会信用体系建设的关键。中选机构已提交合同、项目业主逾期未签订的记入其政务诚信记录，延长期限由部署地中介超市管理办法规定。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
    ),
    message=_(
        "项目 %(project)s 中选机构已提交合同，项目业主未在签约期限（%(due)s）内签订；签约期限延长至 %(extended)s，届时仍未签订的项目终止。"
    ),
)
def contract_unsigned(f: Facts) -> Outcome | None:
    """The agency uploaded its contract and the buyer let the contract deadline pass: recorded against the buyer once."""
    params = {k: f.context.get(k, "") for k in ("project", "due", "extended")}
    return recorded(f, "BUYER_CONTRACT_LATE", **params)


@rule(
    code="CR-BUY-002",
    title=_("项目业主逾期未验收"),
    transitions={"engagement.acceptance_late"},
    basis=cite(
        _(
            "%(payment)s：合同双方应当在合同中约定明确、合理的检验或者验收期限，并在该期限内完成检验或者验收；拖延检验或者验收的，付款期限自约定的检验或者验收期限届满之日起算。验收期限是信用政策数据。"
        ),
        payment=SME_PAYMENT_REGULATION,
    ),
    message=_("项目 %(project)s 服务成果于 %(submitted)s 提交，项目业主未在验收期限（%(due)s）前验收或退回整改。"),
)
def acceptance_late(f: Facts) -> Outcome | None:
    """The result was neither accepted nor returned within the policy's period after submission: recorded once."""
    params = {k: f.context.get(k, "") for k in ("project", "submitted", "due")}
    return recorded(f, "BUYER_ACCEPTANCE_LATE", **params)


@rule(
    code="CR-BUY-003",
    title=_("项目业主逾期未评价"),
    transitions={"engagement.rating_missed"},
    basis=cite(
        _(
            "%(plan)s：政务诚信是社会信用体系建设的关键，建立中介服务机构信用记录和披露制度（服务评价是其来源）。评价期满未评价的记入项目业主的政务诚信记录，由部署地中介超市管理办法规定。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
    ),
    message=_("项目 %(project)s 评价期限（%(due)s）届满，项目业主未作评价。"),
)
def rating_missed(f: Facts) -> Outcome | None:
    """The rating window closed with no rating from the buyer: recorded against the buyer."""
    return recorded(f, "BUYER_RATING_MISSED", project=f.context.get("project", ""), due=f.context.get("due", ""))


@rule(
    code="CR-BUY-004",
    title=_("政务失信累计警告"),
    transitions={"buyer.recorded"},
    basis=cite(
        _(
            "%(plan)s：政务诚信是社会信用体系建设的关键。累计失信的次数、累计期间和信用警告的公示由部署地中介超市管理办法规定，警告同时告知项目业主的主管部门。"
        ),
        plan=CREDIT_SYSTEM_PLAN,
    ),
    message=_("%(window)s 个月内累计 %(count)s 次政务失信记录，予以信用警告并公示，同时告知主管部门。"),
)
def failures_warn(f: Facts) -> Outcome | None:
    """The policy's number of buyer failures within its window, counted since the last warning, warrants a warning."""
    needed = f.policy.buyer_failures_to_warn
    count = int(f.context.get("failures", 0))
    if needed and count >= needed:
        return recorded(f, "BUYER_WARNING", count=count, window=f.policy.buyer_failures_window_months)
    return None


# The buyer's failures the warning counts: every rule that records one against a buyer unit.
FAILURE_RULES: tuple[str, ...] = (
    code_of(late_payment),
    code_of(contract_unsigned),
    code_of(acceptance_late),
    code_of(rating_missed),
)
BUYER_WARNING_RULE: str = code_of(failures_warn)
