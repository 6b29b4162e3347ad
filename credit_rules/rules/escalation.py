"""Escalation rules: after a new ledger event, the policy's thresholds fire measures by themselves."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import (
    CREDIT_BASED_SUPERVISION,
    HUKOU_NEGATIVE_LIST,
    JOINT_REWARD_PUNISHMENT,
    JUDGMENT_DEBTOR_MEMORANDUM,
    cite,
)
from ..models import MeasureKind
from ..policy import severity_class
from .base import Facts, Outcome, code_of, lift, order, rule

RECORDED = {"ledger.recorded"}


@rule(
    code="CR-ESC-001",
    title=_("警告累计暂停"),
    transitions=RECORDED,
    basis=cite(
        _(
            "%(supervision)s：以信用为基础实施分级分类监管；%(joint)s：对失信主体实施联合惩戒。信用警告的累计次数、累计期间和暂停期限由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("%(window)s 个月内累计 %(count)s 次信用警告，暂停交易资格 %(months)s 个月。"),
)
def warnings_suspend(f: Facts) -> Outcome | None:
    """The Nth warning within the window suspends; a further one while suspended suspends longer."""
    if not f.context.get("new_is_warning"):
        return None
    p = f.policy
    if f.warnings_in_window < p.warnings_to_suspend:
        return None
    months = p.suspend_months_repeat if f.measure(MeasureKind.SUSPEND) else p.suspend_months_first
    return order(MeasureKind.SUSPEND, months=months, window=p.warnings_window_months, count=f.warnings_in_window)


@rule(
    code="CR-ESC-002",
    title=_("质量投诉累计清退"),
    transitions=RECORDED,
    basis=cite(
        _(
            "%(supervision)s：以信用为基础实施分级分类监管。质量投诉经查实的累计次数、累计期间和清退由部署地中介超市管理办法规定（示例：%(hukou)s将服务成果质量不达标被主管部门退回列为一般违规行为）。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
        hukou=HUKOU_NEGATIVE_LIST,
    ),
    message=_("%(window)s 个月内经查实的质量投诉累计 %(count)s 次，予以清退并列入黑名单。"),
)
def complaints_expel(f: Facts) -> Outcome | None:
    """The third verified quality complaint within the window expels."""
    p = f.policy
    if f.context.get("new_is_quality_complaint") and f.complaints_in_window >= p.complaints_to_expel:
        return order(
            MeasureKind.EXPEL,
            months=p.reentry_bar_months,
            window=p.complaints_window_months,
            count=f.complaints_in_window,
        )
    return None


@rule(
    code="CR-ESC-003",
    title=_("虚假材料或串通清退"),
    transitions=RECORDED,
    basis=cite(
        _(
            "%(supervision)s：市场主体作出信用承诺，违背承诺的记入信用记录；%(joint)s：对严重失信主体加大惩戒力度。清退及禁入期限由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("经查实「%(title)s」，予以清退并列入黑名单，禁入 %(months)s 个月。"),
)
def grave_expel(f: Facts) -> Outcome | None:
    """False materials or collusion expel at once."""
    if f.context.get("new_expels"):
        return order(MeasureKind.EXPEL, months=f.policy.reentry_bar_months, title=f.context.get("new_title", ""))
    return None


@rule(
    code="CR-ESC-004",
    title=_("D 级限制交易"),
    transitions=RECORDED | {"standing.review"},
    basis=cite(
        _(
            "%(supervision)s：以信用为基础实施分级分类监管。D 级的分数界限和限制交易的内容由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("信用分 %(score)s，等级降为 D 级，限制交易直至等级回升。"),
)
def grade_d_restrict(f: Facts) -> Outcome | None:
    """Falling to grade D restricts the agency until its grade recovers.

    After a new entry, or on the credit sweep's review when the grade fell with time (points expiring).
    """
    if f.policy.restrict_on_grade_d and f.grade == "D" and not f.measure(MeasureKind.RESTRICT):
        return order(MeasureKind.RESTRICT, score=f.score)
    return None


@rule(
    code="CR-ESC-005",
    title=_("等级回升解除限制"),
    transitions=RECORDED | {"standing.review"},
    basis=cite(
        _(
            "%(supervision)s：以信用为基础实施分级分类监管。等级回升后解除因 D 级实施的限制，由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("信用分回升至 %(score)s（%(grade)s 级），解除 D 级限制。"),
)
def grade_recovered(f: Facts) -> Outcome | None:
    """A restriction imposed for grade D is lifted once the grade is back above D."""
    m = f.measure(MeasureKind.RESTRICT)
    if m and m.rule_code == "CR-ESC-004" and f.grade != "D":
        return lift(m.entry_id, score=f.score, grade=f.grade)
    return None


@rule(
    code="CR-LST-001",
    title=_("列入外部失信名单暂停"),
    transitions={"listing.recorded"},
    basis=cite(
        _(
            "%(debtors)s：限制失信被执行人参与政府采购活动。已入驻机构列入名单期间暂停其交易资格，由部署地中介超市管理办法规定。"
        ),
        debtors=JUDGMENT_DEBTOR_MEMORANDUM,
    ),
    message=_("被列入「%(source)s」，暂停交易资格至移出名单。"),
)
def listing_suspends(f: Facts) -> Outcome | None:
    """A member newly found on an external list is suspended until delisted."""
    if f.listings and not any(m.kind == MeasureKind.SUSPEND and m.rule_code == "CR-LST-001" for m in f.measures):
        return order(MeasureKind.SUSPEND, source=f.listings[0].source)
    return None


@rule(
    code="CR-LST-002",
    title=_("移出外部失信名单恢复"),
    transitions={"listing.recorded", "standing.review"},
    basis=cite(
        _("%(debtors)s：联合惩戒的对象是失信被执行人。移出名单后恢复交易资格，由部署地中介超市管理办法规定。"),
        debtors=JUDGMENT_DEBTOR_MEMORANDUM,
    ),
    message=_("已移出外部失信名单，解除相应暂停。"),
)
def listing_cleared(f: Facts) -> Outcome | None:
    """When no listing remains in force, a suspension imposed for one is lifted."""
    if not f.listings:
        for m in f.measures:
            if m.kind == MeasureKind.SUSPEND and m.rule_code == "CR-LST-001":
                return lift(m.entry_id)
    return None


@rule(
    code="CR-ESC-006",
    title=_("服务期间出现严重失信记录撤销中选资格"),
    transitions=RECORDED,
    basis=cite(
        _(
            "%(joint)s：对失信主体实施联合惩戒。中选后至验收前出现何种严重程度的新失信记录应撤销中选资格，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("中选后至验收前新增「%(title)s」记录，撤销尚未验收的中选资格（%(count)s 项）。"),
)
def serious_record_revokes(f: Facts) -> Outcome | None:
    """A new record of a class the policy names revokes the agency's wins not yet accepted (撤销中选资格)."""
    if f.context.get("new_expels"):
        return None  # an expulsion has its own effect on the wins and services (the buyer decides)
    severity = severity_class(str(f.context.get("new_severity", "")))
    if severity in (f.policy.revoke_wins_on or []) and int(f.context.get("open_wins", 0)):
        return order(MeasureKind.REVOKE, title=f.context.get("new_title", ""), count=f.context.get("open_wins"))
    return None


# Measures these rules order stand only while the events they count still count: overturning an
# entry takes down a measure it triggered, or one whose threshold it no longer meets without it.
# For each threshold rule: the entry flag it counts, the policy's window and threshold fields.
THRESHOLDS: dict[str, tuple[str, str, str]] = {
    code_of(warnings_suspend): ("is_warning", "warnings_window_months", "warnings_to_suspend"),
    code_of(complaints_expel): ("is_quality_complaint", "complaints_window_months", "complaints_to_expel"),
}
TRIGGERED: tuple[str, ...] = (*THRESHOLDS, code_of(grave_expel))
# The restriction grade D brings, and the suspension an external listing brings: the credit sweep
# lifts them when their cause is gone.
GRADE_D_RESTRICTION: str = code_of(grade_d_restrict)
LISTING_SUSPENSION: str = code_of(listing_suspends)
