"""Entry (入驻) rules: who may be admitted, and who is fast-tracked."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ..citations import CREDIT_REPAIR_MEASURES, JOINT_REWARD_PUNISHMENT, JUDGMENT_DEBTOR_MEMORANDUM, cite
from ..models import MeasureKind
from .base import Facts, Outcome, fast_track, fmt_date, refuse, rule
from .reward import sustained_top_grade

ENTRY = {"membership.submit", "membership.approve", "membership.renew"}


@rule(
    code="CR-ONB-001",
    title=_("外部失信名单"),
    transitions=ENTRY,
    basis=cite(
        _(
            "%(debtors)s：限制失信被执行人参与政府采购活动；%(joint)s：对失信主体实施联合惩戒。名单有效期间不予入驻，由部署地中介超市管理办法规定。"
        ),
        debtors=JUDGMENT_DEBTOR_MEMORANDUM,
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构被列入「%(source)s」（%(reason)s，列入日期 %(listed_on)s），名单有效期间不得入驻。"),
)
def external_listing(f: Facts) -> Outcome | None:
    """An organisation on an external dishonesty list cannot enter while the listing is in force."""
    if f.listings:
        listing = f.listings[0]
        return refuse(source=listing.source, reason=listing.reason, listed_on=fmt_date(listing.listed_on))
    return None


@rule(
    code="CR-ONB-002",
    title=_("清退禁入期"),
    transitions=ENTRY,
    basis=cite(
        _(
            "%(joint)s：褒扬诚信、惩戒失信，对严重失信主体加大惩戒力度；%(repair)s：严重失信信息公示期最长 3 年。清退后的禁入期限由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
        repair=CREDIT_REPAIR_MEASURES,
    ),
    message=_("贵机构已被清退并列入黑名单，禁入期至 %(until)s，期满前不得重新申请入驻。"),
)
def reentry_bar(f: Facts) -> Outcome | None:
    """An expelled agency cannot re-enter until its re-entry bar ends."""
    expel = f.measure(MeasureKind.EXPEL)
    if expel:
        return refuse(until=fmt_date(expel.ends_at))
    return None


@rule(
    code="CR-ONB-003",
    title=_("严重失信记录"),
    transitions={"membership.submit", "membership.approve"},
    basis=cite(
        _(
            "%(joint)s：对严重失信主体加大惩戒力度；%(repair)s：严重失信信息公示期最短 1 年、最长 3 年。入驻审查的回溯期限由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
        repair=CREDIT_REPAIR_MEASURES,
    ),
    message=_("贵机构于 %(date)s 有严重失信记录「%(title)s」，仍在 %(months)s 个月审查期内，暂不予入驻。"),
)
def serious_record(f: Facts) -> Outcome | None:
    """Serious or grave events within the policy's look-back refuse entry."""
    if f.serious_events:
        event = max(f.serious_events, key=lambda e: e.effective_at)
        return refuse(date=fmt_date(event.effective_at), title=event.title, months=f.policy.entry_lookback_months)
    return None


@rule(
    code="CR-ONB-004",
    title=_("暂停期间不得入驻"),
    transitions={"membership.submit", "membership.approve"},
    basis=cite(
        _(
            "%(joint)s：褒扬诚信、惩戒失信，让守信者受益、失信者受限。暂停交易资格期间不得申请入驻，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构处于暂停交易资格期间（至 %(until)s），期满后方可申请。"),
)
def suspended_applicant(f: Facts) -> Outcome | None:
    """An agency still under a suspension (e.g. after withdrawing) cannot apply until it ends."""
    suspension = f.measure(MeasureKind.SUSPEND)
    if suspension:
        return refuse(until=fmt_date(suspension.ends_at))
    return None


@rule(
    code="CR-ONB-005",
    title=_("绿色通道快速通过"),
    transitions={"membership.submit", "membership.renew"},
    basis=cite(_("%(joint)s：对守信主体实行“绿色通道”等激励措施。"), joint=JOINT_REWARD_PUNISHMENT),
    message=_("贵机构正受守信激励或连续 %(months)s 个月保持 A 级信用，适用绿色通道，免于人工审核。"),
)
def green_channel(f: Facts) -> Outcome | None:
    """A reward in force (the green channel) → fast track; so does grade A held through the green window
    with a clean record, which the credit sweep is about to reward (CR-RWD-001)."""
    if f.measure(MeasureKind.REWARD) or sustained_top_grade(f):
        return fast_track(months=f.policy.green_channel_months)
    return None


@rule(
    code="CR-ONB-006",
    title=_("续期须人工审核"),
    transitions={"membership.renew"},
    basis=cite(
        _(
            "%(joint)s：对守信主体实行“绿色通道”等激励措施。不符合条件的机构续期由监管部门审核，由部署地中介超市管理办法规定。"
        ),
        joint=JOINT_REWARD_PUNISHMENT,
    ),
    message=_("贵机构未达到绿色通道条件，续期申请已转监管部门审核。"),
)
def renewal_needs_review(f: Facts) -> Outcome | None:
    """An agency renewing by itself is refused unless fast-tracked; supervisors renew after review."""
    if f.context.get("actor_role") == "agency" and not green_channel(f):
        return refuse()
    return None
