"""Reward (奖) is real: the rules order reward measures from the record and end them, and the reward counts —
the green channel at entry and renewal, first place in a lowest-price tie, the red list and its notice, the
statistics — while the credit sweep finds the agencies that earned one in one set-based query."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.gate import MeasureOrder
from credit_rules.models import DecisionRecord, LedgerEntry, MeasureKind
from credit_rules.selectors import subject_list_for_redlist
from credit_rules.services import subject_for_agency
from credit_rules.standing import standing_compute
from tests.factories import (
    AgencyFactory,
    admitted_agency,
    agencies,
    applied_case,
    published_project,
    record_event,
    signup_closed,
    signups_submit,
    warn,
    winner_of,
)
from tests.helpers import DAY, clock, refetch
from workflows.models import Membership
from workflows.selectors.statistics import statistics_for_public
from workflows.services import membership as membership_services
from workflows.services.credit import measures as measure_services
from workflows.services.credit import sweeps as credit_sweeps

pytestmark = pytest.mark.django_db


def long_member(months: int = 13, **kwargs):
    """An agency admitted through the entry path ``months`` ago (only the clock is moved)."""
    with clock(timezone.now() - relativedelta(months=months)):
        return admitted_agency(**kwargs)


def reward_entries(agency) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(subject__agency=agency, measure=MeasureKind.REWARD).order_by("seq"))


# --- granted ------------------------------------------------------------------------------------------


def test_sustained_grade_a_is_rewarded_by_the_credit_sweep_without_any_new_entry(supervisor):
    # given a member for thirteen months at grade A with a clean record, and a newcomer at grade A
    agency, membership, _user = long_member()
    newcomer, _m, _u = admitted_agency(supervisor=supervisor)
    assert not subject_for_agency(agency).is_rewarded
    # when the credit sweep runs
    result = credit_sweeps.credit_sweep()
    # then the long member alone is rewarded for the policy's reward period, announced on the red list
    assert result["rewards"] == 1
    (reward,) = reward_entries(agency)
    assert reward.rule_code == "CR-RWD-001" and reward.expires_at == reward.effective_at + relativedelta(months=12)
    assert subject_for_agency(agency).is_rewarded and not subject_for_agency(newcomer).is_rewarded
    notice = NoticeRequest.objects.get(kind="red_list")
    assert notice.payload["agency"]["uscc"] == agency.uscc and notice.payload["measure"] == "reward"
    assert [s.agency_id for s in subject_list_for_redlist()] == [agency.pk]
    assert DecisionRecord.objects.filter(transition="standing.review", measures__0__kind="reward").count() == 1
    # and a second sweep finds nothing left to do
    assert credit_sweeps.credit_sweep()["rewards"] == 0
    assert len(reward_entries(agency)) == 1


def test_no_reward_for_a_member_with_a_negative_entry_in_the_window():
    agency, _membership, _user = long_member()
    record_event(agency, "RATING_POOR", at=timezone.now() - relativedelta(months=6))
    record_event(agency, "RATING_EXCELLENT")  # back to grade A (97): still not a clean window
    assert credit_sweeps.credit_sweep()["rewards"] == 0
    assert reward_entries(agency) == []


def test_no_reward_after_a_punitive_measure_in_the_window_even_without_a_lost_point(supervisor):
    # given a long member restricted for a month by a supervisor's case, the month now over
    agency, _membership, _user = long_member(supervisor=supervisor)
    case = applied_case(agency, supervisor, measure="restrict", months=1, facts="同时在办项目超出承接能力。")
    later = case.measure_entry.expires_at + DAY
    credit_sweeps.credit_sweep(later)
    # then the restriction within the window keeps the green channel closed
    with clock(later):
        assert credit_sweeps.credit_sweep()["rewards"] == 0
    assert reward_entries(agency) == []


def test_an_honour_rewards_a_grade_a_agency_at_once(supervisor):
    # given a newly admitted agency (no sustained grade A yet)
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    # when an honour the catalogue marks as rewarding is recorded
    honour = record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    # then a reward starts with it, for the policy's period, and the red list and its notice show it
    (reward,) = reward_entries(agency)
    assert reward.rule_code == "CR-RWD-002" and reward.effective_at == honour.effective_at
    assert reward.evidence["trigger_entry"] == honour.pk
    assert subject_for_agency(agency).is_rewarded
    assert NoticeRequest.objects.filter(kind="red_list", payload__measure="reward").count() == 1
    assert [s.agency_id for s in subject_list_for_redlist()] == [agency.pk]


def test_an_honour_does_not_reward_an_agency_below_grade_a(supervisor):
    # given an agency at 80 (grade B) after four poor ratings
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    for _ in range(4):
        record_event(agency, "RATING_POOR")
    # when an honour is recorded (85: still grade B)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    # then it counts its points but rewards nothing, and puts the agency on no red list
    assert standing_compute(subject_for_agency(agency)).grade == "B"
    assert reward_entries(agency) == []
    assert subject_list_for_redlist().count() == 0


@pytest.mark.usefixtures("fresh_policy_cache")
def test_a_policy_without_a_reward_period_gives_no_rewards(supervisor):
    from credit_rules.models import PolicyVersion
    from credit_rules.policy import policy_draft_from, policy_publish

    draft = policy_draft_from(base=PolicyVersion.objects.get(version=1))
    PolicyVersion.objects.filter(pk=draft.pk).update(reward_months=0)
    policy_publish(version=draft, effective_from=timezone.now() - datetime.timedelta(seconds=1))
    agency, _membership, _user = long_member()
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    assert credit_sweeps.credit_sweep()["rewards"] == 0
    assert reward_entries(agency) == []


# --- ended --------------------------------------------------------------------------------------------


def test_a_reward_expires_by_itself(supervisor):
    # given an agency rewarded for an honour that is no member (so nothing earns it a reward again)
    agency = AgencyFactory()
    record_event(agency, "HONOUR_TAX_A", actor=supervisor)
    (reward,) = reward_entries(agency)
    assert subject_for_agency(agency).is_rewarded
    # when its period ends, the credit sweep refreshes the standing and finds it over
    with clock(reward.expires_at + DAY):
        result = credit_sweeps.credit_sweep()
    # then it is no longer in force, with no entry written to end it
    assert result["standings"] == 1 and result["rewards"] == 0
    assert not subject_for_agency(agency).is_rewarded
    assert not reward.followups.exists()
    assert subject_list_for_redlist(reward.expires_at + DAY).count() == 0


def test_a_member_who_still_earns_it_is_rewarded_again_when_it_expires(supervisor):
    # given a member rewarded for an honour when it entered, whose record stays clean
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_TAX_A", actor=supervisor)
    (first,) = reward_entries(agency)
    # when the reward ends, a year of grade A as a member has earned the next one
    with clock(first.expires_at + DAY):
        assert credit_sweeps.credit_sweep()["rewards"] == 1
    # then a new reward follows under the sustained-grade rule
    old, new = reward_entries(agency)
    assert old == first and new.rule_code == "CR-RWD-001" and new.effective_at == first.expires_at + DAY


def test_the_first_negative_entry_ends_the_reward_at_once(supervisor):
    # given a rewarded agency
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    (reward,) = reward_entries(agency)
    # when a poor rating (a lost point, still grade A) lands
    poor = record_event(agency, "RATING_POOR")
    # then the reward is lifted at that moment by the rule, and the agency leaves the red list
    lifted = reward.followups.get(kind=LedgerEntry.Kind.NEUTRALISE)
    assert (lifted.reason, lifted.rule_code, lifted.effective_at) == ("lifted", "CR-RWD-003", poor.effective_at)
    subject = subject_for_agency(agency)
    assert subject.grade == "A" and not subject.is_rewarded
    assert subject_list_for_redlist().count() == 0


def test_a_punitive_measure_ends_the_reward_too(supervisor):
    # given a rewarded agency on which a supervisor's case applies a restriction (no event, only a measure)
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    applied_case(agency, supervisor, measure="restrict", months=3, facts="同时在办项目超出承接能力。")
    # then the restriction ended the reward as it was recorded
    (reward,) = reward_entries(agency)
    assert reward.followups.get(kind=LedgerEntry.Kind.NEUTRALISE).rule_code == "CR-RWD-003"
    assert not subject_for_agency(agency).is_rewarded


def test_the_sweep_ends_a_reward_a_measure_met_outside_the_services(supervisor):
    # given a rewarded agency restricted by a measure written without the escalation (as an import would)
    agency, _membership, _user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    subject = subject_for_agency(agency)
    from credit_rules.services import measure_record

    measure_record(subject=subject, kind=MeasureKind.RESTRICT, rule_code="CR-SUP-001", basis="")
    assert subject_for_agency(agency).is_rewarded and subject_for_agency(agency).is_restricted
    # when the credit sweep reviews the rewards, the reward is lifted
    assert credit_sweeps.rewards_review() == 1
    assert not subject_for_agency(agency).is_rewarded


# --- the sweep is set-based -----------------------------------------------------------------------------


def test_the_reward_review_does_not_loop_over_the_agencies():
    # given many grade-A members who have not earned a reward (new), and none that has
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert credit_sweeps.rewards_review() == 0
        return len(ctx.captured_queries)

    admitted_agency()
    one = queries()
    for _ in range(15):
        admitted_agency()
    # then the review costs the same few queries whatever their number
    assert queries() == one <= 3


# --- what a reward gives --------------------------------------------------------------------------------


def test_green_channel_at_renewal_follows_the_reward_in_force(supervisor):
    # given a newcomer rewarded for an honour, and another without a reward
    agency, membership, user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    other, other_membership, other_user = admitted_agency(supervisor=supervisor)
    # when both renew by themselves
    renewed = membership_services.membership_renew(membership=membership, actor=user, as_role="agency")
    refused = membership_services.membership_renew(membership=other_membership, actor=other_user, as_role="agency")
    # then the rewarded one is fast-tracked by the green channel; the other goes to a supervisor
    assert renewed.ok and renewed.decision.fast_track
    assert [r.rule_code for r in renewed.decision.reasons] == ["CR-ONB-005"]
    assert not refused.ok and "CR-ONB-006" in [r.rule_code for r in refused.refusals]


def test_the_rewarded_agency_comes_first_in_a_lowest_price_tie(supervisor, buyer):
    # given three agencies; the first two will quote the same lowest price
    pool = agencies(3, supervisor=supervisor)
    (rewarded, _u1), (better_score, _u2), _third = pool
    record_event(rewarded, "HONOUR_RED_LIST", actor=supervisor)  # 105, rewarded
    for _ in range(4):
        record_event(better_score, "RATING_EXCELLENT")  # 108, not rewarded: the higher score
    assert subject_for_agency(rewarded).is_rewarded and not subject_for_agency(better_score).is_rewarded
    project = published_project("price", buyer=buyer)
    signups_submit(project, [pool[1], pool[0], pool[2]], quotes=("50000", "50000", "60000"))
    # when the sign-up closes and the lowest price wins
    project = signup_closed(project)
    # then the tie goes to the green channel before the credit score, with no draw needed between them
    winner, _user = winner_of(project, pool)
    assert winner.agency == rewarded
    ranked = list(project.signups.order_by("rank").values_list("agency_id", flat=True))
    assert ranked == [rewarded.pk, better_score.pk, pool[2][0].pk]


def test_the_statistics_count_rewards(supervisor):
    # given two rewards this month (one lifted since), and a suspension
    first, _m, _u = admitted_agency(supervisor=supervisor)
    second, _m2, _u2 = admitted_agency(supervisor=supervisor)
    record_event(first, "HONOUR_RED_LIST", actor=supervisor)
    record_event(second, "HONOUR_TAX_A", actor=supervisor)
    record_event(second, "RATING_POOR")
    measure_services.measures_apply(
        subject=subject_for_agency(first), orders=[MeasureOrder("CR-ESC-001", MeasureKind.SUSPEND, months=1)]
    )
    # when the statistics are read
    stats = statistics_for_public()
    month = stats.months[-1]
    # then the rewards given this month count (a lifted one happened), and none is in force now
    assert stats.measure_count(month, MeasureKind.REWARD) == 2
    assert stats.measure_count(month, MeasureKind.SUSPEND) == 1
    assert stats.measure_total(MeasureKind.REWARD) == 2 and stats.rewarded_now == 0


def test_a_rewarded_member_may_still_be_warned_and_the_reward_ends(supervisor):
    agency, membership, _user = admitted_agency(supervisor=supervisor)
    record_event(agency, "HONOUR_RED_LIST", actor=supervisor)
    warn(agency, supervisor)
    assert not subject_for_agency(agency).is_rewarded
    assert refetch(membership).state == Membership.State.ACTIVE
