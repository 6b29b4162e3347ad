"""The agency's credit lifecycle end to end in the service layer (issue 3, "Done when").

Entry refused for a bad record, the green channel, warnings that suspend and the sweep that
reinstates, complaints that expel and the re-entry bar, grade D and repair, exit with open
engagements, objections, early repair, external lists and expiring qualifications.
"""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules import gate
from credit_rules.models import DecisionRecord, LedgerEntry
from credit_rules.policy import policy_at
from credit_rules.services import subject_for_agency
from credit_rules.standing import standing_compute
from credit_rules.verify import ledger_verify
from marketplace.errors import ApplicationError
from marketplace.selectors import qualifications_valid_on
from tests.factories import (
    AgencyFactory,
    QualificationFactory,
    admitted_agency,
    applicant,
    applied_case,
    engagement_row,
    list_agency,
    notice_lapses,
    pending_notice,
    project_row,
    record_event,
    warn,
)
from tests.helpers import CREDIT_SWEEP_IDLE, DAY, clock, close_to, pdf_file, refetch
from workflows.models import CreditCase, Engagement, Membership, Project, RepairRequest, SignUp, TransitionLog
from workflows.selectors import facts
from workflows.services import membership as membership_services
from workflows.services.credit import notices as credit_notices
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services
from workflows.services.credit import sweeps as credit_sweeps
from workflows.services.transitions import transition_run

pytestmark = pytest.mark.django_db

State = Membership.State
OVERLOAD = "同时在办项目超出承接能力。"


def signup_gate(agency, at=None):
    membership = facts.current_membership(agency)
    context = {"member_state": membership.state if membership else "none", "open_engagements": 0}
    return gate.evaluate(subject_for_agency(agency), "signup.submit", at, context)


def done_logs(membership, transition: str) -> int:
    return TransitionLog.objects.filter(
        object_id=membership.pk,
        content_type__model="membership",
        transition=transition,
        outcome=TransitionLog.Outcome.DONE,
    ).count()


# --- entry ------------------------------------------------------------------------------------------


def test_a_serious_record_refuses_entry_and_the_reason_is_kept(supervisor):
    # given an applicant that walked away from a won selection half a year ago (the demo's agency_demo3)
    agency, membership, user = applicant()
    record_event(agency, "DECLINE_WIN", at=timezone.now() - datetime.timedelta(days=180))
    # when it submits
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    # then it is refused with CR-ONB-003 and the decision is stored with its reasons and inputs
    assert not result.ok
    assert [r.rule_code for r in result.refusals] == ["CR-ONB-003"]
    reason = result.refusals[0]
    assert "无故放弃中选资格" in reason.message and "36" in reason.message
    assert "国发〔2016〕33号" in reason.basis and "信用修复管理办法" in reason.basis
    assert refetch(membership).state == State.DRAFT
    stored = DecisionRecord.objects.get(target=f"workflows.membership:{membership.pk}")
    assert stored.allowed is False and stored.transition == "membership.submit"
    assert stored.reasons[0]["rule"] == "CR-ONB-003" and "无故放弃中选资格" in stored.reasons[0]["message"]
    assert stored.inputs["serious_events"][0]["code"] == "DECLINE_WIN"
    assert stored.actor == user
    assert TransitionLog.objects.get(decision=stored).outcome == TransitionLog.Outcome.REFUSED_CREDIT
    # and a supervisor cannot approve it around the gate either: it never reached review
    assert not membership_services.membership_review(membership=membership, actor=supervisor, decision="approve").ok


def test_the_serious_record_stops_counting_after_the_lookback():
    agency, membership, user = applicant()
    record_event(agency, "DECLINE_WIN", at=timezone.now() - relativedelta(months=37))
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok and refetch(membership).state == State.SUBMITTED


def test_green_channel_admits_at_submit_without_a_supervisor():
    # given an agency that was a member until recently, with grade A for more than twelve months
    agency = AgencyFactory()
    earlier = Membership.objects.create(
        agency=agency,
        state=State.WITHDRAWN,
        member_since=timezone.now() - relativedelta(months=30),
        ended_at=timezone.now() - relativedelta(months=1),
    )
    record_event(agency, "HONOUR_TAX_A", at=timezone.now() - relativedelta(months=14))
    agency, membership, user = applicant(agency)
    # when it applies again
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    # then the green channel admits it at once, with no supervisor step
    assert result.ok and result.decision.fast_track
    stored = refetch(membership)
    assert stored.state == State.ACTIVE
    assert stored.fast_tracked is True
    assert stored.member_since is not None and stored.commitment_digest
    approve = TransitionLog.objects.filter(object_id=membership.pk, transition="approve").get()
    assert approve.actor is None and approve.outcome == TransitionLog.Outcome.DONE
    assert earlier.pk != membership.pk
    assert [r.rule_code for r in result.decision.reasons] == ["CR-ONB-005"]


def test_no_green_channel_with_a_bad_event_in_the_last_twelve_months():
    agency = AgencyFactory()
    Membership.objects.create(
        agency=agency, state=State.WITHDRAWN, member_since=timezone.now() - relativedelta(months=30)
    )
    record_event(agency, "RATING_POOR", at=timezone.now() - relativedelta(months=5))
    agency, membership, user = applicant(agency)
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok and not result.decision.fast_track
    assert refetch(membership).state == State.SUBMITTED


def test_no_green_channel_for_a_newcomer():
    agency, membership, user = applicant()
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok and refetch(membership).state == State.SUBMITTED


# --- warnings, suspension, the sweep ----------------------------------------------------------------


def test_a_second_warning_suspends_for_a_month_and_the_sweep_reinstates(supervisor, member):
    agency, membership, user = member
    # given one warning: still active
    warn(agency, supervisor)
    assert refetch(membership).state == State.ACTIVE
    assert signup_gate(agency).allowed
    # when a second warning comes within twelve months
    second = warn(agency, supervisor, "再次逾期提交成果。")
    # then the suspension it orders is first told to the agency (失信告知): nothing is in force yet
    notice = pending_notice(agency)
    assert (notice.rule_code, notice.measure, notice.months, notice.trigger_entry_id) == (
        "CR-ESC-001",
        "suspend",
        1,
        second.pk,
    )
    assert refetch(membership).state == State.ACTIVE and signup_gate(agency).allowed
    assert not NoticeRequest.objects.filter(kind="suspension").exists()
    # when its response period ends unanswered, the credit sweep applies it
    notice_lapses(notice)
    assert refetch(notice).state == CreditCase.State.APPLIED
    # then the membership is suspended for one month, the cache says so, and it is announced
    stored = refetch(membership)
    assert stored.state == State.SUSPENDED
    assert close_to(stored.suspended_until, second.effective_at + relativedelta(months=1))
    subject = subject_for_agency(agency)
    assert subject.is_suspended and subject.warning_count == 2 and subject.score == 90
    measure = LedgerEntry.objects.get(subject=subject, kind="measure")
    assert (measure.measure, measure.rule_code, measure.expires_at) == ("suspend", "CR-ESC-001", stored.suspended_until)
    notice = NoticeRequest.objects.get(kind="suspension")
    assert notice.payload["agency"]["uscc"] == agency.uscc and notice.payload["rule_code"] == "CR-ESC-001"
    assert NoticeRequest.objects.filter(kind="warning").count() == 2
    assert DecisionRecord.objects.filter(transition="ledger.recorded", measures__0__kind="suspend").count() == 1
    # and the gate refuses sign-ups while it lasts
    decision = signup_gate(agency)
    assert not decision.allowed and "CR-SEL-001" in [r.rule_code for r in decision.refusals]
    assert not signup_gate(agency, stored.suspended_until - DAY).allowed
    # when the sweep runs before the end, nothing changes
    assert credit_sweeps.credit_sweep(stored.suspended_until - DAY)["reinstated"] == 0
    assert refetch(membership).state == State.SUSPENDED
    # when the sweep runs after the end, it is reinstated by itself — once, however often it runs
    after = stored.suspended_until + datetime.timedelta(minutes=1)
    first = credit_sweeps.credit_sweep(after)
    assert first["reinstated"] == 1 and first["standings"] >= 1
    again = credit_sweeps.credit_sweep(after)
    assert again == CREDIT_SWEEP_IDLE
    stored = refetch(membership)
    assert (stored.state, stored.suspended_until, stored.resume_state) == (State.ACTIVE, None, "")
    assert done_logs(membership, "reinstate") == 1
    subject = subject_for_agency(agency)
    assert not subject.is_suspended
    assert signup_gate(agency, after).allowed
    assert ledger_verify([subject.pk]).ok


def test_a_suspended_restricted_member_returns_to_restricted(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor, measure="restrict", months=3, facts=OVERLOAD, note="决定限制")
    assert case.state == CreditCase.State.APPLIED
    assert refetch(membership).state == State.RESTRICTED
    warn(agency, supervisor)
    warn(agency, supervisor)
    notice_lapses(pending_notice(agency))
    stored = refetch(membership)
    assert (stored.state, stored.resume_state) == (State.SUSPENDED, State.RESTRICTED)
    credit_sweeps.credit_sweep(stored.suspended_until + datetime.timedelta(minutes=1))
    assert refetch(membership).state == State.RESTRICTED
    assert subject_for_agency(agency).is_restricted


def test_a_time_limited_restriction_ends_by_itself(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor, measure="restrict", months=3, facts=OVERLOAD, note="决定限制")
    end = case.measure_entry.expires_at
    credit_sweeps.credit_sweep(end - DAY)
    assert refetch(membership).state == State.RESTRICTED
    result = credit_sweeps.credit_sweep(end)
    assert result["cases_expired"] == 1
    assert refetch(case).state == CreditCase.State.EXPIRED
    assert not subject_for_agency(agency).is_restricted
    assert refetch(membership).state == State.ACTIVE
    credit_sweeps.credit_sweep(end)
    assert done_logs(membership, "unrestrict") == 1


def test_a_warning_while_suspended_suspends_three_months(supervisor, member):
    agency, membership, user = member
    warn(agency, supervisor)
    warn(agency, supervisor)
    notice_lapses(pending_notice(agency))
    first_until = refetch(membership).suspended_until
    third = warn(agency, supervisor, "暂停期间仍未整改。")
    assert pending_notice(agency).months == 3  # the repeat period, told first like the first one
    notice_lapses(pending_notice(agency))
    stored = refetch(membership)
    assert stored.state == State.SUSPENDED
    assert close_to(stored.suspended_until, third.effective_at + relativedelta(months=3))
    assert stored.suspended_until > first_until
    ends = sorted(LedgerEntry.objects.filter(subject__agency=agency, measure="suspend").values_list("expires_at"))
    assert len(ends) == 2
    # the first suspension's end passes: still suspended until the longer one ends
    credit_sweeps.credit_sweep(first_until + DAY)
    assert refetch(membership).state == State.SUSPENDED
    assert not signup_gate(agency, first_until + DAY).allowed
    credit_sweeps.credit_sweep(stored.suspended_until)
    assert refetch(membership).state == State.ACTIVE


# --- complaints, expulsion, the re-entry bar ----------------------------------------------------------


def test_three_verified_complaints_expel_blacklist_and_withdraw_open_signups(supervisor, member):
    agency, membership, user = member
    open_project = project_row(Project.State.OPEN)
    closed_project = project_row(Project.State.SELECTING)
    signup = SignUp.objects.create(project=open_project, agency=agency, submitted_by=user)
    frozen = SignUp.objects.create(project=closed_project, agency=agency, submitted_by=user)
    # two complaints: a member still
    record_event(agency, "QUALITY_COMPLAINT", at=timezone.now() - relativedelta(months=8), actor=supervisor)
    record_event(agency, "QUALITY_COMPLAINT", at=timezone.now() - relativedelta(months=2), actor=supervisor)
    assert refetch(membership).state == State.ACTIVE
    # the third within twelve months expels, once its prior notice lapses unanswered
    third = record_event(agency, "QUALITY_COMPLAINT", actor=supervisor)
    notice = pending_notice(agency)
    assert (notice.rule_code, notice.measure, notice.months) == ("CR-ESC-002", "expel", 36)
    assert refetch(membership).state == State.ACTIVE and refetch(signup).state == SignUp.State.SUBMITTED
    notice_lapses(notice)
    stored = refetch(membership)
    assert stored.state == State.EXPELLED
    assert close_to(stored.barred_until, third.effective_at + relativedelta(months=36))
    subject = subject_for_agency(agency)
    assert subject.is_expelled
    expel = LedgerEntry.objects.get(subject=subject, measure="expel")
    assert expel.rule_code == "CR-ESC-002" and expel.expires_at == stored.barred_until
    notice = NoticeRequest.objects.get(kind="expulsion")
    assert notice.moderated and notice.payload["agency"]["uscc"] == agency.uscc
    # open sign-ups are withdrawn; the ones in a closed pool are left to the selection's re-check
    assert refetch(signup).state == SignUp.State.WITHDRAWN
    assert refetch(frozen).state == SignUp.State.SUBMITTED
    decision = signup_gate(agency)
    assert "CR-SEL-002" in [r.rule_code for r in decision.refusals]


def test_an_expelled_agency_is_barred_until_the_bar_ends(supervisor, member):
    agency, membership, user = member
    for months in (6, 3, 0):
        record_event(agency, "QUALITY_COMPLAINT", at=timezone.now() - relativedelta(months=months), actor=supervisor)
    notice_lapses(pending_notice(agency))
    barred_until = refetch(membership).barred_until
    # a new application during the bar is refused with the date
    _agency, again, _user = applicant(agency, user=user, statement="申请重新入驻。")
    result = membership_services.membership_submit(membership=again, actor=user, accept_commitment=True)
    assert not result.ok
    [reason] = [r for r in result.refusals if r.rule_code == "CR-ONB-002"]
    assert timezone.localtime(barred_until).date().isoformat() in reason.message
    subject = subject_for_agency(agency)
    context = {"member_since": None}
    assert not gate.evaluate(subject, "membership.submit", barred_until - DAY, context).allowed
    assert gate.evaluate(subject, "membership.submit", barred_until + DAY, context).allowed
    # after the bar the same application goes through (no green channel: the expelled term does not count)
    QualificationFactory(agency=agency, valid_until=(barred_until + relativedelta(years=1)).date())
    with clock(barred_until + DAY):
        credit_sweeps.credit_sweep(barred_until + DAY)
        result = membership_services.membership_submit(membership=again, actor=user, accept_commitment=True)
    assert result.ok and refetch(again).state == State.SUBMITTED
    assert not subject_for_agency(agency).is_expelled


# --- grade D and repair -------------------------------------------------------------------------------


def test_grade_d_restricts_and_a_repair_that_lifts_the_grade_unrestricts(supervisor, member):
    agency, membership, user = member
    past = timezone.now() - relativedelta(months=4)
    ratings = [record_event(agency, "RATING_POOR", at=past + datetime.timedelta(hours=i)) for i in range(8)]
    assert refetch(membership).state == State.ACTIVE  # 60: grade C
    ratings.append(record_event(agency, "RATING_POOR", at=past + datetime.timedelta(hours=9)))
    subject = subject_for_agency(agency)
    assert (subject.score, subject.grade, subject.is_restricted) == (55, "D", True)
    assert refetch(membership).state == State.RESTRICTED
    restriction = LedgerEntry.objects.get(subject=subject, measure="restrict")
    assert restriction.rule_code == "CR-ESC-004" and restriction.expires_at is None
    # the agency repairs one poor rating (eligible after three months) and the grade goes back to C
    request = repair_services.repair_submit(
        entry=ratings[0],
        actor=user,
        correction="已建立成果质量复核制度。",
        evidence=pdf_file("整改.pdf"),
    )
    assert repair_services.repair_decide(request=request, actor=supervisor, approve=True, note="整改到位").ok
    subject = subject_for_agency(agency)
    assert (subject.score, subject.grade, subject.is_restricted) == (60, "C", False)
    lifted = restriction.followups.get(kind="neutralise")
    assert (lifted.reason, lifted.rule_code) == ("lifted", "CR-ESC-005")
    assert refetch(membership).state == State.ACTIVE
    assert ledger_verify([subject.pk]).ok


def test_a_grade_that_falls_to_d_with_time_restricts_on_the_sweep_once(member):
    # no entry lowers the score: an honour's points expire, and the sweep finds the grade D
    agency, membership, user = member
    now = timezone.now()
    window = policy_at(now).event_window_months
    honour = record_event(agency, "HONOUR_TAX_A", at=now - relativedelta(months=window) + datetime.timedelta(days=10))
    for i in range(9):
        record_event(agency, "RATING_POOR", at=now - datetime.timedelta(days=30) + datetime.timedelta(hours=i))
    subject = subject_for_agency(agency)
    assert (subject.score, subject.grade, subject.is_restricted) == (60, "C", False)
    assert refetch(membership).state == State.ACTIVE
    later = honour.expires_at + DAY
    with clock(honour.expires_at - DAY):
        assert credit_sweeps.credit_sweep()["restricted"] == 0
    with clock(later):  # the sweep runs on the platform's clock, a day after the honour expired
        result = credit_sweeps.credit_sweep()
        assert (result["standings"], result["restricted"]) == (1, 1)
        subject = subject_for_agency(agency)
        assert (subject.score, subject.grade, subject.is_restricted) == (55, "D", True)
        assert refetch(membership).state == State.RESTRICTED
        # (the honour had rewarded the agency, until the first poor rating ended the reward: CR-RWD-003)
        restriction = LedgerEntry.objects.get(subject=subject, kind="measure", measure="restrict")
        assert (restriction.measure, restriction.rule_code, restriction.effective_at) == (
            "restrict",
            "CR-ESC-004",
            later,
        )
        decision = DecisionRecord.objects.get(transition="standing.review")
        assert decision.target == f"credit_rules.creditsubject:{subject.pk}"
        # a second sweep (or a second worker) finds nothing left to do
        assert credit_sweeps.credit_sweep()["restricted"] == 0
    assert LedgerEntry.objects.filter(subject=subject, kind="measure", measure="restrict").count() == 1
    assert ledger_verify([subject.pk]).ok


def test_a_grade_d_agency_that_leaves_and_returns_is_admitted_restricted(supervisor, member):
    agency, membership, user = member
    for i in range(9):
        record_event(
            agency, "RATING_POOR", at=timezone.now() - datetime.timedelta(days=30) + datetime.timedelta(hours=i)
        )
    assert refetch(membership).state == State.RESTRICTED
    assert membership_services.membership_withdraw(membership=membership, actor=user).ok
    _agency, again, _user = applicant(agency, user=user, statement="重新申请入驻。")
    assert membership_services.membership_submit(membership=again, actor=user, accept_commitment=True).ok
    assert membership_services.membership_review(membership=again, actor=supervisor, decision="approve").ok
    # the restriction is the ledger's, not the old membership's: the new one starts restricted
    assert refetch(again).state == State.RESTRICTED
    assert subject_for_agency(agency).is_restricted


def test_repair_too_early_is_refused_with_the_date(supervisor, member):
    agency, membership, user = member
    warning = warn(agency, supervisor)
    eligible = timezone.localtime(warning.repairable_after).date()
    with pytest.raises(ApplicationError) as refused:
        repair_services.repair_submit(entry=warning, actor=user, correction="已整改。", evidence=pdf_file("整改.pdf"))
    assert eligible.isoformat() in refused.value.messages[0]
    assert eligible == (timezone.localtime(warning.effective_at) + relativedelta(months=3)).date()
    assert not RepairRequest.objects.exists()
    with clock(warning.repairable_after + DAY):
        request = repair_services.repair_submit(
            entry=warning, actor=user, correction="已整改。", evidence=pdf_file("整改.pdf")
        )
    assert request.state == RepairRequest.State.SUBMITTED


def test_an_expulsion_grade_event_cannot_be_repaired(supervisor, member):
    agency, membership, user = member
    entry = record_event(agency, "FALSE_MATERIALS", actor=supervisor)
    notice_lapses(pending_notice(agency))
    with clock(timezone.now() + relativedelta(months=40)), pytest.raises(ApplicationError):
        repair_services.repair_submit(entry=entry, actor=user, correction="-", evidence=pdf_file("a.pdf"))
    assert refetch(membership).state == State.EXPELLED


# --- exit ---------------------------------------------------------------------------------------------


def test_voluntary_exit_waits_for_open_engagements(member):
    agency, membership, user = member
    accepted = engagement_row(agency, Engagement.State.ACCEPTED)
    running = engagement_row(agency, Engagement.State.IN_SERVICE)
    result = membership_services.membership_withdraw(membership=membership, actor=user)
    assert not result.ok
    [reason] = result.refusals
    assert reason.rule_code == "CR-EXIT-001" and reason.params == {"open": 2}
    assert refetch(membership).state == State.ACTIVE
    # the accepted one is closed when its rating window ends; the running one is terminated
    assert transition_run(obj=accepted, name="rate", note="评价期满未评价").ok
    result = membership_services.membership_withdraw(membership=membership, actor=user)
    assert not result.ok and result.refusals[0].params == {"open": 1}
    assert transition_run(obj=running, name="terminate", params={"reason": "业主调整计划，服务中止。"}).ok
    result = membership_services.membership_withdraw(membership=membership, actor=user)
    assert result.ok
    assert refetch(membership).state == State.WITHDRAWN
    assert DecisionRecord.objects.filter(transition="membership.withdraw", allowed=False).count() == 2


# --- objections -----------------------------------------------------------------------------------------


def test_overturning_a_warning_reverses_its_points_and_the_suspension_it_caused(supervisor, member):
    agency, membership, user = member
    warn(agency, supervisor)
    second = warn(agency, supervisor, "据称逾期，实为业主延迟提供资料。")
    notice_lapses(pending_notice(agency))
    assert refetch(membership).state == State.SUSPENDED
    objection = objection_services.objection_submit(entry=second, actor=user, reason="逾期系业主延迟提供基础资料所致。")
    result = objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="异议成立")
    assert result.ok
    subject = subject_for_agency(agency)
    assert (subject.score, subject.warning_count, subject.is_suspended) == (95, 1, False)
    assert second.followups.get(kind="neutralise").points == 5
    stored = refetch(membership)
    assert (stored.state, stored.suspended_until) == (State.ACTIVE, None)
    suspension = LedgerEntry.objects.get(subject=subject, measure="suspend")
    assert suspension.followups.filter(kind="neutralise").exists()
    warning_notice = NoticeRequest.objects.get(source_key=credit_notices.entry_notice_key(second))
    assert warning_notice.withdrawn_at is not None
    assert signup_gate(agency).allowed
    assert ledger_verify([subject.pk]).ok


def test_overturning_a_warning_that_did_not_cause_the_suspension_keeps_it(supervisor, member):
    agency, membership, user = member
    for _ in range(2):
        warn(agency, supervisor)
    notice_lapses(pending_notice(agency))
    warn(agency, supervisor)
    notice_lapses(pending_notice(agency))
    third = LedgerEntry.objects.filter(subject__agency=agency, code="CREDIT_WARNING").order_by("seq").last()
    objection = objection_services.objection_submit(entry=third, actor=user, reason="重复警告。")
    objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="异议成立")
    # the first two warnings still justify the first suspension; the repeat one falls with the third
    stored = refetch(membership)
    assert stored.state == State.SUSPENDED
    first = LedgerEntry.objects.filter(subject__agency=agency, measure="suspend").order_by("seq").first()
    assert stored.suspended_until == first.expires_at


# --- external lists ---------------------------------------------------------------------------------------


def test_an_external_listing_suspends_a_member_and_delisting_restores_it(member):
    agency, membership, user = member
    bystander, bystander_membership, _ = admitted_agency()
    batch, affected = list_agency(agency, filename="sxbzxr-2026-01.csv")
    assert (batch.rows, affected) == (1, 1)
    stored = refetch(membership)
    assert (stored.state, stored.suspended_until) == (State.SUSPENDED, None)
    assert refetch(bystander_membership).state == State.ACTIVE
    decision = signup_gate(agency)
    assert {"CR-SEL-001", "CR-SEL-003"} <= {r.rule_code for r in decision.refusals}
    assert NoticeRequest.objects.filter(kind="suspension", payload__rule_code="CR-LST-001").count() == 1
    # an open-ended suspension is not the sweep's to end
    credit_sweeps.credit_sweep(timezone.now() + relativedelta(years=2))
    assert refetch(membership).state == State.SUSPENDED
    # the delisting file restores it
    today = timezone.localdate().isoformat()
    batch, affected = list_agency(agency, delisted_on=today, filename="sxbzxr-2026-02.csv")
    assert affected == 1
    stored = refetch(membership)
    assert (stored.state, stored.suspended_until) == (State.ACTIVE, None)
    assert not subject_for_agency(agency).is_suspended
    assert signup_gate(agency).allowed
    # importing the same delisting again changes nothing
    list_agency(agency, delisted_on=today, filename="sxbzxr-2026-02.csv")
    assert done_logs(membership, "reinstate") == 1


def test_listing_dates_in_the_file_take_effect_by_themselves(member):
    agency, membership, user = member
    today = timezone.localdate()
    # a file lists the agency from next week until the week after
    list_agency(
        agency,
        reason="未履行生效判决",
        listed_on=today + datetime.timedelta(days=7),
        delisted_on=today + datetime.timedelta(days=14),
        filename="sxbzxr-future.csv",
    )
    assert refetch(membership).state == State.ACTIVE
    # the sweep suspends it when the listing starts, and restores it when the listing ends
    start = timezone.now() + datetime.timedelta(days=7, hours=1)
    with clock(start):
        credit_sweeps.credit_sweep(start)
    assert refetch(membership).state == State.SUSPENDED
    assert not signup_gate(agency, start).allowed
    end = timezone.now() + datetime.timedelta(days=14, hours=1)
    with clock(end):
        credit_sweeps.credit_sweep(end)
        credit_sweeps.credit_sweep(end)
    assert refetch(membership).state == State.ACTIVE
    assert done_logs(membership, "reinstate") == 1
    assert signup_gate(agency, end).allowed


def test_a_restriction_that_ends_during_an_open_ended_suspension_is_forgotten(supervisor, member):
    agency, membership, user = member
    list_agency(agency, filename="sxbzxr.csv")
    applied_case(agency, supervisor, measure="restrict", months=1, facts=OVERLOAD, note="决定限制")
    stored = refetch(membership)
    assert (stored.state, stored.resume_state) == (State.SUSPENDED, State.RESTRICTED)
    later = timezone.now() + relativedelta(months=2)
    credit_sweeps.credit_sweep(later)
    stored = refetch(membership)
    assert (stored.state, stored.resume_state) == (State.SUSPENDED, State.ACTIVE)
    with clock(later):
        list_agency(agency, delisted_on=timezone.localdate(), filename="delist.csv")
    assert refetch(membership).state == State.ACTIVE


def test_a_listed_applicant_is_refused_entry(member):
    agency, membership, user = applicant()
    list_agency(agency, filename="sxbzxr.csv")
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert not result.ok and "CR-ONB-001" in [r.rule_code for r in result.refusals]
    assert refetch(membership).state == State.DRAFT


# --- qualifications -----------------------------------------------------------------------------------------


def test_an_expired_qualification_stops_counting_without_a_human_step():
    agency = AgencyFactory()
    licence = QualificationFactory(agency=agency, valid_until=timezone.localdate() + datetime.timedelta(days=10))
    agency, membership, user = applicant(agency, statement="从事房地产估价。")
    assert membership_services.application_problems(membership) == []
    assert licence in qualifications_valid_on(licence.valid_until)
    assert licence not in qualifications_valid_on(licence.valid_until + DAY)
    # eleven days later the same application lacks a valid licence, and cannot be submitted
    with clock(timezone.now() + datetime.timedelta(days=11)):
        problems = membership_services.application_problems(membership)
        assert len(problems) == 1 and "有效资质证书" in problems[0]
        with pytest.raises(ApplicationError):
            membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert refetch(membership).state == State.DRAFT


def test_standing_is_reproducible_for_any_past_moment(supervisor, member):
    agency, membership, user = member
    before = timezone.now()
    warn(agency, supervisor)
    subject = subject_for_agency(agency)
    assert standing_compute(subject, before).score == 100
    assert standing_compute(subject).score == subject.score == 95
