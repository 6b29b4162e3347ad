"""Every transition of Membership, CreditCase, Objection and RepairRequest, driven through the services.

For each: the allowed path, a refused source state, a permission refusal (wrong role, another
agency's staff, a supervisor out of scope, a person where only the system may act) and, where the
credit gate guards it, a credit refusal. Every refusal leaves the row as it was, writes no measure
and asks for no notice, and is kept in the transition log (and, for credit, as a decision record).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.gate import MeasureOrder
from credit_rules.models import DecisionRecord, ExternalListing, LedgerEntry, MeasureKind, Source
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import Region
from tests.factories import (
    AgencyFactory,
    BuyerUnitFactory,
    QualificationFactory,
    admitted_agency,
    agency_user,
    buyer_user,
    hearing_lapsed,
    leaf_category,
    supervisor_user,
)
from workflows.models import CreditCase, Engagement, Membership, Objection, Project, RepairRequest, TransitionLog
from workflows.selectors import facts
from workflows.services import membership as membership_services
from workflows.services.credit import cases as case_services
from workflows.services.credit import events as event_services
from workflows.services.credit import measures as measure_services
from workflows.services.credit import notices as credit_notices
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services
from workflows.services.credit import sweeps as credit_sweeps
from workflows.services.transitions import row_reload, transition_run

pytestmark = pytest.mark.django_db

State = Membership.State
Outcome = TransitionLog.Outcome
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- helpers --------------------------------------------------------------------------------------


@contextmanager
def clock(at: datetime.datetime):
    """Move the platform's clock (the services read timezone.now())."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def refetch(obj):
    """The row as stored (protected FSM fields are not refreshed in place)."""
    return type(obj).objects.get(pk=obj.pk)


def side_effects() -> tuple[int, int]:
    """Measures in the ledger and notice requests: a refusal must add neither."""
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE).count(), NoticeRequest.objects.count()


def last_log(obj) -> TransitionLog:
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).latest("pk")


def assert_refused(obj, outcome: str, call: Callable, *, rule: str | None = None):
    """Run ``call``; it must be refused with ``outcome`` and leave no trace but the records of the refusal."""
    before_state = refetch(obj).state
    before_effects = side_effects()
    before_logs = TransitionLog.objects.count()
    result = call()
    assert not result.ok
    assert result.outcome == outcome, result.messages
    assert result.messages
    assert refetch(obj).state == before_state
    assert side_effects() == before_effects
    log = last_log(obj)
    assert TransitionLog.objects.count() == before_logs + 1
    assert (log.outcome, log.from_state, log.to_state) == (outcome, before_state, before_state)
    if outcome == Outcome.REFUSED_CREDIT:
        record = DecisionRecord.objects.get(pk=result.record.pk)
        assert record.allowed is False
        assert rule in [r["rule"] for r in record.reasons if r["outcome"] == "refuse"]
        assert record.target == f"{obj._meta.label_lower}:{obj.pk}"
        assert log.decision_id == record.pk
        assert any(m.startswith(rule) for m in result.messages)
    else:
        assert rule is None
    return result


def draft_membership(agency=None):
    """An agency with a qualification and a filled-in application (draft); returns (agency, membership, user)."""
    agency = agency or AgencyFactory()
    QualificationFactory(agency=agency)
    user = agency_user(agency)
    membership = membership_services.membership_start(agency=agency, actor=user)
    membership = membership_services.membership_update_application(
        membership=membership, actor=user, statement="专业从事房地产估价，承诺依法诚信执业。"
    )
    return agency, membership, user


def submitted_membership(agency=None):
    agency, membership, user = draft_membership(agency)
    result = membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    assert result.ok, result.messages
    return agency, refetch(membership), user


def record(agency, code: str, *, at=None, actor=None):
    """A catalogue event on the agency's ledger, escalated by the policy as in production."""
    return event_services.credit_event_record(
        subject=subject_for_agency(agency), code=code, source=Source.SUPERVISOR, actor=actor, at=at
    )


def apply_measure(agency, kind: str, *, months: int | None = None, rule: str = "CR-ESC-001"):
    return measure_services.measures_apply(
        subject=subject_for_agency(agency), orders=[MeasureOrder(rule, kind, months=months)]
    )


def open_engagement(agency, state=Engagement.State.IN_SERVICE) -> Engagement:
    """An engagement of the agency on a buyer's project (rows created directly with their state)."""
    unit = BuyerUnitFactory()
    buyer = buyer_user(unit)
    project = Project.objects.create(
        code=f"ZJCS-T-{Project.objects.count() + 1:06d}-{agency.pk}",
        buyer=unit,
        created_by=buyer,
        state=Project.State.IN_SERVICE,
        name="房地产估价服务",
        category=leaf_category(),
        content="对拟收储地块进行估价。",
        budget=Decimal("50000"),
        quote_floor=Decimal("10000"),
        quote_ceiling=Decimal("50000"),
        method=Project.Method.DRAW,
    )
    return Engagement.objects.create(project=project, agency=agency, state=state)


@pytest.fixture
def supervisor():
    return supervisor_user()


@pytest.fixture
def outsider():
    """A supervisor whose scope is another district: 惠阳区 does not cover the agencies (惠城区)."""
    return supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)


@pytest.fixture
def stranger():
    """Staff of another agency."""
    return agency_user()


@pytest.fixture
def buyer():
    return buyer_user()


@pytest.fixture
def member(supervisor):
    """An admitted agency: (agency, membership, user)."""
    return admitted_agency(supervisor=supervisor)


# --- Membership.submit ------------------------------------------------------------------------------


def test_submit_allowed_records_the_commitment_and_the_decision():
    agency, membership, user = draft_membership()
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
    agency, membership, user = submitted_membership()
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True),
    )


@pytest.mark.parametrize("who", ["stranger", "buyer", "supervisor"])
def test_submit_refused_for_anyone_but_the_agency_staff(who, request):
    agency, membership, user = draft_membership()
    actor = request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_submit(membership=membership, actor=actor, accept_commitment=True),
    )


def test_submit_refused_for_a_serious_record_within_the_lookback():
    agency, membership, user = draft_membership()
    record(agency, "DECLINE_WIN", at=timezone.now() - relativedelta(months=20))
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
    agency, membership, user = draft_membership()
    credit_services_import_listing(agency)
    assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True),
        rule="CR-ONB-001",
    )


def credit_services_import_listing(agency, delisted: str = "") -> None:
    from workflows.services.credit.external import external_list_import

    content = (
        "uscc,name,reason,source,listed_on,delisted_on\n"
        f"{agency.uscc},{agency.name},拒不履行生效判决,失信被执行人名单,2025-01-06,{delisted}\n"
    ).encode()
    external_list_import(content=content, filename="sxbzxr.csv")


def test_submit_without_accepting_the_commitment_writes_nothing():
    agency, membership, user = draft_membership()
    logs = TransitionLog.objects.count()
    with pytest.raises(ApplicationError):
        membership_services.membership_submit(membership=membership, actor=user, accept_commitment=False)
    assert refetch(membership).state == State.DRAFT
    assert TransitionLog.objects.count() == logs


# --- Membership.approve / send_back / reject --------------------------------------------------------


def test_approve_allowed_admits_for_three_years(supervisor):
    agency, membership, user = submitted_membership()
    result = membership_services.membership_review(membership=membership, actor=supervisor, decision="approve")
    assert result.ok
    stored = refetch(membership)
    assert stored.state == State.ACTIVE
    assert stored.member_since is not None and stored.decided_at is not None
    assert stored.term_until > (timezone.localdate() + datetime.timedelta(days=3 * 365 - 2))
    assert stored.fast_tracked is False


def test_approve_refused_for_a_draft(supervisor):
    agency, membership, user = draft_membership()
    assert_refused(
        membership,
        Outcome.REFUSED_STATE,
        lambda: membership_services.membership_review(membership=membership, actor=supervisor, decision="approve"),
    )


@pytest.mark.parametrize("who", ["own_staff", "outsider", "buyer"])
def test_approve_refused_for_agency_staff_outsiders_and_buyers(who, request):
    agency, membership, user = submitted_membership()
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_review(membership=membership, actor=actor, decision="approve"),
    )


def test_approve_refused_for_a_serious_record_found_after_submission(supervisor):
    agency, membership, user = submitted_membership()
    record(agency, "DECLINE_WIN")
    assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_review(membership=membership, actor=supervisor, decision="approve"),
        rule="CR-ONB-003",
    )


@pytest.mark.parametrize("decision,target", [("send_back", State.RETURNED), ("reject", State.REJECTED)])
def test_send_back_and_reject_allowed_with_a_reason(decision, target, supervisor):
    agency, membership, user = submitted_membership()
    result = membership_services.membership_review(
        membership=membership, actor=supervisor, decision=decision, note="资质证书扫描件不清晰。"
    )
    assert result.ok
    stored = refetch(membership)
    assert stored.state == target
    assert stored.review_note == "资质证书扫描件不清晰。"
    assert (stored.ended_at is not None) == (decision == "reject")


def test_a_returned_application_can_be_submitted_again(supervisor):
    agency, membership, user = submitted_membership()
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
    agency, membership, user = submitted_membership()
    actor = user if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        membership,
        Outcome.REFUSED_PERMISSION,
        lambda: membership_services.membership_review(
            membership=membership, actor=actor, decision=decision, note="理由"
        ),
    )


def test_send_back_without_a_reason_writes_nothing(supervisor):
    agency, membership, user = submitted_membership()
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
    agency, membership, user = submitted_membership(agency)
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
    agency, membership, user = draft_membership()
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
    agency, membership, user = draft_membership()
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
    open_engagement(agency, Engagement.State.RATED)
    open_engagement(agency, Engagement.State.TERMINATED)
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
    open_engagement(agency, Engagement.State.IN_SERVICE)
    result = assert_refused(
        membership,
        Outcome.REFUSED_CREDIT,
        lambda: membership_services.membership_withdraw(membership=membership, actor=user),
        rule="CR-EXIT-001",
    )
    assert result.refusals[0].params == {"open": 1}


# --- CreditCase ------------------------------------------------------------------------------------


def proposed_case(agency, supervisor, *, measure=MeasureKind.SUSPEND, months=1) -> CreditCase:
    return case_services.case_propose(
        agency=agency, actor=supervisor, facts="多次未按时提交成果，经约谈仍未整改。", measure=measure, months=months
    )


def notified_case(agency, supervisor, **kwargs) -> CreditCase:
    case = proposed_case(agency, supervisor, **kwargs)
    assert case_services.case_notify(case=case, actor=supervisor).ok
    return refetch(case)


def applied_case(agency, supervisor, **kwargs) -> CreditCase:
    case = notified_case(agency, supervisor, **kwargs)
    hearing_lapsed(case)
    result = case_services.case_decide(case=case, actor=supervisor, apply=True, note="陈述申辩理由不成立。")
    assert result.ok, result.messages
    return refetch(case)


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
    assert credit_sweeps.credit_sweep(end) == {
        "standings": 0,
        "reinstated": 0,
        "restricted": 0,
        "unrestricted": 0,
        "listings": 0,
        "cases_expired": 0,
    }


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
            entry=entry, actor=user, correction="已完成整改。", evidence=SimpleUploadedFile("整改.pdf", PDF)
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


# --- Objection -------------------------------------------------------------------------------------


@pytest.fixture
def objection(member, supervisor):
    """An open objection to a poor rating of the member."""
    agency, membership, user = member
    entry = record(agency, "RATING_POOR", actor=supervisor)
    return objection_services.objection_submit(entry=entry, actor=user, reason="评价人未实际验收，评价有误。")


def test_objection_submit_flags_the_entry_disputed(objection):
    assert objection.state == Objection.State.SUBMITTED
    assert objection.entry.followups.filter(kind="dispute", reason="dispute_opened").count() == 1
    assert objection.due_on > timezone.localdate()


def test_objection_uphold_allowed_closes_the_dispute(objection, supervisor):
    score = subject_for_agency(objection.agency).score
    assert objection_services.objection_decide(
        objection=objection, actor=supervisor, overturn=False, note="评价属实"
    ).ok
    stored = refetch(objection)
    assert (stored.state, stored.decided_by) == (Objection.State.UPHELD, supervisor)
    assert objection.entry.followups.filter(kind="dispute", reason="dispute_closed").count() == 1
    assert subject_for_agency(objection.agency).score == score


def test_objection_overturn_allowed_reverses_the_points(objection, supervisor):
    subject = subject_for_agency(objection.agency)
    assert subject.score == 95
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="评价有误").ok
    assert refetch(objection).state == Objection.State.OVERTURNED
    assert subject_for_agency(objection.agency).score == 100
    [reversal] = objection.entry.followups.filter(kind="neutralise")
    assert (reversal.reason, reversal.points) == ("overturned", 5)


@pytest.mark.parametrize("overturn", [False, True])
def test_objection_decided_once_only(overturn, objection, supervisor):
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=False, note="维持").ok
    assert_refused(
        objection,
        Outcome.REFUSED_STATE,
        lambda: objection_services.objection_decide(
            objection=objection, actor=supervisor, overturn=overturn, note="再议"
        ),
    )


@pytest.mark.parametrize("overturn", [False, True])
@pytest.mark.parametrize("who", ["own_staff", "outsider", "buyer"])
def test_objection_decide_refused_for_staff_outsiders_and_buyers(overturn, who, request, objection, member):
    actor = member[2] if who == "own_staff" else request.getfixturevalue(who)
    score = subject_for_agency(objection.agency).score
    assert_refused(
        objection,
        Outcome.REFUSED_PERMISSION,
        lambda: objection_services.objection_decide(objection=objection, actor=actor, overturn=overturn, note="越权"),
    )
    assert subject_for_agency(objection.agency).score == score


def test_objection_by_another_agency_is_refused_and_writes_nothing(member, stranger):
    agency, membership, user = member
    entry = record(agency, "RATING_POOR")
    with pytest.raises(NotPermitted):
        objection_services.objection_submit(entry=entry, actor=stranger, reason="代为异议")
    assert not Objection.objects.exists()


# --- RepairRequest ---------------------------------------------------------------------------------


@pytest.fixture
def repair_request(member):
    """A repair request for a poor rating recorded four months ago (repairable after three)."""
    agency, membership, user = member
    entry = record(agency, "RATING_POOR", at=timezone.now() - relativedelta(months=4))
    return repair_services.repair_submit(
        entry=entry, actor=user, correction="已建立成果复核制度。", evidence=SimpleUploadedFile("整改.pdf", PDF)
    )


def test_repair_approve_allowed_the_entry_stops_counting(repair_request, supervisor):
    agency = repair_request.agency
    assert subject_for_agency(agency).score == 95
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=True, note="准予").ok
    assert refetch(repair_request).state == RepairRequest.State.APPROVED
    assert subject_for_agency(agency).score == 100
    assert NoticeRequest.objects.filter(kind="repair", payload__agency__uscc=agency.uscc).count() == 1


def test_repair_reject_allowed_keeps_the_entry(repair_request, supervisor):
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=False, note="整改不到位").ok
    assert refetch(repair_request).state == RepairRequest.State.REJECTED
    assert subject_for_agency(repair_request.agency).score == 95
    assert not repair_request.entry.followups.exists()


@pytest.mark.parametrize("approve", [False, True])
def test_repair_decided_once_only(approve, repair_request, supervisor):
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=False, note="不予").ok
    assert_refused(
        repair_request,
        Outcome.REFUSED_STATE,
        lambda: repair_services.repair_decide(request=repair_request, actor=supervisor, approve=approve, note="再审"),
    )


@pytest.mark.parametrize("approve", [False, True])
@pytest.mark.parametrize("who", ["own_staff", "outsider", "stranger"])
def test_repair_decide_refused_for_staff_outsiders_and_strangers(approve, who, request, repair_request, member):
    actor = member[2] if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        repair_request,
        Outcome.REFUSED_PERMISSION,
        lambda: repair_services.repair_decide(request=repair_request, actor=actor, approve=approve, note="越权"),
    )
    assert subject_for_agency(repair_request.agency).score == 95


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
    agency, membership, user = draft_membership()
    credit_services_import_listing(agency, delisted=timezone.localdate().isoformat())
    assert ExternalListing.objects.filter(uscc=agency.uscc).count() == 1
    assert membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True).ok


# --- reloading a row ------------------------------------------------------------------------------


def test_row_reload_sees_another_copys_transition_without_touching_the_state_fields_guard(member, monkeypatch):
    # django-fsm's refresh_from_db switches the state field's class-wide ``protected`` flag off and
    # on, which races with transitions in other threads; row_reload must not write it at all.
    agency, membership, user = member
    field = Membership._meta.get_field("state")
    writes = []
    original = type(field).__setattr__

    def spy(self, name, value):
        if name == "protected":
            writes.append(value)
        original(self, name, value)

    monkeypatch.setattr(type(field), "__setattr__", spy)
    assert membership.agency == agency  # a cached relation, dropped by the reload
    other = Membership.objects.get(pk=membership.pk)
    assert transition_run(obj=other, name="suspend", params={"until": None}).ok
    assert row_reload(membership) is membership
    assert membership.state == State.SUSPENDED
    assert "agency" not in membership._state.fields_cache
    assert writes == [] and field.protected is True
    membership.refresh_from_db()  # the library's way, for contrast: it does write the flag
    assert writes == [False, True]
