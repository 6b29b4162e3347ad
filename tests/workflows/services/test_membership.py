"""Every transition of Membership, driven through workflows.services.membership and the credit measures.

For each (submit, approve, send back, reject, renew, restrict, unrestrict, suspend, reinstate, expel,
withdraw): the allowed path, a refused source state, a permission refusal (wrong role, another
agency's staff, a supervisor out of scope, a person where only the system may act) and, where the
credit gate guards it, a credit refusal (a serious record, an external listing, the re-entry bar,
open engagements at exit).

Every refusal leaves the row as it was, writes no measure and asks for no notice, and is kept in the
transition log (and, for credit, as a decision record): ``tests.helpers.assert_refused`` checks all of it.
The people acting (supervisor, outsider, stranger, buyer, member) are fixtures of tests/workflows/services/conftest.py.
"""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.gate import MeasureOrder
from credit_rules.models import DecisionRecord, ExternalListing, MeasureKind
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError
from tests.factories import (
    AgencyFactory,
    applicant,
    apply_measure,
    engagement_row,
    list_agency,
    record_event,
    submitted_application,
)
from tests.helpers import assert_refused, last_log, refetch
from workflows.models import Engagement, Membership, TransitionLog
from workflows.selectors import facts
from workflows.services import membership as membership_services
from workflows.services.credit import measures as measure_services
from workflows.services.credit import sweeps as credit_sweeps
from workflows.services.transitions import transition_run

pytestmark = pytest.mark.django_db

State = Membership.State
Outcome = TransitionLog.Outcome


# --- Membership.submit ------------------------------------------------------------------------------


def test_submit_allowed_records_the_commitment_and_the_decision():
    agency, membership, user = applicant()
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok
    stored = refetch(membership)
    assert stored.state == State.SUBMITTED
    assert stored.submitted_at is not None
    assert stored.commitment_digest and stored.commitment_accepted_by == user
    assert stored.fast_tracked is False  # no earlier membership: no green channel
    assert last_log(membership).outcome == Outcome.DONE
    assert DecisionRecord.objects.get(pk=result.record.pk).allowed is True


def test_submit_refused_when_already_submitted():
    agency, membership, user = submitted_application()
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True),
    )


@pytest.mark.parametrize("who", ["stranger", "buyer", "supervisor"])
def test_submit_refused_for_anyone_but_the_agency_staff(who, request):
    agency, membership, user = applicant()
    actor = request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_submit(membership=membership, actor=actor, accept_commitment=True),
    )


def test_submit_refused_for_a_serious_record_within_the_lookback():
    agency, membership, user = applicant()
    record_event(agency, "DECLINE_WIN", at=timezone.now() - relativedelta(months=20))
    result = assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True),
        rule="CR-ONB-003",
    )
    assert refetch(membership).commitment_digest == ""  # the side effect did not run either
    reason = next(r for r in result.refusals if r.rule_code == "CR-ONB-003")
    assert "无故放弃中选资格" in reason.message and reason.basis


def test_submit_refused_while_on_an_external_list():
    agency, membership, user = applicant()
    list_agency(agency, reason="拒不履行生效判决", listed_on="2025-01-06")
    assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True),
        rule="CR-ONB-001",
    )


def test_submit_without_accepting_the_commitment_writes_nothing():
    agency, membership, user = applicant()
    logs = TransitionLog.objects.count()
    with pytest.raises(ApplicationError):
        membership_services.membership_submit(membership=membership, actor=user, accept_commitment=False)
    assert refetch(membership).state == State.DRAFT
    assert TransitionLog.objects.count() == logs


# --- Membership.approve / send_back / reject --------------------------------------------------------


def test_approve_allowed_admits_for_three_years(supervisor):
    agency, membership, user = submitted_application()
    result = membership_services.membership_review(membership=membership, actor=supervisor, decision="approve")
    assert result.ok
    stored = refetch(membership)
    assert stored.state == State.ACTIVE
    assert stored.member_since is not None and stored.decided_at is not None
    assert stored.term_until > (timezone.localdate() + datetime.timedelta(days=3 * 365 - 2))
    assert stored.fast_tracked is False


def test_approve_refused_for_a_draft(supervisor):
    agency, membership, user = applicant()
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_review(membership=membership, actor=supervisor, decision="approve"),
    )


@pytest.mark.parametrize("who", ["own_staff", "outsider", "buyer"])
def test_approve_refused_for_agency_staff_outsiders_and_buyers(who, request):
    agency, membership, user = submitted_application()
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_review(membership=membership, actor=actor, decision="approve"),
    )


def test_approve_refused_for_a_serious_record_found_after_submission(supervisor):
    agency, membership, user = submitted_application()
    record_event(agency, "DECLINE_WIN")
    assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_review(membership=membership, actor=supervisor, decision="approve"),
        rule="CR-ONB-003",
    )


@pytest.mark.parametrize("decision,target", [("send_back", State.RETURNED), ("reject", State.REJECTED)])
def test_send_back_and_reject_allowed_with_a_reason(decision, target, supervisor):
    agency, membership, user = submitted_application()
    result = membership_services.membership_review(
        membership=membership, actor=supervisor, decision=decision, note="资质证书扫描件不清晰。"
    )
    assert result.ok
    stored = refetch(membership)
    assert stored.state == target
    assert stored.review_note == "资质证书扫描件不清晰。"
    assert (stored.ended_at is not None) == (decision == "reject")


def test_a_returned_application_can_be_submitted_again(supervisor):
    agency, membership, user = submitted_application()
    membership_services.membership_review(membership=membership, actor=supervisor, decision="send_back", note="补充")
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok and refetch(membership).state == State.SUBMITTED


@pytest.mark.parametrize("decision", ["send_back", "reject"])
def test_send_back_and_reject_refused_once_admitted(decision, supervisor, member):
    agency, membership, user = member
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_review(
            membership=membership, actor=supervisor, decision=decision, note="理由"
        ),
    )


@pytest.mark.parametrize("decision", ["send_back", "reject"])
@pytest.mark.parametrize("who", ["own_staff", "outsider"])
def test_send_back_and_reject_refused_for_staff_and_outsiders(decision, who, request):
    agency, membership, user = submitted_application()
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_review(
            membership=membership, actor=actor, decision=decision, note="理由"
        ),
    )


def test_send_back_without_a_reason_writes_nothing(supervisor):
    agency, membership, user = submitted_application()
    logs = TransitionLog.objects.count()
    with pytest.raises(ApplicationError):
        membership_services.membership_review(membership=membership, actor=supervisor, decision="send_back", note=" ")
    assert refetch(membership).state == State.SUBMITTED
    assert TransitionLog.objects.count() == logs


# --- Membership.renew -------------------------------------------------------------------------------


def test_renew_allowed_for_a_supervisor_extends_the_term(supervisor, member):
    agency, membership, user = member
    before = refetch(membership).term_until
    result = membership_services.membership_renew(membership=membership, actor=supervisor, as_role="supervisor")
    assert result.ok
    stored = refetch(membership)
    assert stored.state == State.ACTIVE
    assert stored.term_until == before + datetime.timedelta(days=3 * 365)


def test_renew_by_the_agency_itself_on_the_green_channel():
    agency = AgencyFactory()
    Membership.objects.create(
        agency=agency,
        state=State.WITHDRAWN,
        member_since=timezone.now() - relativedelta(months=30),
        ended_at=timezone.now() - relativedelta(months=2),
    )
    agency, membership, user = submitted_application(agency)
    assert membership.state == State.ACTIVE and membership.fast_tracked  # the green channel admits at once
    result = membership_services.membership_renew(membership=membership, actor=user, as_role="agency")
    assert result.ok
    assert any(r.rule_code == "CR-ONB-005" and r.outcome == "fast_track" for r in result.decision.reasons)


def test_renew_refused_while_suspended(supervisor, member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.SUSPEND, months=1)
    assert refetch(membership).state == State.SUSPENDED
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_renew(membership=membership, actor=supervisor, as_role="supervisor"),
    )


@pytest.mark.parametrize("who", ["stranger", "buyer", "outsider"])
def test_renew_refused_for_strangers_buyers_and_outsiders(who, request, member):
    agency, membership, user = member
    actor = request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_renew(membership=membership, actor=actor, as_role="agency"),
    )


def test_renew_by_the_agency_without_the_green_channel_goes_to_review(member):
    agency, membership, user = member
    assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_renew(membership=membership, actor=user, as_role="agency"),
        rule="CR-ONB-006",
    )


# --- Membership.restrict / unrestrict ---------------------------------------------------------------


def test_restrict_allowed_by_a_measure_and_unrestrict_when_it_is_lifted(member):
    agency, membership, user = member
    [entry] = apply_measure(agency, MeasureKind.RESTRICT, rule="CR-ESC-004")
    assert refetch(membership).state == State.RESTRICTED
    assert subject_for_agency(agency).is_restricted
    measure_services.measures_apply(
        subject=subject_for_agency(agency), orders=[MeasureOrder("CR-ESC-005", "lift", lifts_entry=entry.pk)]
    )
    assert refetch(membership).state == State.ACTIVE
    assert not subject_for_agency(agency).is_restricted
    assert [log.transition for log in TransitionLog.objects.filter(object_id=membership.pk).order_by("pk")][-2:] == [
        "restrict",
        "unrestrict",
    ]


def test_restrict_allowed_for_a_supervisor_in_scope(supervisor, member):
    agency, membership, user = member
    result = transition_run(obj=membership, name="restrict", actor=supervisor)
    assert result.ok and refetch(membership).state == State.RESTRICTED
    result = transition_run(obj=membership, name="unrestrict", actor=supervisor)
    assert result.ok and refetch(membership).state == State.ACTIVE


def test_restrict_while_suspended_takes_effect_when_the_suspension_ends(member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.SUSPEND, months=1)
    apply_measure(agency, MeasureKind.RESTRICT, months=3, rule="CR-SUP-001")
    stored = refetch(membership)
    assert (stored.state, stored.resume_state) == (State.SUSPENDED, State.RESTRICTED)
    credit_sweeps.credit_sweep(timezone.now() + relativedelta(months=1, days=1))
    assert refetch(membership).state == State.RESTRICTED


def test_restrict_refused_for_a_draft():
    agency, membership, user = applicant()
    assert_refused(membership, Outcome.REFUSED_STATE, lambda: transition_run(obj=membership, name="restrict"))


def test_unrestrict_refused_when_not_restricted(member):
    agency, membership, user = member
    assert_refused(membership, Outcome.REFUSED_STATE, lambda: transition_run(obj=membership, name="unrestrict"))


@pytest.mark.parametrize("name", ["restrict", "suspend", "expel"])
@pytest.mark.parametrize("who", ["own_staff", "outsider", "stranger"])
def test_measures_on_a_membership_refused_for_staff_and_outsiders(name, who, request, member):
    agency, membership, user = member
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    params = {"suspend": {"until": None}, "expel": {"at": timezone.now(), "barred_until": None}}.get(name, {})
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: transition_run(obj=membership, name=name, actor=actor, params=params),
    )


@pytest.mark.parametrize("who", ["own_staff", "outsider"])
def test_unrestrict_refused_for_staff_and_outsiders(who, request, member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.RESTRICT, rule="CR-ESC-004")
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=membership, name="unrestrict", actor=actor)
    )


# --- Membership.suspend / reinstate ----------------------------------------------------------------


def test_suspend_allowed_by_a_measure_and_reinstated_by_the_sweep(member):
    agency, membership, user = member
    [entry] = apply_measure(agency, MeasureKind.SUSPEND, months=1)
    stored = refetch(membership)
    assert stored.state == State.SUSPENDED
    assert stored.suspended_until == entry.expires_at
    assert NoticeRequest.objects.filter(kind="suspension", payload__agency__uscc=agency.uscc).count() == 1
    assert credit_sweeps.suspensions_expire(entry.expires_at - datetime.timedelta(seconds=1)) == 0
    assert refetch(membership).state == State.SUSPENDED
    assert credit_sweeps.suspensions_expire(entry.expires_at) == 1
    stored = refetch(membership)
    assert (stored.state, stored.suspended_until, stored.resume_state) == (State.ACTIVE, None, "")
    log = last_log(membership)
    assert (log.transition, log.outcome, log.actor) == ("reinstate", Outcome.DONE, None)


def test_suspend_refused_for_a_draft():
    agency, membership, user = applicant()
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: transition_run(obj=membership, name="suspend", params={"until": None}),
    )


def test_reinstate_refused_when_not_suspended(member):
    agency, membership, user = member
    assert_refused(membership, Outcome.REFUSED_STATE, lambda: transition_run(obj=membership, name="reinstate"))


@pytest.mark.parametrize("who", ["supervisor", "own_staff"])
def test_reinstate_is_for_the_system_only(who, request, member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.SUSPEND, months=1)
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=membership, name="reinstate", actor=actor)
    )


# --- Membership.expel ------------------------------------------------------------------------------


def test_expel_allowed_by_a_measure_bars_and_blacklists(member):
    agency, membership, user = member
    [entry] = apply_measure(agency, MeasureKind.EXPEL, months=36, rule="CR-ESC-003")
    stored = refetch(membership)
    assert stored.state == State.EXPELLED
    assert stored.barred_until == entry.expires_at
    assert stored.ended_at is not None
    assert subject_for_agency(agency).is_expelled
    assert NoticeRequest.objects.filter(kind="expulsion", payload__agency__uscc=agency.uscc).count() == 1


def test_expel_refused_once_withdrawn(member):
    agency, membership, user = member
    assert membership_services.membership_withdraw(membership=membership, actor=user).ok
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: transition_run(obj=membership, name="expel", params={"at": timezone.now(), "barred_until": None}),
    )


# --- Membership.withdraw ---------------------------------------------------------------------------


def test_withdraw_allowed_ends_the_membership(member):
    agency, membership, user = member
    engagement_row(agency, Engagement.State.RATED)
    engagement_row(agency, Engagement.State.TERMINATED)
    result = membership_services.membership_withdraw(membership=membership, actor=user)
    assert result.ok
    stored = refetch(membership)
    assert stored.state == State.WITHDRAWN and stored.ended_at is not None
    assert facts.current_membership(agency) is None


def test_withdraw_refused_while_suspended(member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.SUSPEND, months=1)
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_withdraw(membership=membership, actor=user),
    )


@pytest.mark.parametrize("who", ["stranger", "supervisor"])
def test_withdraw_refused_for_strangers_and_supervisors(who, request, member):
    agency, membership, user = member
    actor = request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_withdraw(membership=membership, actor=actor),
    )


def test_withdraw_refused_with_an_open_engagement(member):
    agency, membership, user = member
    engagement_row(agency, Engagement.State.IN_SERVICE)
    result = assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_withdraw(membership=membership, actor=user),
        rule="CR-EXIT-001",
    )
    assert result.refusals[0].params == {"open": 1}


def test_expelled_applicant_refused_on_the_reentry_bar(member):
    agency, membership, user = member
    apply_measure(agency, MeasureKind.EXPEL, months=36, rule="CR-ESC-003")
    again = membership_services.membership_start(agency=agency, actor=user)
    assert again.pk != membership.pk and again.state == State.DRAFT
    again = membership_services.membership_update_application(
        membership=again, actor=user, statement="整改完毕，重新申请。"
    )
    assert_refused(
        again,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_submit(membership=again, actor=user, accept_commitment=True),
        rule="CR-ONB-002",
    )


def test_external_listing_model_is_what_the_gate_reads():
    agency, membership, user = applicant()
    list_agency(agency, reason="拒不履行生效判决", listed_on="2025-01-06", delisted_on=timezone.localdate())
    assert ExternalListing.objects.filter(uscc=agency.uscc).count() == 1
    assert membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True).ok
