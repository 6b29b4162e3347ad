"""The default credit policy (its event catalogue with points, class and legal basis) and commitment letter.

Shipped as policy version 1, a demonstration policy: its bases cite only real national documents
(``citations.py``), with real local ones as examples, and say where the deployment's own marketplace
measures decide; those are entered in the back office as local bases. Editable afterwards as new versions.
"""

from __future__ import annotations

from typing import NamedTuple

from .citations import (
    CREDIT_BASED_SUPERVISION,
    CREDIT_REPAIR_MEASURES,
    CREDIT_SYSTEM_PLAN,
    HUKOU_NEGATIVE_LIST,
    JOINT_REWARD_PUNISHMENT,
    JUDGMENT_DEBTOR_MEMORANDUM,
    SME_PAYMENT_REGULATION,
    WUJIANG_EVALUATION,
)
from .models import Severity

# Local rules a deployment supplies (its province's or city's marketplace measures) are said to be so here,
# and entered per code in the back office as the local basis (credit_rules.local_basis).
LOCAL = "由部署地中介超市管理办法规定"


class Item(NamedTuple):
    """One catalogue entry of the default policy; its publication and repair periods are its class's."""

    code: str
    name: str
    name_en: str
    points: int
    severity: str  # a Severity value: info, slight (轻微), minor (一般), serious (严重)
    flags: dict
    repairable: bool
    basis: str


def _rating(excellent: bool) -> str:
    return (
        f"{JOINT_REWARD_PUNISHMENT}：褒扬诚信、惩戒失信。按项目评价{'加分' if excellent else '扣分'}{LOCAL}"
        f"（示例：{WUJIANG_EVALUATION}由逐项目评价形成中介机构年度评价）。"
    )


def _hukou(behaviour: str) -> str:
    return (
        f"{CREDIT_SYSTEM_PLAN}：建立中介服务机构信用记录和披露制度。扣分标准{LOCAL}"
        f"（示例：{HUKOU_NEGATIVE_LIST}将{behaviour}列为一般违规行为）。"
    )


def _grave(behaviour: str) -> str:
    return (
        f"{CREDIT_BASED_SUPERVISION}：市场主体作出信用承诺，违背承诺的记入信用记录；"
        f"{CREDIT_REPAIR_MEASURES}：严重失信信息公示期最短 1 年、最长 3 年。{behaviour}予以清退、不可修复，{LOCAL}。"
    )


def _buyer(behaviour: str) -> str:
    return (
        f"{CREDIT_SYSTEM_PLAN}：政务诚信是社会信用体系建设的关键。{behaviour}记入项目业主的政务诚信记录，扣分{LOCAL}。"
    )


def _inspection(behaviour: str) -> str:
    return (
        f"{CREDIT_BASED_SUPERVISION}：以信用为基础实施分级分类监管，根据信用等级确定“双随机、一公开”抽查比例和频次，"
        f"抽查结果依法公开并记入信用记录。{behaviour}记入信用记录，扣分{LOCAL}。"
    )


S = Severity
CATALOGUE = [
    Item("RATING_EXCELLENT", "服务评价优秀", "Excellent service rating", 2, S.INFO, {}, False, _rating(True)),
    Item("RATING_POOR", "服务评价差", "Poor service rating", -5, S.SLIGHT, {}, True, _rating(False)),
    Item(
        "DECLINE_WIN",
        "无故放弃中选资格",
        "Declined a won selection without cause",
        -10,
        S.SERIOUS,  # kept from before the national classes: entry is refused within the look-back
        {},
        True,
        f"{CREDIT_SYSTEM_PLAN}：建立中介服务机构信用记录和披露制度；{JOINT_REWARD_PUNISHMENT}：对失信主体实施联合惩戒。"
        f"类别和扣分{LOCAL}（示例：{HUKOU_NEGATIVE_LIST}将无正当理由放弃中选资格列为一般违规行为；本示范政策列为严重）。",
    ),
    Item(
        "CONTRACT_LATE",
        "未按时签订合同",
        "Contract not signed in time",
        -5,
        S.GENERAL,
        {},
        True,
        _hukou("未按时签订合同"),
    ),
    Item(
        "DELIVERY_LATE",
        "逾期提交服务成果",
        "Late delivery of the service result",
        -5,
        S.GENERAL,
        {},
        True,
        _hukou("无正当理由逾期超过 10 个工作日完成服务"),
    ),
    Item(
        "QUALITY_COMPLAINT",
        "质量投诉经查实",
        "Verified quality complaint",
        -5,
        S.GENERAL,
        {"is_quality_complaint": True},
        True,
        _hukou("未按公告和合同约定提供服务、服务成果质量不达标被主管部门退回"),
    ),
    Item(
        "CREDIT_WARNING",
        "信用警告",
        "Credit warning",
        -5,
        S.GENERAL,
        {"is_warning": True},
        True,
        f"{CREDIT_BASED_SUPERVISION}：以信用为基础实施分级分类监管；{JOINT_REWARD_PUNISHMENT}：对失信主体实施联合惩戒。"
        f"信用警告及其扣分{LOCAL}。",
    ),
    Item(
        "FALSE_MATERIALS",
        "提供虚假材料",
        "False materials",
        -40,
        S.SERIOUS,
        {"expels": True},
        False,
        _grave("提供虚假材料骗取入驻或中选的"),
    ),
    Item(
        "COLLUSION", "串通报价", "Collusion in quoting", -40, S.SERIOUS, {"expels": True}, False, _grave("串通报价的")
    ),
    Item(
        "EXTERNAL_LISTED",
        "列入外部失信名单",
        "On an external dishonesty list",
        0,
        S.INFO,
        {},
        False,
        f"{JUDGMENT_DEBTOR_MEMORANDUM}：限制失信被执行人参与政府采购活动。",
    ),
    Item(
        "HONOUR_TAX_A",
        "纳税信用 A 级",
        "Tax credit grade A",
        5,
        S.INFO,
        {},
        False,
        f"{JOINT_REWARD_PUNISHMENT}：对守信主体实施联合激励。加分{LOCAL}。",
    ),
    Item(
        "HONOUR_RED_LIST",
        "列入红名单或获表彰",
        "Red list or public commendation",
        5,
        S.INFO,
        {},
        False,
        f"{JOINT_REWARD_PUNISHMENT}：褒扬诚信，对守信主体实施联合激励。加分{LOCAL}。",
    ),
    Item(
        "BUYER_LATE_PAYMENT",
        "逾期支付中介服务费",
        "Late payment of service fees (buyer)",
        -5,
        S.SLIGHT,
        {},
        True,
        f"{SME_PAYMENT_REGULATION}：机关、事业单位应当自服务交付之日起 30 日内向中小企业支付款项；"
        "合同另有约定的，付款期限最长不得超过 60 日。",
    ),
    # Government integrity (政务诚信): a buyer unit's other failures, and the warning their number warrants.
    Item(
        "BUYER_CONTRACT_LATE",
        "项目业主未按时签订合同",
        "Contract not signed by the buyer in time",
        -5,
        S.SLIGHT,
        {},
        True,
        _buyer("中选机构已提交合同、项目业主未在签约期限内签订的"),
    ),
    Item(
        "BUYER_ACCEPTANCE_LATE",
        "项目业主逾期未验收",
        "Result neither accepted nor returned in time (buyer)",
        -5,
        S.SLIGHT,
        {},
        True,
        f"{SME_PAYMENT_REGULATION}：合同双方应当在合同中约定明确、合理的检验或者验收期限，并在该期限内完成检验或者验收；"
        f"拖延检验或者验收的，付款期限自约定的检验或者验收期限届满之日起算。验收期限和扣分{LOCAL}。",
    ),
    Item(
        "BUYER_RATING_MISSED",
        "项目业主逾期未评价",
        "Service not rated in time (buyer)",
        -2,
        S.SLIGHT,
        {},
        True,
        _buyer("评价期满未对中介服务作出评价的"),
    ),
    Item(
        "BUYER_WARNING",
        "信用警告（政务诚信）",
        "Credit warning (government integrity)",
        0,
        S.GENERAL,
        {},
        True,
        f"{CREDIT_SYSTEM_PLAN}：政务诚信是社会信用体系建设的关键。累计失信次数、累计期间及警告的公示{LOCAL}。",
    ),
    # Random inspections (双随机抽查, credit_rules.rules.inspection): what a non-pass result writes to the record.
    Item(
        "INSPECTION_RECTIFY",
        "双随机抽查责令整改",
        "Ordered to rectify after a random inspection",
        -3,
        S.SLIGHT,
        {},
        True,
        _inspection("抽查发现问题、责令限期整改的"),
    ),
    Item(
        "INSPECTION_FAIL",
        "双随机抽查不合格",
        "Failed a random inspection",
        -10,
        S.GENERAL,
        {},
        True,
        _inspection("抽查结果不合格的"),
    ),
]

# Random inspections: the sample rate (percent) of each credit grade, the defaults every new plan takes.
# Change them here; a plan keeps the rates it was published with. Agencies under a reward measure (the green
# channel, 奖) are sampled at the lowest of these rates, whatever their grade.
INSPECTION_RATES = {"A": 5, "B": 10, "C": 20, "D": 40}

# Measures have fixed codes in the ledger (MEASURE_<KIND>); the basis shown when no rule ordered them.
MEASURE_BASIS = {
    "reward": f"{JOINT_REWARD_PUNISHMENT}：对守信主体实行“绿色通道”、减少检查频次等激励措施。",
    "restrict": f"{CREDIT_BASED_SUPERVISION}：以信用为基础实施分级分类监管。限制交易的条件与内容{LOCAL}。",
    "suspend": f"{JOINT_REWARD_PUNISHMENT}：对失信主体实施联合惩戒，让失信者受限。暂停期间不得报名或中选、在办项目继续履行，{LOCAL}。",
    "expel": f"{CREDIT_BASED_SUPERVISION}：建立严重失信主体名单制度；{JOINT_REWARD_PUNISHMENT}：对严重失信主体加大惩戒力度。"
    f"清退的机构列入黑名单，禁入期限{LOCAL}。",
    "revoke": f"{JOINT_REWARD_PUNISHMENT}：对失信主体实施联合惩戒。中选后至签约前被暂停或清退的，撤销中选资格、"
    f"由排名下一位的机构递补，{LOCAL}。",
}

# The class each measure implies (《信用修复管理办法》); expulsion is never repairable.
MEASURE_CLASS = {
    "reward": S.INFO,
    "restrict": S.GENERAL,
    "suspend": S.SERIOUS,
    "expel": S.SERIOUS,
    "revoke": S.INFO,  # a consequence of a suspension or expulsion, which are the records
}
MEASURE_NEVER_REPAIRABLE = frozenset({"expel"})

COMMITMENT_LETTER = """本机构自愿申请入驻中介服务网上交易平台（中介超市），郑重承诺：

一、所提交的营业执照、资质证书、人员及业绩等全部材料真实、准确、完整，如有虚假，自愿接受清退并列入黑名单。
二、遵守国家法律法规和平台管理办法，依法诚信执业，不以不正当手段承揽业务，不与其他机构或项目业主串通报价、围标、陪标。
三、中选后按规定期限签订合同，按合同约定的时限和质量要求提交服务成果，不无故放弃中选资格，不转包、违法分包。
四、服务收费不低于成本、不高于公示的报价区间，不额外收取合同以外的费用。
五、接受项目业主评价和监管部门监督，对信用记录有异议的，通过平台依法提出异议或申请信用修复。
六、本承诺书在平台公开。本机构如违反上述承诺，自愿接受信用警告、限制、暂停、清退等惩戒措施，并承担相应法律责任。"""

# The default bases in English, for pages read in English. The documents keep their Chinese titles (proper
# names); a basis a deployment edited is its own text and is shown as written. Keyed by catalogue code.
LOCAL_EN = "set by the deployment's own intermediary-marketplace measures"


def _rating_en(excellent: bool) -> str:
    return (
        f"{JOINT_REWARD_PUNISHMENT}: commend trustworthiness, punish untrustworthiness. Points "
        f"{'added' if excellent else 'deducted'} for a project's rating are {LOCAL_EN} "
        f"(for example {WUJIANG_EVALUATION} builds an agency's annual evaluation from its per-project ratings)."
    )


def _hukou_en(behaviour: str) -> str:
    return (
        f"{CREDIT_SYSTEM_PLAN}: credit records and disclosure for intermediary services. Deductions are {LOCAL_EN} "
        f"(for example {HUKOU_NEGATIVE_LIST} lists {behaviour} as an ordinary violation)."
    )


def _grave_en(behaviour: str) -> str:
    return (
        f"{CREDIT_BASED_SUPERVISION}: commitments made by market entities are recorded and breaking one is a credit "
        f"record; {CREDIT_REPAIR_MEASURES}: serious untrustworthy information is published for at least 1 year and at "
        f"most 3 years. {behaviour} leads to expulsion and cannot be repaired, as {LOCAL_EN}."
    )


def _buyer_en(behaviour: str) -> str:
    return (
        f"{CREDIT_SYSTEM_PLAN}: government integrity is key to the social credit system. {behaviour} is recorded "
        f"on the buyer unit's government-integrity record; deductions are {LOCAL_EN}."
    )


def _inspection_en(behaviour: str) -> str:
    return (
        f"{CREDIT_BASED_SUPERVISION}: supervision graded by credit, the ratio and frequency of random inspections "
        f"(agencies and inspectors both drawn at random, results public) set by credit grade. {behaviour} is "
        f"recorded; the deduction is {LOCAL_EN}."
    )


BASIS_EN = {
    "RATING_EXCELLENT": _rating_en(True),
    "RATING_POOR": _rating_en(False),
    "DECLINE_WIN": f"{CREDIT_SYSTEM_PLAN}: credit records and disclosure for intermediary services; "
    f"{JOINT_REWARD_PUNISHMENT}: joint punishment of untrustworthy entities. The class and deduction are {LOCAL_EN} "
    f"(for example {HUKOU_NEGATIVE_LIST} lists giving up a selection without good reason as an ordinary violation; "
    "this demonstration policy classes it as serious).",
    "CONTRACT_LATE": _hukou_en("not signing the contract on time"),
    "DELIVERY_LATE": _hukou_en("finishing a service more than 10 working days late without good reason"),
    "QUALITY_COMPLAINT": _hukou_en(
        "not serving as the announcement and contract say, or results returned as substandard by the competent department"
    ),
    "CREDIT_WARNING": f"{CREDIT_BASED_SUPERVISION}: supervision graded by credit; {JOINT_REWARD_PUNISHMENT}: joint "
    f"punishment of untrustworthy entities. Credit warnings and their deductions are {LOCAL_EN}.",
    "FALSE_MATERIALS": _grave_en("Providing false materials to gain entry or a selection"),
    "COLLUSION": _grave_en("Collusion in quoting"),
    "EXTERNAL_LISTED": f"{JUDGMENT_DEBTOR_MEMORANDUM}: judgment debtors are barred from government procurement.",
    "HONOUR_TAX_A": f"{JOINT_REWARD_PUNISHMENT}: joint rewards for trustworthy entities. Points added are {LOCAL_EN}.",
    "HONOUR_RED_LIST": f"{JOINT_REWARD_PUNISHMENT}: commend trustworthiness with joint rewards for trustworthy "
    f"entities. Points added are {LOCAL_EN}.",
    "BUYER_LATE_PAYMENT": f"{SME_PAYMENT_REGULATION}: government bodies and public institutions pay small and medium "
    "enterprises within 30 days of delivery; where the contract agrees otherwise, never later than 60 days.",
    "BUYER_CONTRACT_LATE": _buyer_en(
        "A buyer that does not sign within the contract period after the selected agency submitted its contract"
    ),
    "BUYER_ACCEPTANCE_LATE": f"{SME_PAYMENT_REGULATION}: the parties agree a clear and reasonable inspection or "
    "acceptance period and complete it within that period; where acceptance is delayed, the payment period runs from "
    f"the end of the agreed period. The acceptance period and deductions are {LOCAL_EN}.",
    "BUYER_RATING_MISSED": _buyer_en("A buyer that has not rated the service when the rating period ends"),
    "INSPECTION_RECTIFY": _inspection_en("An inspection that orders rectification within a time limit"),
    "INSPECTION_FAIL": _inspection_en("A failed inspection"),
    "BUYER_WARNING": f"{CREDIT_SYSTEM_PLAN}: government integrity is key to the social credit system. The number of failures, the period they are "
    f"counted over and the publication of the warning are {LOCAL_EN}.",
}

MEASURE_BASIS_EN = {
    "reward": f"{JOINT_REWARD_PUNISHMENT}: a green channel, fewer inspections and other rewards for trustworthy "
    "entities.",
    "restrict": f"{CREDIT_BASED_SUPERVISION}: supervision graded by credit. When and how trading is restricted is "
    f"{LOCAL_EN}.",
    "suspend": f"{JOINT_REWARD_PUNISHMENT}: joint punishment so that the untrustworthy are restricted. While "
    f"suspended an agency may neither sign up nor be selected, and services under way continue, as {LOCAL_EN}.",
    "expel": f"{CREDIT_BASED_SUPERVISION}: lists of seriously untrustworthy entities; {JOINT_REWARD_PUNISHMENT}: "
    f"heavier punishment of seriously untrustworthy entities. An expelled agency is blacklisted; the bar on re-entry "
    f"is {LOCAL_EN}.",
    "revoke": f"{JOINT_REWARD_PUNISHMENT}: joint punishment of untrustworthy entities. A selection is revoked when "
    f"the agency is suspended or expelled between the award and the contract, and the next-ranked agency steps up, "
    f"as {LOCAL_EN}.",
}

# The shipped policy's reasons for applying a rule's measure without prior notice (migration 0011 wrote the
# Chinese into policy version 1), each with its English version for pages read in English.
IMMEDIATE_REASONS_EN = {
    (
        f"失信被执行人名单由人民法院依法认定并公布，已经司法程序；{JUDGMENT_DEBTOR_MEMORANDUM}"
        "限制失信被执行人参与政府采购活动，名单有效期间即应受限，移出名单后自动恢复。"
    ): (
        "The list of judgment debtors is decided and published by the people's courts after judicial proceedings; "
        f"{JUDGMENT_DEBTOR_MEMORANDUM} bars judgment debtors from government procurement, so the restriction applies "
        "while the listing is in force and ends by itself when the agency is delisted."
    ),
    (
        f"D 级限制是按信用分实施的分级分类监管（{CREDIT_BASED_SUPERVISION}），不是新的失信认定："
        "计入信用分的每条记录在记录时均已告知并可提出异议，等级回升即自动解除。"
    ): (
        f"The grade D restriction is supervision graded by credit score ({CREDIT_BASED_SUPERVISION}), not a new "
        "finding of untrustworthiness: every record counted in the score was notified when recorded and could be "
        "objected to, and the restriction ends by itself when the grade recovers."
    ),
    (
        "撤销中选资格是对尚未验收项目的处置：项目业主须及时由排名下一位的机构递补或另行确定，"
        "等待陈述申辩期满会延误服务；所依据的严重失信记录本身可依法提出异议。"
    ): (
        "Revoking a selection concerns projects not yet accepted: the buyer needs the next-ranked agency, or another "
        "choice, without delay, and waiting for the response period would hold up the service; the serious record it "
        "rests on can itself be objected to."
    ),
}
