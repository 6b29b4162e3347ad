"""Selection (选取) rules: who may sign up, stay in a frozen pool, and sign the contract."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ..citations import (
    BUSINESS_ENVIRONMENT_REGULATION,
    CREDIT_BASED_SUPERVISION,
    HUKOU_NEGATIVE_LIST,
    JOINT_REWARD_PUNISHMENT,
    JUDGMENT_DEBTOR_MEMORANDUM,
    cite,
)
from ..models import MeasureKind
from .base import Facts, Outcome, fmt_date, order, refuse, rule

SIGNUP = {"signup.submit", "signup.admit"}
# Who may be in the frozen pool and be selected: at sign-up, at the close, and when its turn comes to
# win (first place at the award, or an alternate stepping up).
POOL = SIGNUP | {"signup.select"}
# After the award, until the contract: the winner's confirmation, the buyer's (or the sweep's)
# confirmation of the result, and the contract. Standing in force at that moment is what counts.
AFTER_AWARD = {"signup.confirm", "project.confirm_winner", "engagement.sign"}


@rule(
    code="CR-SEL-001",
    title=_("暂停期间不得报名"),
    transitions=POOL,
    basis=cite(
        _(
            "%(joint)s：对失信主体实施联合惩戒，让失信者受限。暂停期间不得报名或中选、在办项目继续履行，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构暂停交易资格至 %(until)s（%(rule)s），暂停期间不得报名或中选。"),
)
def suspended(f: Facts) -> Outcome | None:
    """A suspended agency cannot sign up or be selected."""
    m = f.measure(MeasureKind.SUSPEND)
    if m:
        return refuse(until=fmt_date(m.ends_at), rule=m.rule_code or "—")
    return None


@rule(
    code="CR-SEL-002",
    title=_("黑名单机构不得报名"),
    transitions=POOL,
    basis=cite(
        _("%(joint)s：对严重失信主体加大惩戒力度。清退的机构在禁入期内不得参与选取，由部署地中介超市管理办法规定。"),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构已被清退并列入黑名单（禁入期至 %(until)s），不得报名。"),
)
def expelled(f: Facts) -> Outcome | None:
    """An expelled agency cannot take part in any selection."""
    m = f.measure(MeasureKind.EXPEL)
    if m:
        return refuse(until=fmt_date(m.ends_at))
    return None


@rule(
    code="CR-SEL-003",
    title=_("外部失信名单"),
    transitions=POOL,
    basis=cite(_("%(debtors)s：限制失信被执行人参与政府采购活动。"), debtors=JUDGMENT_DEBTOR_MEMORANDUM),
    message=_("贵机构被列入「%(source)s」（列入日期 %(listed_on)s），不得参与选取。"),
)
def listed(f: Facts) -> Outcome | None:
    """Agencies on an external dishonesty list are kept out of selections."""
    if f.listings:
        return refuse(source=f.listings[0].source, listed_on=fmt_date(f.listings[0].listed_on))
    return None


@rule(
    code="CR-SEL-004",
    title=_("限制期间在办项目上限"),
    transitions=POOL | AFTER_AWARD,
    basis=cite(
        _(
            "%(supervision)s：以信用为基础实施分级分类监管。限制交易期间同时在办项目的上限由部署地中介超市管理办法规定。"
        ),
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("贵机构处于限制交易期间，已有 %(open)s 个在办项目，完成后方可再报名。"),
)
def restricted_capacity(f: Facts) -> Outcome | None:
    """A restricted agency may hold at most one open engagement."""
    if f.measure(MeasureKind.RESTRICT) and int(f.context.get("open_engagements", 0)) >= 1:
        return refuse(open=f.context.get("open_engagements"))
    return None


@rule(
    code="CR-SEL-005",
    title=_("限制期间不得直接选取"),
    transitions=POOL,
    basis=cite(
        _("%(supervision)s：以信用为基础实施分级分类监管。限制交易期间不得被直接选取，由部署地中介超市管理办法规定。"),
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("该机构处于限制交易期间，不得被直接选取。"),
)
def restricted_direct(f: Facts) -> Outcome | None:
    """A restricted agency cannot be chosen directly."""
    if f.measure(MeasureKind.RESTRICT) and f.context.get("method") == "direct":
        return refuse()
    return None


@rule(
    code="CR-SEL-006",
    title=_("非在册机构"),
    transitions=POOL | AFTER_AWARD,
    basis=cite(
        _(
            "%(environment)s：维护公开、公平的中介服务市场，不得为市场主体指定中介服务机构。参与选取的须为入驻在册的机构，由部署地中介超市管理办法规定。"
        ),
        environment=BUSINESS_ENVIRONMENT_REGULATION,
    ),
    message=_("贵机构当前入驻状态为「%(state)s」，须为正常或限制状态方可报名。"),
)
def not_member(f: Facts) -> Outcome | None:
    """Only admitted agencies (active or restricted) take part; a lapsed term is the term rule's to say (CR-ONB-007)."""
    state = f.context.get("member_state")
    if state is not None and state not in ("active", "restricted", "lapsed"):
        return refuse(state=f.context.get("member_state_label", state))
    return None


@rule(
    code="CR-SEL-007",
    title=_("资质不符"),
    transitions=SIGNUP,
    basis=cite(
        _(
            "报名机构应当具备项目要求的有效资质，由部署地中介超市管理办法规定（示例：%(hukou)s将资质过期列为一般违规行为）。"
        ),
        hukou=HUKOU_NEGATIVE_LIST,
    ),
    message=_("贵机构缺少本项目要求的有效资质：%(missing)s。"),
)
def unqualified(f: Facts) -> Outcome | None:
    """The project's qualification requirement must be met by licences valid today."""
    missing = f.context.get("missing_qualifications")
    if missing:
        return refuse(missing=str(_("、")).join(missing))
    return None


@rule(
    code="CR-SEL-008",
    title=_("回避"),
    transitions=SIGNUP,
    basis=cite(
        _(
            "%(environment)s：维护公开、公平的中介服务市场。与项目业主存在利害关系的机构应当回避，由部署地中介超市管理办法规定。"
        ),
        environment=BUSINESS_ENVIRONMENT_REGULATION,
    ),
    message=_("项目业主已申请该机构回避本项目：%(reason)s。"),
)
def avoided(f: Facts) -> Outcome | None:
    """Agencies on the buyer's avoid list (回避) are kept out, with the buyer's stated reason."""
    reason = f.context.get("avoid_reason")
    if reason:
        return refuse(reason=reason)
    return None


@rule(
    code="CR-CON-001",
    title=_("中选后签约前处于失信措施期间"),
    transitions=AFTER_AWARD,
    basis=cite(
        _(
            "%(joint)s：对失信主体实施联合惩戒。中选后至签约前处于暂停或清退期间的，撤销中选资格、由排名下一位可中选的机构递补，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构正处于「%(measure)s」措施期间（%(since)s 起），撤销中选资格。"),
)
def measure_in_force(f: Facts) -> list[Outcome] | None:
    """A suspension or expulsion in force when the win is confirmed or contracted — whenever it began —
    refuses the step and revokes the win."""
    for kind in (MeasureKind.EXPEL, MeasureKind.SUSPEND):
        m = f.measure(kind)
        if m:
            params: dict[str, Any] = {"measure": str(MeasureKind(kind).label), "since": fmt_date(m.starts_at)}
            return [refuse(**params), order(MeasureKind.REVOKE, **params)]
    return None


# A bidder's challenge (质疑) to the result, or its complaint (投诉) to the supervisor, is pending.
CHALLENGE_HOLDS = {"project.confirm_winner", "signup.decline"}


@rule(
    code="CR-SEL-009",
    title=_("质疑、投诉处理期间暂缓确认中选结果"),
    transitions=CHALLENGE_HOLDS,
    basis=cite(
        _(
            "%(environment)s：维护公开、公平的中介服务市场。中选结果公示期内有未办结的质疑或投诉的，暂缓确认中选结果，由部署地中介超市管理办法规定。"
        ),
        environment=BUSINESS_ENVIRONMENT_REGULATION,
    ),
    message=_("本项目有 %(pending)s 件质疑或投诉尚未办结，中选结果暂缓确认，办结后继续。"),
)
def challenge_pending(f: Facts) -> Outcome | None:
    """While a challenge or complaint about the result is pending, the result is not confirmed (where the policy says so)."""
    pending = f.context.get("challenges_pending") or 0
    if pending and f.policy.challenge_holds_award:
        return refuse(pending=pending)
    return None


@rule(
    code="CR-SEL-010",
    title=_("投诉成立，撤销中选结果"),
    transitions={"challenge.upheld"},
    basis=cite(
        _(
            "%(environment)s：维护公开、公平的中介服务市场。监管部门认定对中选结果的投诉成立的，撤销中选资格，由排名下一位可中选的机构递补或重新选取，由部署地中介超市管理办法规定。"
        ),
        environment=BUSINESS_ENVIRONMENT_REGULATION,
    ),
    message=_("监管部门认定对项目 %(project)s 中选结果的投诉成立，撤销中选资格。"),
)
def complaint_upheld(f: Facts) -> Outcome | None:
    """A complaint about the result upheld by the supervisor revokes the win; the next alternate steps up."""
    if f.context.get("upheld"):
        return order(MeasureKind.REVOKE, project=f.context.get("project", ""))
    return None
