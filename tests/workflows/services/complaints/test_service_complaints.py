"""Complaints about an agency's service (投诉): a buyer or a member of the public files, the agency states
its side, the supervisor in scope decides; upheld, a quality complaint goes on the agency's record through
the rules (the third within the window opens a prior notice of expulsion) and the decision is published
without personal data."""

from __future__ import annotations

import pytest

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry
from marketplace.errors import ApplicationError, NotPermitted
from tests.factories import UserFactory, buyer_user
from tests.helpers import pdf_file, refetch
from workflows.models import CreditCase, ServiceComplaint, TransitionLog
from workflows.services.complaints import service as services

pytestmark = pytest.mark.django_db

GROUNDS = "评估报告多处数据与现场不符，经指出后仍未更正。"


def _filed(agency, actor=None) -> ServiceComplaint:
    return services.service_complaint_file(
        agency=agency, actor=actor or buyer_user(), grounds=GROUNDS, evidence=pdf_file("photo.pdf")
    )


def test_a_buyer_files_and_the_agency_responds(member):
    agency, _m, agency_staff = member
    buyer = buyer_user()
    complaint = _filed(agency, buyer)
    assert complaint.buyer is not None and complaint.evidence.name
    assert services.service_complaint_respond(complaint=complaint, actor=agency_staff, text="已重新核对数据。").ok
    assert refetch(complaint).state == ServiceComplaint.State.RESPONDED


def test_a_member_of_the_public_files_as_public(member):
    agency, _m, _u = member
    complaint = _filed(agency, UserFactory())
    assert complaint.buyer is None


def test_a_second_open_complaint_by_the_same_person_is_refused(member):
    agency, _m, _u = member
    buyer = buyer_user()
    _filed(agency, buyer)
    with pytest.raises(ApplicationError):
        _filed(agency, buyer)
    assert ServiceComplaint.objects.count() == 1


def test_an_anonymous_visitor_cannot_file(member):
    from django.contrib.auth.models import AnonymousUser

    agency, _m, _u = member
    with pytest.raises(NotPermitted):
        services.service_complaint_file(agency=agency, actor=AnonymousUser(), grounds=GROUNDS)


def test_another_agency_cannot_respond(member, stranger):
    agency, _m, _u = member
    complaint = _filed(agency)
    result = services.service_complaint_respond(complaint=complaint, actor=stranger, text="无关说明")
    assert result.outcome == TransitionLog.Outcome.REFUSED_PERMISSION
    assert refetch(complaint).state == ServiceComplaint.State.FILED


def test_an_upheld_complaint_records_a_quality_complaint_and_is_published(member, supervisor):
    agency, _m, _u = member
    complaint = _filed(agency)
    assert services.service_complaint_decide(
        complaint=complaint, actor=supervisor, uphold=True, reasons="经现场核查，报告数据确有错误。"
    ).ok
    entry = LedgerEntry.objects.get(subject__agency=agency, code="QUALITY_COMPLAINT")
    assert entry.is_quality_complaint
    notice = NoticeRequest.objects.get(source_key=f"service-complaint:{complaint.pk}:decision")
    assert notice.payload["agency"]["uscc"] == agency.uscc
    assert notice.payload["complainant"]["name"] == complaint.buyer.name  # the unit, never the person


def test_a_dismissed_complaint_records_nothing(member, supervisor):
    agency, _m, _u = member
    complaint = _filed(agency, UserFactory())
    assert services.service_complaint_decide(
        complaint=complaint, actor=supervisor, uphold=False, reasons="查无实据。"
    ).ok
    assert not LedgerEntry.objects.filter(subject__agency=agency, code="QUALITY_COMPLAINT").exists()
    notice = NoticeRequest.objects.get(source_key=f"service-complaint:{complaint.pk}:decision")
    assert notice.payload["complainant"]["name"] == "公众"


def test_the_third_upheld_complaint_opens_a_prior_notice_of_expulsion(member, supervisor):
    agency, _m, _u = member
    buyer = buyer_user()
    for n in range(3):
        complaint = _filed(agency, buyer)
        services.service_complaint_decide(
            complaint=complaint, actor=supervisor, uphold=True, reasons=f"第{n + 1}次核实属实。"
        )
    assert LedgerEntry.objects.filter(subject__agency=agency, code="QUALITY_COMPLAINT").count() == 3
    notice = CreditCase.objects.get(agency=agency)
    assert notice.measure == "expel"


def test_a_supervisor_out_of_scope_cannot_decide(member, outsider):
    agency, _m, _u = member
    complaint = _filed(agency)
    result = services.service_complaint_decide(complaint=complaint, actor=outsider, uphold=True, reasons="成立。")
    assert result.outcome == TransitionLog.Outcome.REFUSED_PERMISSION
    assert not LedgerEntry.objects.filter(code="QUALITY_COMPLAINT").exists()
