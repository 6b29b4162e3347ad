"""Government integrity (政务诚信) in the buyer's life: each failure is noticed by the deadline sweep (or the
service that meets it) and written once to the buyer unit's own record through its rule — a payment late,
a contract the agency uploaded left unsigned, a result neither accepted nor returned in time, a service left
unrated — and enough of them within the policy's window warrant a public warning addressed also to the
unit's supervising department. Buyers are never refused from buying, and the agency bears none of it.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry
from credit_rules.rules.base import code_of
from credit_rules.rules.buyer import acceptance_late, contract_unsigned, failures_warn, rating_missed
from credit_rules.rules.service import late_payment
from marketplace.models import BuyerUnit
from tests.factories import (
    BuyerUnitFactory,
    accepted_engagement,
    apply_measure,
    buyer_user,
    contract_signed,
    contracting_project,
    delivered_engagement,
    submitted_project,
)
from tests.helpers import after, clock, close_to, pdf_content, refetch
from workflows.models import Engagement, Payment, Project, SignUp
from workflows.services.credit.buyers import buyer_failure_record
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def buyer_events(unit: BuyerUnit, code: str | None = None) -> list[LedgerEntry]:
    events = LedgerEntry.objects.filter(subject__buyer_unit=unit, kind=LedgerEntry.Kind.EVENT).order_by("seq")
    return list(events.filter(code=code) if code else events)


def agency_records(agency) -> list[str]:
    return list(LedgerEntry.objects.filter(subject__agency=agency).values_list("code", flat=True))


# --- late payment (CR-PAY-001, kept) ----------------------------------------------------------------------


def test_a_late_payment_is_recorded_once_against_the_buyer_unit():
    # given a result accepted: its payment falls due
    deal = accepted_engagement()
    payment = Payment.objects.get(engagement=deal.engagement)
    unit = deal.project.buyer
    agency_before = agency_records(deal.winner.agency)
    # when the due date passes unpaid, and the sweep runs twice
    assert deadlines_sweep(after(payment.due_at))["payment_late"] == 1
    assert deadlines_sweep(after(payment.due_at, 60))["payment_late"] == 0
    # then the buyer unit's record holds it once, under its rule, with the project
    [entry] = buyer_events(unit, "BUYER_LATE_PAYMENT")
    assert entry.rule_code == code_of(late_payment)
    assert entry.evidence["project"] == deal.project.code
    assert deal.project.code in entry.evidence["summary"]
    # and nothing of it is the agency's
    assert "BUYER_LATE_PAYMENT" not in agency_records(deal.winner.agency)
    assert len(agency_records(deal.winner.agency)) == len(agency_before)


# --- the contract left unsigned by the buyer (CR-BUY-001) -------------------------------------------------


def test_a_contract_left_unsigned_is_the_buyers_failure_and_the_deadline_extends_once():
    # given the winner uploaded its contract and the buyer has not signed it
    buyer = buyer_user()
    deal = contracting_project(buyer=buyer, contract=True)
    engagement, unit = deal.engagement, deal.project.buyer
    at = after(engagement.contract_due)
    # when the contract deadline passes
    report = deadlines_sweep(at)
    # then it is recorded once against the buyer, and the deadline is extended by the policy's days
    assert (report["contract_unsigned"], report["contract_missed"]) == (1, 0)
    [entry] = buyer_events(unit)
    assert (entry.code, entry.rule_code) == ("BUYER_CONTRACT_LATE", code_of(contract_unsigned))
    assert entry.evidence["project"] == deal.project.code
    stored = refetch(engagement)
    assert stored.state == Engagement.State.AWAITING_CONTRACT and stored.buyer_contract_late_recorded
    assert close_to(stored.contract_due, at + 5 * DAY)
    # and the agency keeps its win with nothing on its record
    assert refetch(deal.winner).state == SignUp.State.CONFIRMED
    assert not {"CONTRACT_LATE", "MEASURE_REVOKE"} & set(agency_records(deal.winner.agency))
    # and a second run before the new deadline finds nothing to do
    assert deadlines_sweep(after(at, 60))["contract_unsigned"] == 0
    # and the buyer may still sign within the extension: the service starts
    signed = contract_signed(refetch(engagement), buyer, deal.winner.quote)
    assert signed.state == Engagement.State.IN_SERVICE
    assert len(buyer_events(unit)) == 1


def test_past_the_extended_deadline_the_project_ends_without_a_second_record():
    deal = contracting_project(contract=True)
    engagement, unit = deal.engagement, deal.project.buyer
    deadlines_sweep(after(engagement.contract_due))
    extended = refetch(engagement).contract_due
    # when the extended deadline passes too
    assert deadlines_sweep(after(extended))["contract_unsigned"] == 1
    # then the service is terminated and the project fails with a published notice saying why
    stored = refetch(engagement)
    assert stored.state == Engagement.State.TERMINATED and "项目业主" in stored.terminated_reason
    assert refetch(deal.project).state == Project.State.FAILED
    notice = NoticeRequest.objects.get(source_key=f"project:{deal.project.code}:termination")
    assert "项目业主" in notice.payload["reason"] and notice.payload["title"].endswith("终止公告")
    # and the buyer's record still holds one failure for this contract; the agency none
    assert len(buyer_events(unit, "BUYER_CONTRACT_LATE")) == 1
    assert not {"CONTRACT_LATE", "MEASURE_REVOKE"} & set(agency_records(deal.winner.agency))


def test_an_agency_that_could_not_be_contracted_is_not_the_buyers_failure():
    # given the uploaded contract and a winner suspended since
    deal = contracting_project(contract=True)
    apply_measure(deal.winner.agency, "suspend", months=1)
    # when the deadline passes
    deadlines_sweep(after(deal.engagement.contract_due))
    # then the win is revoked as the contract would have done, and nothing is recorded against the buyer
    assert refetch(deal.winner).state == SignUp.State.REVOKED
    assert buyer_events(deal.project.buyer) == []


# --- the result neither accepted nor returned in time (CR-BUY-002) ---------------------------------------


def test_a_result_not_accepted_in_time_is_recorded_once_and_the_payment_runs_from_the_period_end():
    buyer = buyer_user()
    deal = delivered_engagement(buyer=buyer)
    engagement, unit = refetch(deal.engagement), deal.project.buyer
    # the buyer's period (15 days by the policy) started with the submission
    assert close_to(engagement.acceptance_due, engagement.result_submitted_at + 15 * DAY)
    # when it passes, and the sweep runs twice
    assert deadlines_sweep(after(engagement.acceptance_due))["acceptance_late"] == 1
    assert deadlines_sweep(after(engagement.acceptance_due, 60))["acceptance_late"] == 0
    [entry] = buyer_events(unit)
    assert (entry.code, entry.rule_code) == ("BUYER_ACCEPTANCE_LATE", code_of(acceptance_late))
    assert entry.evidence["project"] == deal.project.code
    # and when the buyer accepts three days late, the payment period runs from the end of its period
    with clock(engagement.acceptance_due + 3 * DAY):
        assert engagement_services.result_review(engagement=engagement, actor=buyer, accept=True).ok
    payment = Payment.objects.get(engagement=engagement)
    assert close_to(payment.due_at, engagement.acceptance_due + deal.project.payment_days * DAY)


def test_a_result_reviewed_in_time_is_not_recorded():
    buyer = buyer_user()
    deal = delivered_engagement(buyer=buyer)
    assert engagement_services.result_review(
        engagement=deal.engagement, actor=buyer, accept=False, note="估价报告缺少比较案例，请补充。"
    ).ok
    assert deadlines_sweep(after(refetch(deal.engagement).acceptance_due))["acceptance_late"] == 0
    assert buyer_events(deal.project.buyer) == []


# --- the rating window closed unrated (CR-BUY-003) --------------------------------------------------------


def test_the_rating_window_closing_unrated_is_recorded_against_the_buyer_not_the_agency():
    deal = accepted_engagement()
    engagement, unit = refetch(deal.engagement), deal.project.buyer
    assert deadlines_sweep(after(engagement.rating_due))["rating_closed"] == 1
    assert refetch(engagement).state == Engagement.State.RATED
    [entry] = buyer_events(unit, "BUYER_RATING_MISSED")
    assert entry.rule_code == code_of(rating_missed) and entry.evidence["project"] == deal.project.code
    assert not {"RATING_EXCELLENT", "RATING_POOR"} & set(agency_records(deal.winner.agency))
    assert deadlines_sweep(after(engagement.rating_due, 60))["rating_closed"] == 0
    assert len(buyer_events(unit, "BUYER_RATING_MISSED")) == 1


# --- the warning ----------------------------------------------------------------------------------------


def fail(unit: BuyerUnit, project: str, at: datetime.datetime) -> None:
    """A late payment noticed at ``at`` on the unit's project ``project``."""
    buyer_failure_record(
        unit=unit, step="payment.late", context={"project": project, "due": "—"}, target=project, at=at
    )


def test_the_third_failure_within_the_window_warns_publicly_and_tells_the_supervising_department():
    # given a unit answering to a supervising department, with a contact person on file
    unit = BuyerUnitFactory(
        supervising_department="惠州市人民政府", contact_name="联系人甄秘密", contact_phone="13912345678"
    )
    start = timezone.now() - 90 * DAY
    fail(unit, "ZJCS-2026-000001", start)
    fail(unit, "ZJCS-2026-000002", start + 10 * DAY)
    assert buyer_events(unit, "BUYER_WARNING") == []
    # when the third failure within 12 months is recorded
    fail(unit, "ZJCS-2026-000003", start + 20 * DAY)
    # then a warning is recorded under its rule, with the decision kept
    [warning] = buyer_events(unit, "BUYER_WARNING")
    assert warning.rule_code == code_of(failures_warn) and warning.evidence["failures"] == 3
    assert DecisionRecord.objects.filter(
        transition="buyer.recorded", target=f"marketplace.buyerunit:{unit.pk}"
    ).exists()
    # and published, naming the unit and its supervising department, never a person
    notice = NoticeRequest.objects.get(kind="warning", source_key=f"credit:{unit.uscc}:{warning.seq}")
    payload = notice.payload
    assert payload["subject_kind"] == "buyer" and payload["agency"] == {"name": unit.name, "uscc": unit.uscc}
    assert payload["supervising_department"] == "惠州市人民政府"
    assert payload["addressed_to"] == [unit.name, "惠州市人民政府"]
    assert payload["rule_code"] == code_of(failures_warn)
    text = json.dumps(payload, ensure_ascii=False)
    assert "甄秘密" not in text and "13912345678" not in text
    # and the count starts again: a fourth and fifth failure do not warn, the sixth does
    fail(unit, "ZJCS-2026-000004", start + 30 * DAY)
    fail(unit, "ZJCS-2026-000005", start + 40 * DAY)
    assert len(buyer_events(unit, "BUYER_WARNING")) == 1
    fail(unit, "ZJCS-2026-000006", start + 50 * DAY)
    assert len(buyer_events(unit, "BUYER_WARNING")) == 2


def test_failures_outside_the_window_do_not_warn():
    unit = BuyerUnitFactory()
    now = timezone.now()
    fail(unit, "ZJCS-2025-000001", now - 500 * DAY)
    fail(unit, "ZJCS-2025-000002", now - 450 * DAY)
    fail(unit, "ZJCS-2026-000003", now)
    assert buyer_events(unit, "BUYER_WARNING") == []


def test_a_warned_buyer_is_never_refused_from_buying():
    buyer = buyer_user()
    unit = buyer.buyerstaff_set.get().unit
    for n in range(3):
        fail(unit, f"ZJCS-2026-00001{n}", timezone.now() - (30 - n) * DAY)
    assert len(buyer_events(unit, "BUYER_WARNING")) == 1
    project = submitted_project(buyer)
    assert project.state == Project.State.PENDING_REVIEW


def test_a_contract_uploaded_after_the_deadline_is_the_agencys_lateness_not_the_buyers():
    # given the contract deadline passed before the winner uploaded, and the sweep comes round after
    deal = contracting_project()
    engagement = deal.engagement
    with clock(after(engagement.contract_due, 30)):
        engagement_services.contract_upload(engagement=engagement, actor=deal.winner_user, file=pdf_content())
    deadlines_sweep(after(engagement.contract_due, 60))
    # then it is the agency's missed contract (its win revoked), and nothing is recorded against the buyer
    assert refetch(deal.winner).state == SignUp.State.REVOKED
    assert "CONTRACT_LATE" in agency_records(deal.winner.agency)
    assert buyer_events(deal.project.buyer) == []
