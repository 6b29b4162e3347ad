"""Due process for automatic measures (失信告知): a punitive measure a rule orders by itself is told to the agency
first, takes effect when the response period ends unanswered (the credit sweep), is decided by a supervisor once
the agency has answered, and falls with the entry it rests on; the rules the policy marks immediate act at once,
each for the reason the policy gives."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry, MeasureKind, PolicyVersion
from credit_rules.policy import policy_at, policy_draft_from, policy_publish
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError
from tests.factories import (
    awarded_project,
    hearing_lapsed,
    list_agency,
    notice_lapses,
    pending_notice,
    proposed_case,
    record_event,
    warn,
    warned_twice,
    winner_of,
)
from tests.helpers import after, assert_refused, refetch
from workflows.models import CreditCase, Membership, SignUp, TransitionLog
from workflows.services.credit import cases as case_services
from workflows.services.credit import objections as objection_services
from workflows.services.credit import sweeps as credit_sweeps
from workflows.services.transitions import transition_run

pytestmark = pytest.mark.django_db

State = CreditCase.State
Outcome = TransitionLog.Outcome


def suspensions(agency) -> int:
    return LedgerEntry.objects.filter(subject__agency=agency, measure=MeasureKind.SUSPEND).count()


# --- the notice -------------------------------------------------------------------------------------


def test_a_second_warning_opens_a_prior_notice_instead_of_suspending(supervisor, member):
    agency, membership, _user = member
    # when a second warning within the window sets off the suspension rule
    warn(agency, supervisor)
    second = warn(agency, supervisor, "再次逾期提交成果。")
    # then the suspension is not in force: the agency is told first, by the system, with the rule's reasons
    notice = pending_notice(agency)
    assert notice.state == State.NOTIFIED and notice.is_automatic
    assert (notice.rule_code, notice.measure, notice.months) == ("CR-ESC-001", MeasureKind.SUSPEND, 1)
    assert notice.rule_params == {"months": 1, "window": 12, "count": 2}
    assert notice.facts == "12 个月内累计 2 次信用警告，暂停交易资格 1 个月。"
    assert notice.trigger_entry_id == second.pk and notice.proposed_by is None
    days = policy_at().case_response_days
    assert notice.notified_at == second.effective_at
    assert notice.response_due == second.effective_at + datetime.timedelta(days=days)
    notify = TransitionLog.objects.get(object_id=notice.pk, content_type__model="creditcase", transition="notify")
    assert notify.actor is None and notify.outcome == Outcome.DONE
    # nothing is in force: no measure, no suspension notice, the membership active, the gate does not refuse
    assert suspensions(agency) == 0 and not NoticeRequest.objects.filter(kind="suspension").exists()
    assert refetch(membership).state == Membership.State.ACTIVE
    assert not subject_for_agency(agency).is_suspended
    # the escalation's decision is kept, with the order it gave
    decision = DecisionRecord.objects.get(transition="ledger.recorded", measures__0__kind="suspend")
    assert decision.measures[0]["rule"] == "CR-ESC-001"


def test_a_further_warning_while_the_notice_is_pending_opens_no_second_notice(supervisor, member):
    agency, _membership, _user = member
    notice = warned_twice(agency, supervisor)
    warn(agency, supervisor, "第三次警告。")
    assert list(CreditCase.objects.filter(agency=agency)) == [notice]


def test_the_measure_takes_effect_when_the_period_ends_unanswered(supervisor, member):
    agency, membership, _user = member
    notice = warned_twice(agency, supervisor)
    # before the due date the sweep leaves it alone
    assert credit_sweeps.credit_sweep(notice.response_due - datetime.timedelta(seconds=1))["notices_applied"] == 0
    assert refetch(notice).state == State.NOTIFIED
    # at the due date the sweep applies it, as the system, under the rule's own code
    due = after(notice.response_due)
    assert credit_sweeps.credit_sweep(due)["notices_applied"] == 1
    notice = refetch(notice)
    assert notice.state == State.APPLIED and notice.decided_by is None
    measure = notice.measure_entry
    assert (measure.measure, measure.rule_code, measure.effective_at) == (MeasureKind.SUSPEND, "CR-ESC-001", due)
    assert measure.evidence["trigger_entry"] == notice.trigger_entry_id and measure.evidence["case"] == notice.pk
    apply = TransitionLog.objects.get(object_id=notice.pk, content_type__model="creditcase", transition="apply")
    assert apply.actor is None and apply.outcome == Outcome.DONE
    # the suspension is in force, mirrored and announced
    assert refetch(membership).state == Membership.State.SUSPENDED
    assert NoticeRequest.objects.get(kind="suspension").payload["rule_code"] == "CR-ESC-001"
    # and a second sweep (or a second worker) applies nothing more
    assert credit_sweeps.credit_sweep(due)["notices_applied"] == 0
    assert suspensions(agency) == 1


def test_the_agency_answers_and_the_supervisor_dismisses(supervisor, member):
    agency, membership, user = member
    notice = warned_twice(agency, supervisor)
    # when the agency answers within the period
    case_services.case_respond(case=notice, actor=user, response="逾期系业主延迟提供资料所致。")
    # then the sweep does not apply it at the due date: a supervisor decides on the answer
    assert credit_sweeps.credit_sweep(after(notice.response_due))["notices_applied"] == 0
    assert refetch(notice).state == State.NOTIFIED
    # when the supervisor dismisses it with a reason
    result = case_services.case_decide(case=notice, actor=supervisor, apply=False, note="申辩成立，不予暂停。")
    # then nothing is recorded against the agency
    assert result.ok and refetch(notice).state == State.DISMISSED
    assert suspensions(agency) == 0 and refetch(membership).state == Membership.State.ACTIVE


def test_the_agency_answers_and_the_supervisor_applies_under_the_rule(supervisor, member):
    agency, membership, user = member
    notice = warned_twice(agency, supervisor)
    case_services.case_respond(case=notice, actor=user, response="请从轻处理。")
    # the answer is in: the supervisor may decide before the period ends
    result = case_services.case_decide(case=notice, actor=supervisor, apply=True, note="申辩理由不成立。")
    assert result.ok
    measure = refetch(notice).measure_entry
    assert (measure.rule_code, measure.measure, measure.recorded_by) == ("CR-ESC-001", MeasureKind.SUSPEND, supervisor)
    assert refetch(membership).state == Membership.State.SUSPENDED


def test_nobody_applies_it_while_the_agency_may_still_answer(supervisor, member):
    agency, _membership, _user = member
    notice = warned_twice(agency, supervisor)
    with pytest.raises(ApplicationError):
        case_services.case_decide(case=notice, actor=supervisor, apply=True, note="提前实施")
    assert refetch(notice).state == State.NOTIFIED and suspensions(agency) == 0


def test_the_system_applies_only_the_rules_notices(supervisor, member):
    # a supervisor's own case is decided by a supervisor: the system may not apply it
    agency, _membership, _user = member
    case = proposed_case(agency, supervisor)
    assert case_services.case_notify(case=case, actor=supervisor).ok
    hearing_lapsed(case)
    assert credit_sweeps.credit_sweep()["notices_applied"] == 0
    assert_refused(
        case,
        Outcome.REFUSED_PERMISSION,
        lambda: transition_run(obj=case, name="apply", params={"at": timezone.now(), "user": None, "note": ""}),
    )


# --- falling with the entry it rests on ---------------------------------------------------------------


def test_overturning_the_triggering_warning_drops_the_pending_notice(supervisor, member):
    agency, membership, user = member
    notice = warned_twice(agency, supervisor)
    objection = objection_services.objection_submit(
        entry=notice.trigger_entry, actor=user, reason="逾期系业主延迟提供基础资料所致。"
    )
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="成立").ok
    notice = refetch(notice)
    assert notice.state == State.DISMISSED and notice.decided_by is None
    dismiss = TransitionLog.objects.get(object_id=notice.pk, content_type__model="creditcase", transition="dismiss")
    assert dismiss.actor is None
    # and nothing takes effect at the due date
    assert credit_sweeps.credit_sweep(after(notice.response_due))["notices_applied"] == 0
    assert suspensions(agency) == 0 and refetch(membership).state == Membership.State.ACTIVE


def test_overturning_the_other_warning_the_threshold_needs_drops_it_too(supervisor, member):
    agency, _membership, user = member
    first = warn(agency, supervisor, "第一次。")
    second = warn(agency, supervisor, "第二次。")
    notice = pending_notice(agency)
    assert notice.trigger_entry_id == second.pk
    objection = objection_services.objection_submit(entry=first, actor=user, reason="重复警告。")
    objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="成立")
    assert refetch(notice).state == State.DISMISSED


def test_overturning_an_unrelated_entry_keeps_the_notice(supervisor, member):
    agency, _membership, user = member
    poor = record_event(agency, "RATING_POOR")
    notice = warned_twice(agency, supervisor)
    objection = objection_services.objection_submit(entry=poor, actor=user, reason="评价有误。")
    objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="成立")
    assert refetch(notice).state == State.NOTIFIED


# --- the expulsions are told first too; a finding the agency was heard on acts at once --------------------


def test_a_third_complaint_notifies_the_expulsion_first(supervisor, member):
    agency, membership, _user = member
    for days in (200, 40, 0):
        record_event(agency, "QUALITY_COMPLAINT", at=timezone.now() - datetime.timedelta(days=days), actor=supervisor)
    notice = pending_notice(agency)
    assert (notice.rule_code, notice.measure, notice.months) == ("CR-ESC-002", MeasureKind.EXPEL, 36)
    assert refetch(membership).state == Membership.State.ACTIVE
    notice_lapses(notice)
    assert refetch(membership).state == Membership.State.EXPELLED


def test_false_materials_recorded_outside_a_case_notify_the_expulsion_first(supervisor, member):
    agency, membership, _user = member
    record_event(agency, "FALSE_MATERIALS", actor=supervisor)
    notice = pending_notice(agency)
    assert (notice.rule_code, notice.measure, notice.months) == ("CR-ESC-003", MeasureKind.EXPEL, 36)
    assert refetch(membership).state == Membership.State.ACTIVE
    notice_lapses(notice)
    assert refetch(membership).state == Membership.State.EXPELLED


def test_false_materials_found_in_a_heard_case_expel_at_once(supervisor, member):
    # given a case on the grave finding: the agency was told and heard on it
    agency, membership, _user = member
    case = case_services.case_propose(
        agency=agency, actor=supervisor, facts="业绩合同经核查系伪造。", ground_code="FALSE_MATERIALS"
    )
    assert case_services.case_notify(case=case, actor=supervisor).ok
    hearing_lapsed(case)
    # when the supervisor decides it
    assert case_services.case_decide(case=case, actor=supervisor, apply=True, note="查证属实。").ok
    # then the expulsion the finding sets off takes effect with it: no second notice
    assert refetch(membership).state == Membership.State.EXPELLED
    assert not CreditCase.objects.filter(agency=agency).exclude(rule_code="").exists()
    expel = LedgerEntry.objects.get(subject__agency=agency, measure=MeasureKind.EXPEL)
    assert expel.rule_code == "CR-ESC-003"


# --- immediate by policy, with the reason -----------------------------------------------------------------


def test_the_shipped_policy_names_the_immediate_rules_and_why():
    immediate = policy_at().immediate_measures
    assert set(immediate) == {"CR-LST-001", "CR-ESC-004", "CR-ESC-006"}
    assert "发改财金〔2016〕141号" in immediate["CR-LST-001"]
    assert all(len(reason) > 20 for reason in immediate.values())


def test_an_external_listing_suspends_at_once(member):
    agency, membership, _user = member
    _batch, affected = list_agency(agency)
    assert affected == 1
    assert refetch(membership).state == Membership.State.SUSPENDED
    assert LedgerEntry.objects.get(subject__agency=agency, measure=MeasureKind.SUSPEND).rule_code == "CR-LST-001"
    assert not CreditCase.objects.filter(agency=agency).exists()


def test_grade_d_restricts_at_once(member):
    agency, membership, _user = member
    start = timezone.now() - datetime.timedelta(days=30)
    for i in range(9):
        record_event(agency, "RATING_POOR", at=start + datetime.timedelta(hours=i))
    assert refetch(membership).state == Membership.State.RESTRICTED
    assert LedgerEntry.objects.get(subject__agency=agency, measure=MeasureKind.RESTRICT).rule_code == "CR-ESC-004"
    assert not CreditCase.objects.filter(agency=agency).exists()


def test_a_serious_record_revokes_an_open_win_at_once(supervisor):
    # given the winner of a project, before it confirms
    awarded = awarded_project("draw")
    winner, _user = winner_of(awarded.project, awarded.pool)
    # when a serious record is added (a win declined elsewhere)
    record_event(winner.agency, "DECLINE_WIN", actor=supervisor)
    # then its open win is revoked at once, and the alternate steps up
    assert refetch(winner).state == SignUp.State.REVOKED
    revocation = LedgerEntry.objects.get(subject__agency=winner.agency, measure=MeasureKind.REVOKE)
    assert revocation.rule_code == "CR-ESC-006"
    assert not CreditCase.objects.filter(agency=winner.agency).exists()


@pytest.mark.usefixtures("fresh_policy_cache")
def test_a_policy_that_drops_the_listing_from_the_immediate_rules_notifies_it_first(member):
    # given a new policy version in which the listing suspension is no longer immediate
    draft = policy_draft_from(base=PolicyVersion.objects.get(version=1))
    immediate = dict(draft.immediate_measures)
    immediate.pop("CR-LST-001")
    PolicyVersion.objects.filter(pk=draft.pk).update(immediate_measures=immediate)
    policy_publish(version=draft, effective_from=timezone.now() - datetime.timedelta(seconds=1))
    # when a member is listed, the suspension is told first
    agency, membership, _user = member
    list_agency(agency)
    assert refetch(membership).state == Membership.State.ACTIVE
    assert pending_notice(agency).rule_code == "CR-LST-001"
    # and the listing review of the next sweeps does not open it again
    credit_sweeps.credit_sweep()
    assert CreditCase.objects.filter(agency=agency).count() == 1
