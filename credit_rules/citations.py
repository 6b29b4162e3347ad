"""The real documents a rule may cite as its basis, by their true title and number.

Titles are proper names: they stay in Chinese in every language of the site.

Only documents that exist are listed here, cited without article numbers unless the number is known.
A deployment's own local articles (its province's or city's marketplace measures) are policy data,
entered in the back office as each rule's local basis, never code. The shipped policy is a
demonstration policy and says so on its public page.
"""

from __future__ import annotations

from typing import cast

from django.utils.functional import Promise, lazy

# National documents.
CREDIT_SYSTEM_PLAN = "《社会信用体系建设规划纲要（2014—2020年）》（国发〔2014〕21号）"
JOINT_REWARD_PUNISHMENT = (
    "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》（国发〔2016〕33号）"
)
CREDIT_BASED_SUPERVISION = (
    "《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见》（国办发〔2019〕35号）"
)
CREDIT_REPAIR_MEASURES = "《信用修复管理办法》（国家发展和改革委员会令第36号）"
JUDGMENT_DEBTOR_MEMORANDUM = "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）"
BUSINESS_ENVIRONMENT_REGULATION = "《优化营商环境条例》（国务院令第722号）"
SME_PAYMENT_REGULATION = "《保障中小企业款项支付条例》（2020年国务院令第728号公布，2025年国务院令第802号修订）"

# Provincial and local marketplace regulations (examples of real ones).
JIANGSU_MARKETPLACE = "《江苏省网上中介服务超市管理办法》（江苏省数据局，2026年3月12日印发修订）"
GUANGDONG_MARKETPLACE = "《广东省网上中介服务超市管理办法》（粤办函〔2020〕332号）"
JIANGXI_MARKETPLACE = "《江西省网上中介服务超市管理办法》（赣府厅发〔2022〕22号）"
HUKOU_NEGATIVE_LIST = "《湖口县中介服务机构负面行为清单及评分管理办法》（湖府办发〔2025〕5号）"
WUJIANG_EVALUATION = "《苏州市吴江区中介机构评价管理办法》（吴数据规发〔2024〕1号）"

# Every document above: what a basis may name (tests/credit_rules/test_citations.py checks the code against it).
DOCUMENTS = (
    CREDIT_SYSTEM_PLAN,
    JOINT_REWARD_PUNISHMENT,
    CREDIT_BASED_SUPERVISION,
    CREDIT_REPAIR_MEASURES,
    JUDGMENT_DEBTOR_MEMORANDUM,
    BUSINESS_ENVIRONMENT_REGULATION,
    SME_PAYMENT_REGULATION,
    JIANGSU_MARKETPLACE,
    GUANGDONG_MARKETPLACE,
    JIANGXI_MARKETPLACE,
    HUKOU_NEGATIVE_LIST,
    WUJIANG_EVALUATION,
)


def _cite(message: str | Promise, documents: dict[str, str]) -> str:
    return str(message) % documents


_cite_lazy = lazy(_cite, str)


def cite(message: str | Promise, **documents: str) -> Promise:
    """A rule's basis: a translatable summary naming its documents as ``%(name)s``, filled when shown.

    The summary says only what the documents say; the titles are filled in untranslated.
    """
    return cast(Promise, _cite_lazy(message, documents))
