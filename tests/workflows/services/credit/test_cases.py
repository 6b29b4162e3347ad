"""Every transition of CreditCase (workflows.services.credit.cases): notify, apply, dismiss, object,
uphold, overturn, expire and repair — the allowed path, a refused source state and a permission refusal
for each; due process (the response period) holds whoever calls the service.

Every refusal leaves the row as it was, writes no measure and asks for no notice, and is kept in the
transition log (and, for credit, as a decision record): ``tests.helpers.assert_refused`` checks all of it.
The people acting (supervisor, outsider, stranger, buyer, member) are fixtures of tests/workflows/services/conftest.py.
"""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry, MeasureKind
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError
from tests.factories import applied_case, hearing_lapsed, notified_case, proposed_case
from tests.helpers import CREDIT_SWEEP_IDLE, assert_refused, clock, last_log, pdf_file, refetch, side_effects
from workflows.models import CreditCase, Membership, TransitionLog
from workflows.services.credit import cases as case_services
from workflows.services.credit import notices as credit_notices
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services
from workflows.services.credit import sweeps as credit_sweeps
from workflows.services.transitions import transition_run

pytestmark = pytest.mark.django_db

State = Membership.State
Outcome = TransitionLog.Outcome


def test_case_notify_allowed_sets_the_response_due(supervisor, member):
    agency, membership, user = member
    case = proposed_case(agency, supervisor)
    assert case_services.case_notify(case=case, actor=supervisor).ok
    stored = refetch(case)
    assert stored.state == CreditCase.State.NOTIFIED
    assert stored.response_due - stored.notified_at == datetime.timedelta(days=7)


def test_case_notify_refused_twice(supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_STATE, lambda: case_services.case_notify(case=case, actor=supervisor))


@pytest.mark.parametrize("who", ["outsider", "own_staff"])
def test_case_notify_refused_for_outsiders_and_staff(who, request, supervisor, member):
    agency, membership, user = member
    case = proposed_case(agency, supervisor)
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(case, Outcome.REFUSED_PERMISSION, lambda: case_services.case_notify(case=case, actor=actor))


@pytest.mark.parametrize(
    "measure,months,state,notice",
    [
        (MeasureKind.SUSPEND, 2, State.SUSPENDED, "suspension"),
        (MeasureKind.RESTRICT, 3, State.RESTRICTED, None),
        (MeasureKind.EXPEL, None, State.EXPELLED, "expulsion"),
    ],
)
def test_case_apply_allowed_writes_the_measure_once(measure, months, state, notice, supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor, measure=measure, months=months)
    assert case.state == CreditCase.State.APPLIED
    assert case.decided_by == supervisor
    entry = case.measure_entry
    assert (entry.kind, entry.measure, entry.rule_code, entry.source) == (
        "measure",
        measure,
        "CR-SUP-001",
        "supervisor",
    )
    assert entry.basis
    assert refetch(membership).state == state
    assert LedgerEntry.objects.filter(subject__agency=agency, kind="measure").count() == 1
    if notice:
        assert NoticeRequest.objects.filter(kind=notice, payload__agency__uscc=agency.uscc).count() == 1
    if measure == MeasureKind.EXPEL:
        assert entry.expires_at is not None  # the re-entry bar of the policy
        assert refetch(membership).barred_until == entry.expires_at


def test_case_with_a_grave_finding_records_the_event_and_escalates(supervisor, member):
    agency, membership, user = member
    case = case_services.case_propose(
        agency=agency, actor=supervisor, facts="提交的业绩合同系伪造。", ground_code="FALSE_MATERIALS"
    )
    case_services.case_notify(case=case, actor=supervisor)
    hearing_lapsed(case)
    assert case_services.case_decide(case=case, actor=supervisor, apply=True, note="查实").ok
    assert LedgerEntry.objects.filter(subject__agency=agency, code="FALSE_MATERIALS").count() == 1
    assert refetch(membership).state == State.EXPELLED
    assert refetch(case).measure_entry is None  # the expulsion is the rule's, not the case's


def test_case_apply_refused_before_notification(supervisor, member):
    agency, membership, user = member
    case = proposed_case(agency, supervisor)
    assert_refused(
        case,
        Outcome.REFUSED_STATE,
        lambda: case_services.case_decide(case=case, actor=supervisor, apply=True, note="未告知即决定"),
    )
    assert refetch(membership).state == State.ACTIVE


def test_case_apply_refused_while_the_agency_may_still_respond(supervisor, member):
    # Due process holds whoever calls the service, not only on the supervisor's form.
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    before = (side_effects(), TransitionLog.objects.count())
    with pytest.raises(ApplicationError, match="陈述申辩期至"):
        case_services.case_decide(case=case, actor=supervisor, apply=True, note="未等申辩即决定")
    assert refetch(case).state == CreditCase.State.NOTIFIED
    assert refetch(membership).state == State.ACTIVE
    assert (side_effects(), TransitionLog.objects.count()) == before


def test_case_apply_allowed_as_soon_as_the_agency_has_responded(supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    case_services.case_respond(case=case, actor=user, response="逾期系业主变更需求所致，附往来函件。")
    result = case_services.case_decide(case=case, actor=supervisor, apply=True, note="申辩理由不成立。")
    assert result.ok, result.messages
    assert refetch(membership).state == State.SUSPENDED


@pytest.mark.parametrize("who", ["outsider", "own_staff", "buyer"])
def test_case_apply_refused_for_outsiders_staff_and_buyers(who, request, supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    hearing_lapsed(case)
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        case,
        Outcome.REFUSED_PERMISSION,
        lambda: case_services.case_decide(case=case, actor=actor, apply=True, note="越权"),
    )
    assert refetch(membership).state == State.ACTIVE


@pytest.mark.parametrize("notify", [False, True])
def test_case_dismiss_allowed_from_proposed_or_notified(notify, supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor) if notify else proposed_case(agency, supervisor)
    assert case_services.case_decide(case=case, actor=supervisor, apply=False, note="证据不足").ok
    stored = refetch(case)
    assert (stored.state, stored.decision_note) == (CreditCase.State.DISMISSED, "证据不足")
    assert side_effects() == (0, 0)


def test_case_dismiss_refused_once_applied(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    assert_refused(
        case,
        Outcome.REFUSED_STATE,
        lambda: case_services.case_decide(case=case, actor=supervisor, apply=False, note="撤回"),
    )


def test_case_dismiss_refused_for_staff(supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    assert_refused(
        case,
        Outcome.REFUSED_PERMISSION,
        lambda: case_services.case_decide(case=case, actor=user, apply=False, note="自行撤销"),
    )


def test_case_object_allowed_through_an_objection(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    objection_services.objection_submit(entry=case.measure_entry, actor=user, reason="逾期系业主原因所致。")
    assert refetch(case).state == CreditCase.State.OBJECTED
    log = last_log(case)
    assert (log.transition, log.outcome, log.actor) == ("object", Outcome.DONE, None)


def test_case_object_refused_before_it_applies(supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_STATE, lambda: transition_run(obj=case, name="object"))


@pytest.mark.parametrize("who", ["supervisor", "stranger"])
def test_case_object_refused_for_supervisors_and_strangers(who, request, supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    actor = request.getfixturevalue(who)
    assert_refused(case, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=case, name="object", actor=actor))


def test_case_uphold_allowed_when_the_objection_fails(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    objection = objection_services.objection_submit(entry=case.measure_entry, actor=user, reason="不服")
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=False, note="维持").ok
    assert refetch(case).state == CreditCase.State.UPHELD
    assert refetch(membership).state == State.SUSPENDED


def test_case_overturn_allowed_reverses_the_measure(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    objection = objection_services.objection_submit(entry=case.measure_entry, actor=user, reason="逾期系业主原因所致。")
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="异议成立").ok
    assert refetch(case).state == CreditCase.State.OVERTURNED
    assert refetch(membership).state == State.ACTIVE
    assert not subject_for_agency(agency).is_suspended
    notice = NoticeRequest.objects.get(source_key=credit_notices.entry_notice_key(case.measure_entry))
    assert notice.withdrawn_at is not None


@pytest.mark.parametrize("name", ["uphold", "overturn"])
def test_case_uphold_and_overturn_refused_without_an_objection(name, supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_STATE, lambda: transition_run(obj=case, name=name))


@pytest.mark.parametrize("name", ["uphold", "overturn"])
@pytest.mark.parametrize("who", ["own_staff", "outsider"])
def test_case_uphold_and_overturn_refused_for_staff_and_outsiders(name, who, request, supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    objection_services.objection_submit(entry=case.measure_entry, actor=user, reason="不服")
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(case, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=case, name=name, actor=actor))


def test_case_expire_allowed_by_the_sweep_after_the_period(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor, months=1)
    end = case.measure_entry.expires_at
    assert credit_sweeps.cases_expire(end - datetime.timedelta(seconds=1)) == 0
    result = credit_sweeps.credit_sweep(end)
    assert result["cases_expired"] == 1 and result["reinstated"] == 1
    assert refetch(case).state == CreditCase.State.EXPIRED
    assert refetch(membership).state == State.ACTIVE
    assert credit_sweeps.credit_sweep(end) == CREDIT_SWEEP_IDLE


def test_case_expire_refused_while_open(supervisor, member):
    agency, membership, user = member
    case = notified_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_STATE, lambda: transition_run(obj=case, name="expire"))


def test_case_expire_is_for_the_system_only(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=case, name="expire", actor=supervisor))


def test_case_repair_allowed_after_the_minimum_period(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor, months=1)
    entry = case.measure_entry
    later = entry.effective_at + relativedelta(months=12, days=1)
    credit_sweeps.credit_sweep(later)
    with clock(later):
        request = repair_services.repair_submit(
            entry=entry, actor=user, correction="已完成整改。", evidence=pdf_file("整改.pdf")
        )
        assert repair_services.repair_decide(request=request, actor=supervisor, approve=True, note="准予修复").ok
    assert refetch(case).state == CreditCase.State.REPAIRED
    assert entry.followups.filter(kind="neutralise", reason="repaired").count() == 1


def test_case_repair_refused_while_open(supervisor, member):
    agency, membership, user = member
    case = proposed_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_STATE, lambda: transition_run(obj=case, name="repair"))


def test_case_repair_refused_for_staff(supervisor, member):
    agency, membership, user = member
    case = applied_case(agency, supervisor)
    assert_refused(case, Outcome.REFUSED_PERMISSION, lambda: transition_run(obj=case, name="repair", actor=user))
