"""Reward (奖) rules: the record orders a reward measure — the green channel — and ends it.

A reward runs for the policy's ``reward_months`` and ends by itself; the credit sweep grants it again
while the record still earns it. It ends at once when a negative entry lands (a lift), and a punitive
measure in force or a dishonesty listing ends it too. While it runs the agency enters and renews by
the green channel (CR-ONB-005), comes first in a lowest-price tie, and is on the public red list.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import CREDIT_BASED_SUPERVISION, JOINT_REWARD_PUNISHMENT, cite
from ..models import MeasureKind
from .base import Facts, Outcome, lift, order, rule

# The measures that punish: one in force ends a reward and keeps a new one from starting.
PUNITIVE = (MeasureKind.RESTRICT, MeasureKind.SUSPEND, MeasureKind.EXPEL)


def _punished(f: Facts) -> bool:
    return bool(f.listings) or any(m.kind in PUNITIVE for m in f.measures)


def sustained_top_grade(f: Facts) -> bool:
    """Grade A now and at the start of the policy's green-channel window, for a member throughout it,
    with no negative entry (a lost point, a punitive measure) in the window."""
    member_since = f.context.get("member_since")
    if not member_since:
        return False
    window_start = f.at - f.policy.months(f.policy.green_channel_months)
    if member_since > window_start:
        return False
    return f.grade == "A" and f.policy.grade_for(f.score_green_start) == "A" and f.negatives_in_green_window == 0


@rule(
    code="CR-RWD-001",
    title=_("连续保持 A 级信用给予激励"),
    transitions={"standing.review"},
    basis=cite(
        _(
            "%(joint)s：对守信主体实行“绿色通道”等激励措施；%(supervision)s：以信用为基础实施分级分类监管。连续保持 A 级的期间和激励期限由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
        supervision=CREDIT_BASED_SUPERVISION,
    ),
    message=_("连续 %(window)s 个月保持 A 级信用且无失信记录，给予守信激励（绿色通道）%(months)s 个月。"),
)
def top_grade_rewarded(f: Facts) -> Outcome | None:
    """The credit sweep's review finds grade A held through the window with a clean record: a reward."""
    if not f.policy.reward_months or f.measure(MeasureKind.REWARD) or _punished(f) or not sustained_top_grade(f):
        return None  # a policy with no reward period gives no rewards
    return order(MeasureKind.REWARD, months=f.policy.reward_months, window=f.policy.green_channel_months)


@rule(
    code="CR-RWD-002",
    title=_("表彰荣誉给予激励"),
    transitions={"ledger.recorded"},
    basis=cite(
        _(
            "%(joint)s：褒扬诚信，对守信主体实施联合激励，实行“绿色通道”等激励措施。哪些表彰荣誉给予激励及激励期限由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("记录「%(title)s」，信用等级 A 级，给予守信激励（绿色通道）%(months)s 个月。"),
)
def honour_rewarded(f: Facts) -> Outcome | None:
    """An honour the policy's catalogue marks as rewarding, recorded for a grade-A agency under no
    punitive measure, starts a reward (or one running longer than the one in force)."""
    months = f.policy.reward_months
    if not months or not f.context.get("new_rewards") or f.grade != "A" or _punished(f):
        return None
    running = f.measure(MeasureKind.REWARD)
    if running and (running.ends_at is None or running.ends_at >= f.at + f.policy.months(months)):
        return None
    return order(MeasureKind.REWARD, months=months, title=f.context.get("new_title", ""))


@rule(
    code="CR-RWD-003",
    title=_("失信记录终止激励"),
    transitions={"ledger.recorded", "standing.review"},
    basis=cite(
        _(
            "%(joint)s：褒扬诚信、惩戒失信，让守信者受益、失信者受限。激励以守信为条件，出现失信记录或受到惩戒的即终止，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("出现失信记录或受到惩戒，守信激励（绿色通道）终止。"),
)
def reward_ends(f: Facts) -> list[Outcome] | None:
    """A reward ends the moment a negative entry lands (an event costing points, a punitive measure),
    and whenever the review finds a punitive measure or a dishonesty listing in force."""
    rewards = [m for m in f.measures if m.kind == MeasureKind.REWARD]
    negative = int(f.context.get("new_points", 0) or 0) < 0 or f.context.get("new_measure") in PUNITIVE
    if not rewards or not (negative or _punished(f)):
        return None
    return [lift(m.entry_id) for m in rewards]
