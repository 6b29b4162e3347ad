"""The default data set shipped with the platform: regions, the service catalogue, qualification types and levels.

All of it is editable afterwards.
"""

# (code, name, name_en, parent code)
REGIONS = [
    ("440000", "广东省", "Guangdong Province", None),
    ("441300", "惠州市", "Huizhou", "440000"),
    ("441302", "惠城区", "Huicheng District", "441300"),
    ("441303", "惠阳区", "Huiyang District", "441300"),
    ("441322", "博罗县", "Boluo County", "441300"),
    ("441323", "惠东县", "Huidong County", "441300"),
    ("441324", "龙门县", "Longmen County", "441300"),
    ("440100", "广州市", "Guangzhou", "440000"),
    ("440300", "深圳市", "Shenzhen", "440000"),
    ("441900", "东莞市", "Dongguan", "440000"),
]

# Two-level tree: (code, name, name_en, [(code, name, name_en), ...])
CATEGORIES = [
    (
        "ENG",
        "工程咨询",
        "Engineering consulting",
        [
            ("ENG-FS", "可行性研究报告编制", "Feasibility study report"),
            ("ENG-PA", "项目申请报告编制", "Project application report"),
            ("ENG-EE", "节能评估", "Energy-saving assessment"),
        ],
    ),
    (
        "AUD",
        "造价与审计",
        "Cost consulting and audit",
        [
            ("AUD-COST", "工程造价咨询", "Construction cost consulting"),
            ("AUD-FIN", "财务审计", "Financial audit"),
            ("AUD-FINAL", "竣工决算审计", "Completion settlement audit"),
        ],
    ),
    (
        "DES",
        "规划与设计",
        "Planning and design",
        [
            ("DES-PLAN", "城乡规划编制", "Urban and rural planning"),
            ("DES-BLDG", "建筑工程设计", "Building design"),
            ("DES-MUNI", "市政工程设计", "Municipal engineering design"),
        ],
    ),
    (
        "SUR",
        "测绘与勘察",
        "Surveying and investigation",
        [
            ("SUR-ENG", "工程测量", "Engineering survey"),
            ("SUR-PROP", "不动产测绘", "Real-estate surveying"),
            ("SUR-GEO", "岩土工程勘察", "Geotechnical investigation"),
        ],
    ),
    (
        "ENV",
        "环境与安全",
        "Environment and safety",
        [
            ("ENV-EIA", "环境影响评价", "Environmental impact assessment"),
            ("ENV-SAFE", "安全评价", "Safety assessment"),
            ("ENV-SWC", "水土保持方案编制", "Soil and water conservation plan"),
            ("ENV-GEOH", "地质灾害危险性评估", "Geological hazard assessment"),
            ("ENV-OCC", "职业病危害评价", "Occupational hazard assessment"),
        ],
    ),
    (
        "VAL",
        "评估",
        "Valuation",
        [
            ("VAL-ASSET", "资产评估", "Asset valuation"),
            ("VAL-RE", "房地产估价", "Real-estate appraisal"),
            ("VAL-LAND", "土地估价", "Land appraisal"),
            ("VAL-RISK", "社会稳定风险评估", "Social stability risk assessment"),
        ],
    ),
    (
        "TST",
        "检验检测",
        "Inspection and testing",
        [
            ("TST-QUAL", "建设工程质量检测", "Construction quality testing"),
            ("TST-FIRE", "消防设施检测", "Fire-protection facility testing"),
            ("TST-LIGHT", "防雷检测", "Lightning-protection testing"),
        ],
    ),
    (
        "LAW",
        "法律与代理",
        "Legal and agency services",
        [
            ("LAW-LEGAL", "法律服务", "Legal services"),
            ("LAW-TENDER", "招标代理", "Tendering agency"),
            ("LAW-PATENT", "专利代理", "Patent agency"),
        ],
    ),
    (
        "SUP",
        "监理",
        "Supervision",
        [
            ("SUP-ENG", "工程监理", "Construction supervision"),
            ("SUP-EQP", "设备监理", "Equipment supervision"),
        ],
    ),
]

GRADE_ABC = [("甲级", "Grade A"), ("乙级", "Grade B"), ("丙级", "Grade C")]
GRADE_AB = [("甲级", "Grade A"), ("乙级", "Grade B")]
CLASS_12 = [("一级", "Class 1"), ("二级", "Class 2")]
SINGLE = [("不分级", "Ungraded")]

# (code, name, name_en, issuing body, levels, category codes)
QUALIFICATION_TYPES = [
    (
        "Q-ENGC",
        "工程咨询单位资信",
        "Engineering consulting credential",
        "广东省发展和改革委员会",
        GRADE_AB,
        ["ENG-FS", "ENG-PA", "ENG-EE"],
    ),
    (
        "Q-COST",
        "工程造价咨询企业资质",
        "Construction cost consulting licence",
        "广东省住房和城乡建设厅",
        GRADE_AB,
        ["AUD-COST"],
    ),
    (
        "Q-CPA",
        "会计师事务所执业证书",
        "Accounting firm practising certificate",
        "广东省财政厅",
        SINGLE,
        ["AUD-FIN", "AUD-FINAL"],
    ),
    ("Q-PLAN", "城乡规划编制单位资质", "Urban-rural planning licence", "广东省自然资源厅", GRADE_ABC, ["DES-PLAN"]),
    (
        "Q-DESIGN",
        "工程设计资质",
        "Engineering design licence",
        "广东省住房和城乡建设厅",
        GRADE_ABC,
        ["DES-BLDG", "DES-MUNI"],
    ),
    ("Q-SURVEY", "测绘资质", "Surveying and mapping licence", "广东省自然资源厅", GRADE_ABC, ["SUR-ENG", "SUR-PROP"]),
    ("Q-GEO", "工程勘察资质", "Engineering investigation licence", "广东省住房和城乡建设厅", GRADE_ABC, ["SUR-GEO"]),
    ("Q-SAFE", "安全评价机构资质", "Safety assessment licence", "广东省应急管理厅", CLASS_12, ["ENV-SAFE"]),
    (
        "Q-GEOH",
        "地质灾害危险性评估资质",
        "Geological hazard assessment licence",
        "广东省自然资源厅",
        GRADE_ABC,
        ["ENV-GEOH"],
    ),
    (
        "Q-OCC",
        "职业卫生技术服务机构资质",
        "Occupational health service licence",
        "广东省卫生健康委员会",
        GRADE_AB,
        ["ENV-OCC"],
    ),
    ("Q-ASSET", "资产评估机构备案", "Asset valuation filing", "广东省财政厅", SINGLE, ["VAL-ASSET"]),
    (
        "Q-RE",
        "房地产估价机构资质",
        "Real-estate appraisal licence",
        "广东省住房和城乡建设厅",
        CLASS_12 + [("三级", "Class 3")],
        ["VAL-RE"],
    ),
    ("Q-LAND", "土地估价机构备案", "Land appraisal filing", "中国土地估价师与土地登记代理人协会", SINGLE, ["VAL-LAND"]),
    (
        "Q-QTEST",
        "建设工程质量检测机构资质",
        "Construction testing licence",
        "广东省住房和城乡建设厅",
        SINGLE,
        ["TST-QUAL"],
    ),
    ("Q-FIRE", "消防技术服务机构资质", "Fire technical service licence", "广东省消防救援总队", CLASS_12, ["TST-FIRE"]),
    (
        "Q-LIGHT",
        "雷电防护装置检测资质",
        "Lightning-protection testing licence",
        "广东省气象局",
        GRADE_AB,
        ["TST-LIGHT"],
    ),
    ("Q-LAW", "律师事务所执业许可证", "Law firm practising licence", "广东省司法厅", SINGLE, ["LAW-LEGAL"]),
    ("Q-PATENT", "专利代理机构执业许可证", "Patent agency licence", "国家知识产权局", SINGLE, ["LAW-PATENT"]),
    (
        "Q-SUPV",
        "工程监理企业资质",
        "Construction supervision licence",
        "广东省住房和城乡建设厅",
        GRADE_ABC,
        ["SUP-ENG"],
    ),
    ("Q-EQP", "设备监理单位资格", "Equipment supervision qualification", "国家市场监督管理总局", GRADE_AB, ["SUP-EQP"]),
]
