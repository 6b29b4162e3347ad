"""The default credit policy (its event catalogue with points, severity and legal basis) and commitment letter.

Shipped as policy version 1; editable afterwards as new versions.
"""

# code, name, name_en, points, severity, flags, repairable_after_months (None = never), basis
CATALOGUE = [
    (
        "RATING_EXCELLENT",
        "服务评价优秀",
        "Excellent service rating",
        2,
        "info",
        {},
        None,
        "《中介服务网上交易平台信用评价管理办法》第十二条：评价结果为优秀的，加 2 分。",
    ),
    (
        "RATING_POOR",
        "服务评价差",
        "Poor service rating",
        -5,
        "minor",
        {},
        3,
        "《中介服务网上交易平台信用评价管理办法》第十二条：评价结果为差的，扣 5 分。",
    ),
    (
        "DECLINE_WIN",
        "无故放弃中选资格",
        "Declined a won selection without cause",
        -10,
        "serious",
        {},
        12,
        "《中介服务网上交易平台管理办法》第二十四条：中选机构无正当理由放弃中选资格的，扣 10 分。",
    ),
    (
        "CONTRACT_LATE",
        "未按时签订合同",
        "Contract not signed in time",
        -5,
        "minor",
        {},
        3,
        "《中介服务网上交易平台管理办法》第二十六条：未在规定期限内签订服务合同的，扣 5 分。",
    ),
    (
        "DELIVERY_LATE",
        "逾期提交服务成果",
        "Late delivery of the service result",
        -5,
        "minor",
        {},
        3,
        "《中介服务网上交易平台管理办法》第二十八条：未按合同约定时限提交服务成果的，扣 5 分。",
    ),
    (
        "QUALITY_COMPLAINT",
        "质量投诉经查实",
        "Verified quality complaint",
        -5,
        "minor",
        {"is_quality_complaint": True},
        3,
        "《中介服务网上交易平台信用评价管理办法》第十五条：服务质量投诉经查证属实的，扣 5 分；12 个月内累计 3 次的，予以清退。",
    ),
    (
        "CREDIT_WARNING",
        "信用警告",
        "Credit warning",
        -5,
        "minor",
        {"is_warning": True},
        3,
        "《中介服务网上交易平台信用评价管理办法》第十六条：监管部门对失信行为发出信用警告的，扣 5 分；12 个月内累计 2 次的，暂停 1 个月。",
    ),
    (
        "FALSE_MATERIALS",
        "提供虚假材料",
        "False materials",
        -40,
        "grave",
        {"expels": True},
        None,
        "《中介服务网上交易平台管理办法》第三十二条：提供虚假材料骗取入驻或中选的，予以清退，3 年内不得重新入驻。",
    ),
    (
        "COLLUSION",
        "串通报价",
        "Collusion in quoting",
        -40,
        "grave",
        {"expels": True},
        None,
        "《中介服务网上交易平台管理办法》第三十二条：与其他机构或业主串通的，予以清退，3 年内不得重新入驻。",
    ),
    (
        "EXTERNAL_LISTED",
        "列入外部失信名单",
        "On an external dishonesty list",
        0,
        "info",
        {},
        None,
        "《关于对失信被执行人实施联合惩戒的合作备忘录》：失信被执行人不得入驻，已入驻的暂停其交易资格。",
    ),
    (
        "HONOUR_TAX_A",
        "纳税信用 A 级",
        "Tax credit grade A",
        5,
        "info",
        {},
        None,
        "《中介服务网上交易平台信用评价管理办法》第十三条：获评纳税信用 A 级的，加 5 分。",
    ),
    (
        "HONOUR_RED_LIST",
        "列入红名单或获表彰",
        "Red list or public commendation",
        5,
        "info",
        {},
        None,
        "《中介服务网上交易平台信用评价管理办法》第十三条：列入红名单或获得市级以上表彰的，加 5 分。",
    ),
    (
        "BUYER_LATE_PAYMENT",
        "逾期支付中介服务费",
        "Late payment of service fees (buyer)",
        -5,
        "minor",
        {},
        3,
        "《保障中小企业款项支付条例》第八条：机关、事业单位应当自验收之日起 30 日内支付款项。",
    ),
]

# Measures have fixed codes in the ledger; their legal basis shown to the agency.
MEASURE_BASIS = {
    "reward": "《中介服务网上交易平台信用评价管理办法》第十八条：连续 12 个月 A 级的，给予绿色通道激励（续期免审、竞价同分优先、列入红名单）。",
    "restrict": "《中介服务网上交易平台信用评价管理办法》第十九条：信用等级为 D 级的，限制其参与直接选取，且同时在办项目不得超过 1 个。",
    "suspend": "《中介服务网上交易平台信用评价管理办法》第二十条：暂停期间不得报名或中选，在办项目继续履行。",
    "expel": "《中介服务网上交易平台管理办法》第三十二条：清退的机构列入黑名单，禁入期内不得重新入驻。",
    "revoke": "《中介服务网上交易平台管理办法》第二十五条：中选后至签约前出现失信措施的，撤销中选资格，由排名下一位的机构递补。",
}

COMMITMENT_LETTER = """本机构自愿申请入驻中介服务网上交易平台（中介超市），郑重承诺：

一、所提交的营业执照、资质证书、人员及业绩等全部材料真实、准确、完整，如有虚假，自愿接受清退并列入黑名单。
二、遵守国家法律法规和平台管理办法，依法诚信执业，不以不正当手段承揽业务，不与其他机构或项目业主串通报价、围标、陪标。
三、中选后按规定期限签订合同，按合同约定的时限和质量要求提交服务成果，不无故放弃中选资格，不转包、违法分包。
四、服务收费不低于成本、不高于公示的报价区间，不额外收取合同以外的费用。
五、接受项目业主评价和监管部门监督，对信用记录有异议的，通过平台依法提出异议或申请信用修复。
六、本承诺书在平台公开。本机构如违反上述承诺，自愿接受信用警告、限制、暂停、清退等惩戒措施，并承担相应法律责任。"""
