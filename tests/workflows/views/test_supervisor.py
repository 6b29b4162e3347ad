"""The supervisor's pages: queue, entry review, warnings and events, cases, objections, repairs, external lists."""

from __future__ import annotations

import datetime
import io
import json
import uuid

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import CreditSubject, ExternalListing, LedgerEntry
from credit_rules.services import subject_for_agency
from marketplace.models import Region
from tests.factories import (
    AgencyFactory,
    admitted_agency,
    buyer_user,
    listing_csv,
    notice_lapses,
    notified_case,
    pending_notice,
    proposed_case,
    record_event,
    submitted_application,
    supervisor_user,
    warned_twice,
)
from tests.helpers import page_text, pdf_file, query_count, refetch
from tests.query_budgets import BUDGETS
from workflows.models import CreditCase, Membership, Objection, RepairRequest
from workflows.services.credit import cases as case_services
from workflows.services.credit import events as event_services
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services

pytestmark = pytest.mark.django_db


def event_post(
    client,
    agency,
    *,
    token=None,
    code="CREDIT_WARNING",
    summary="未按合同约定提交成果，经核查属实。",
    evidence_file=None,
    confirm=True,
):
    """The supervisor's event form, filled in for ``agency`` and sent (with a fresh one-time token unless given),
    then confirmed on the check-your-answers page unless ``confirm`` is False."""
    data = {
        "agency": agency.uscc,
        "code": code,
        "facts": "2026 年 3 月，该机构承接的评估项目逾期 40 日未提交成果，经调查属实。",
        "evidence_summary": summary,
        "token": str(token or uuid.uuid4()),
    }
    if evidence_file is not None:
        data["evidence_file"] = evidence_file
    response = client.post(reverse("supervisor-event-new"), data)
    if confirm and response.status_code == 200 and response.context and "confirmation" in response.context:
        # The check-your-answers page: confirm what it shows.
        response = client.post(
            reverse("supervisor-event-new"), {"step": "confirm", "confirmation": response.context["confirmation"]}
        )
    return response


def import_post(client, upload):
    """An external list file sent to the import page, then confirmed on its check-your-answers page (when valid)."""
    response = client.post(reverse("supervisor-external-import"), {"file": upload})
    if response.status_code == 200 and response.context and "confirmation" in response.context:
        response = client.post(
            reverse("supervisor-external-import"), {"step": "confirm", "confirmation": response.context["confirmation"]}
        )
    return response


def case_decision_post(client, url, data, **kwargs):
    """The case decision form sent, then confirmed on its check-your-answers page (when the form was valid)."""
    response = client.post(url, data)
    if response.status_code == 200 and response.context and "confirmation" in response.context:
        response = client.post(url, {"step": "confirm", "confirmation": response.context["confirmation"]}, **kwargs)
    elif kwargs.get("follow") and response.status_code == 302:
        response = client.get(response["Location"])
    return response


@pytest.fixture
def supervisor(db):
    return supervisor_user(username="sup_all")


@pytest.fixture
def sup_client(client, supervisor):
    client.force_login(supervisor)
    return client


# --- access and scope ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_other_roles_are_refused(client):
    # given an anonymous visitor and a buyer
    response = client.get(reverse("supervisor-queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # when a buyer opens the supervisor's queue
    client.force_login(buyer_user())
    # then it is refused
    assert client.get(reverse("supervisor-queue")).status_code == 403


def test_queue_lists_only_applications_in_scope_and_out_of_scope_page_is_404(client):
    # given a supervisor for Huiyang district, one application there and one in Huicheng
    huiyang = Region.objects.get(code="441303")
    sup = supervisor_user(regions=[huiyang], all_categories=True)
    _agency, inside, _user = submitted_application(AgencyFactory(region=huiyang, name="惠阳测绘有限公司"), scan=True)
    _agency, outside, _user = submitted_application(AgencyFactory(name="惠城评估有限公司"), scan=True)
    client.force_login(sup)
    # when the supervisor opens the queue
    page = client.get(reverse("supervisor-queue")).content.decode()
    # then only the application in scope is listed, and the other one's page does not exist for them
    assert "惠阳测绘有限公司" in page and inside.agency.uscc in page
    assert "惠城评估有限公司" not in page and outside.agency.uscc not in page
    assert client.get(reverse("supervisor-application", args=[inside.pk])).status_code == 200
    assert client.get(reverse("supervisor-application", args=[outside.pk])).status_code == 404


def test_category_scope_hides_agencies_of_other_categories(client):
    # given a supervisor for land appraisal only and an application for real-estate appraisal
    from marketplace.models import ServiceCategory

    sup = supervisor_user(categories=[ServiceCategory.objects.get(code="VAL-LAND")], all_regions=True)
    _agency, outside, _user = submitted_application(scan=True)
    client.force_login(sup)
    # then it is neither listed nor reachable, nor can an event be recorded against it
    assert outside.agency.uscc not in client.get(reverse("supervisor-queue")).content.decode()
    assert client.get(reverse("supervisor-application", args=[outside.pk])).status_code == 404
    response = event_post(client, outside.agency)
    assert "不在您的监管范围内" in response.content.decode()
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


# --- entry review ---------------------------------------------------------------------------------------


def test_application_page_shows_contact_qualification_scan_commitment_and_credit(sup_client):
    # given a submitted application with a scanned licence
    _agency, membership, _user = submitted_application(scan=True)
    agency = membership.agency
    # when the supervisor opens it
    page = sup_client.get(reverse("supervisor-application", args=[membership.pk])).content.decode()
    # then the contact person, the licence and its scan link, the signed commitment and the credit standing show
    qualification = agency.qualifications.get()
    assert agency.contact_name in page and agency.contact_phone in page
    assert qualification.certificate_no in page
    scan_url = reverse("supervisor-file", args=["qualification", qualification.pk])
    assert scan_url in page
    assert membership.commitment_digest in page
    assert "信用分" in page and "100" in page
    # and the scan is served to the supervisor
    response = sup_client.get(scan_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_scan_is_not_served_outside_the_scope(client):
    _agency, membership, _user = submitted_application(scan=True)
    client.force_login(supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True))
    qualification = membership.agency.qualifications.get()
    assert client.get(reverse("supervisor-file", args=["qualification", qualification.pk])).status_code == 404


def test_approve_admits_the_agency(sup_client):
    _agency, membership, _user = submitted_application(scan=True)
    response = sup_client.post(reverse("supervisor-application", args=[membership.pk]), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == reverse("supervisor-queue")
    assert refetch(membership).state == Membership.State.ACTIVE
    assert "已准予" in sup_client.get(response["Location"]).content.decode()


def test_send_back_needs_a_note_then_returns_the_application(sup_client):
    _agency, membership, _user = submitted_application(scan=True)
    url = reverse("supervisor-application", args=[membership.pk])
    # when sent back without a note: a clear message, nothing changes
    response = sup_client.post(url, {"decision": "send_back", "note": "  "})
    assert response.status_code == 200
    assert "退回修改或不予入驻须填写理由" in response.content.decode()
    assert refetch(membership).state == Membership.State.SUBMITTED
    # when sent back with a note
    response = sup_client.post(url, {"decision": "send_back", "note": "请补充资质证书扫描件。"})
    assert response.status_code == 302
    membership = refetch(membership)
    assert membership.state == Membership.State.RETURNED and membership.review_note == "请补充资质证书扫描件。"


def test_reject_with_a_note(sup_client):
    _agency, membership, _user = submitted_application(scan=True)
    response = sup_client.post(
        reverse("supervisor-application", args=[membership.pk]), {"decision": "reject", "note": "经营范围不符。"}
    )
    assert response.status_code == 302
    assert refetch(membership).state == Membership.State.REJECTED


def test_approve_refused_by_credit_shows_cr_onb_003_and_state_stays_submitted(sup_client, supervisor):
    # given an application, then a serious event recorded since it was submitted
    _agency, membership, _user = submitted_application(scan=True)
    subject = subject_for_agency(membership.agency)
    event_services.credit_event_record(subject=subject, code="DECLINE_WIN", source="rule")
    # when the supervisor approves
    response = sup_client.post(reverse("supervisor-application", args=[membership.pk]), {"decision": "approve"})
    # then the page shows the refusal with its rule code and basis, and the state is unchanged
    page = response.content.decode()
    assert response.status_code == 200
    assert "CR-ONB-003" in page and "无故放弃中选资格" in page and "国发〔2016〕33号" in page
    assert refetch(membership).state == Membership.State.SUBMITTED
    assert membership.agency.credit_cases.count() == 0


def test_second_decision_on_an_application_sees_it_was_already_decided(sup_client):
    _agency, membership, _user = submitted_application(scan=True)
    url = reverse("supervisor-application", args=[membership.pk])
    sup_client.post(url, {"decision": "approve"})
    response = sup_client.post(url, {"decision": "reject", "note": "迟到的决定"}, follow=True)
    assert "不能执行该操作" in response.content.decode()
    assert refetch(membership).state == Membership.State.ACTIVE


# --- credit events ----------------------------------------------------------------------------------------


def test_event_form_lists_catalogue_labels_and_finds_agencies_by_name(sup_client):
    agency, _membership, _user = admitted_agency()
    page = sup_client.get(reverse("supervisor-event-new"), {"q": agency.name[-6:]}).content.decode()
    assert "信用警告（-5 分）" in page and "纳税信用 A 级（+5 分）" in page and "列入红名单或获表彰" in page
    assert f"?agency={agency.uscc}" in page
    assert "不得包含自然人姓名" in page
    chosen = sup_client.get(reverse("supervisor-event-new"), {"agency": agency.uscc}).content.decode()
    assert f'value="{agency.uscc}"' in chosen and "已选择" in chosen


def test_wrongly_typed_uscc_gets_the_validator_message(sup_client):
    agency, _m, _u = admitted_agency()
    wrong = agency.uscc[:-1] + ("0" if agency.uscc[-1] != "0" else "1")
    response = sup_client.post(
        reverse("supervisor-event-new"),
        {"agency": wrong, "code": "CREDIT_WARNING", "facts": "事实", "evidence_summary": "摘要", "token": uuid.uuid4()},
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


def test_public_summary_with_a_phone_number_is_refused(sup_client):
    agency, _m, _u = admitted_agency()
    response = event_post(sup_client, agency, summary="经办人张三 13912345678 承认逾期")
    assert "手机号码" in response.content.decode()
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


def test_facts_and_summary_are_required(sup_client):
    agency, _m, _u = admitted_agency()
    response = sup_client.post(
        reverse("supervisor-event-new"),
        {"agency": agency.uscc, "code": "CREDIT_WARNING", "facts": "", "evidence_summary": "", "token": uuid.uuid4()},
    )
    page = response.content.decode()
    assert "请填写事实与依据。" in page and "请填写证据摘要。" in page
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


def test_warning_records_one_ledger_event_and_a_warning_notice(sup_client):
    # given an admitted agency
    agency, membership, _user = admitted_agency()
    # when the supervisor issues a credit warning
    response = event_post(sup_client, agency)
    # then one warning event is in the ledger, a warning notice is requested, and the page shows the new score
    entry = LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING")
    assert entry.points == -5 and entry.source == "supervisor" and entry.evidence["summary"]
    assert response["Location"] == reverse("supervisor-event", args=[entry.pk])
    notices = NoticeRequest.objects.filter(kind="warning")
    assert notices.count() == 1 and notices.get().payload["agency"]["uscc"] == agency.uscc
    page = sup_client.get(response["Location"]).content.decode()
    assert "当前信用分" in page and "95" in page and "本次记录未触发自动措施" in page
    assert refetch(membership).state == Membership.State.ACTIVE


def test_second_warning_within_12_months_suspends_and_the_page_says_so(sup_client):
    # given an admitted agency with one warning already
    agency, membership, _user = admitted_agency()
    event_post(sup_client, agency)
    # when a second warning is issued
    response = event_post(sup_client, agency)
    page = sup_client.get(response["Location"]).content.decode()
    # then the suspension the policy orders is told to the agency first, and the page says so and until when
    subject = CreditSubject.objects.get(agency=agency)
    assert not subject.is_suspended and subject.score == 90 and subject.warning_count == 2
    assert refetch(membership).state == Membership.State.ACTIVE
    notice = pending_notice(agency)
    assert "已告知机构拟采取「暂停」" in page and "CR-ESC-001" in page
    assert f"陈述申辩截止 {timezone.localtime(notice.response_due):%Y-%m-%d %H:%M}" in page
    # when the response period ends unanswered and the credit sweep runs
    notice_lapses(notice)
    # then the agency is suspended for a month, and the event's page says until when
    subject = CreditSubject.objects.get(agency=agency)
    assert subject.is_suspended and refetch(membership).state == Membership.State.SUSPENDED
    until = LedgerEntry.objects.get(subject=subject, measure="suspend").expires_at
    page = sup_client.get(reverse("supervisor-case", args=[notice.pk])).content.decode()
    assert "已实施" in page and f"{timezone.localtime(until):%Y-%m-%d}" in page and "暂停交易" in page


def test_double_post_of_the_same_warning_form_records_one_warning(sup_client):
    # given an admitted agency and one filled-in form (one token)
    agency, membership, _user = admitted_agency()
    token = uuid.uuid4()
    # when the same form is posted twice
    first = event_post(sup_client, agency, token=token)
    second = event_post(sup_client, agency, token=token)
    # then one warning, one notice, no suspension; the second post lands on the first result with a message
    assert LedgerEntry.objects.filter(subject__agency=agency, code="CREDIT_WARNING").count() == 1
    assert NoticeRequest.objects.filter(kind="warning").count() == 1
    assert refetch(membership).state == Membership.State.ACTIVE
    assert first["Location"] == second["Location"]
    assert "未重复记录" in sup_client.get(second["Location"]).content.decode()


def test_a_form_without_its_one_time_token_is_refused_with_a_message(sup_client):
    agency, _m, _u = admitted_agency()
    response = event_post(sup_client, agency, token="not-a-token")
    assert "表单已失效，请刷新页面后重新填写。" in response.content.decode()
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


def test_event_form_issues_a_fresh_token_on_each_visit(sup_client):
    first = sup_client.get(reverse("supervisor-event-new")).context["form"].initial["token"]
    second = sup_client.get(reverse("supervisor-event-new")).context["form"].initial["token"]
    assert first != second


def test_red_list_honour_rewards_the_agency_and_the_reward_is_published_on_the_red_list(sup_client):
    agency, _m, _u = admitted_agency()
    event_post(sup_client, agency, code="HONOUR_RED_LIST", summary="获评 2025 年度市级守信激励对象。")
    subject = CreditSubject.objects.get(agency=agency)
    assert subject.score == 105 and subject.is_rewarded
    # one red-list notice: the reward's (the honour is not published by itself)
    (notice,) = NoticeRequest.objects.filter(kind="red_list")
    assert notice.payload["measure"] == "reward" and notice.payload["rule_code"] == "CR-RWD-002"


def test_quality_complaint_is_recorded_without_a_notice(sup_client):
    agency, _m, _u = admitted_agency()
    event_post(sup_client, agency, code="QUALITY_COMPLAINT", summary="项目成果质量投诉经查属实。")
    entry = LedgerEntry.objects.get(subject__agency=agency, code="QUALITY_COMPLAINT")
    assert entry.is_quality_complaint and entry.points == -5
    assert not NoticeRequest.objects.exists()


def test_evidence_file_is_kept_privately_and_served_to_the_supervisor(sup_client):
    agency, _m, _u = admitted_agency()
    response = event_post(sup_client, agency, summary="项目验收记录。", evidence_file=pdf_file("record.pdf"))
    entry = LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING")
    assert entry.evidence["file"].startswith("evidence/event/")
    assert response.status_code == 302
    served = sup_client.get(reverse("supervisor-file", args=["entry", entry.pk]))
    assert served.status_code == 200


def test_fake_evidence_upload_is_refused(sup_client):
    agency, _m, _u = admitted_agency()
    response = event_post(
        sup_client, agency, summary="项目验收记录。", evidence_file=SimpleUploadedFile("record.pdf", b"MZ not a pdf")
    )
    assert "文件内容与扩展名不符" in response.content.decode()
    assert not LedgerEntry.objects.filter(code="CREDIT_WARNING").exists()


# --- credit cases -------------------------------------------------------------------------------------------


def test_case_propose_notify_apply_expel(sup_client):
    # given an admitted agency
    agency, membership, agency_login = admitted_agency()
    # when the supervisor proposes expulsion
    response = sup_client.post(
        reverse("supervisor-case-new"),
        {
            "agency": agency.uscc,
            "measure": "expel",
            "facts": "该机构在多个项目中出具虚假评估报告，经调查属实。",
            "evidence": pdf_file("report.pdf"),
        },
    )
    case = CreditCase.objects.get(agency=agency)
    assert response["Location"] == reverse("supervisor-case", args=[case.pk])
    assert case.state == CreditCase.State.PROPOSED and case.evidence
    # and notifies the agency, which responds
    sup_client.post(reverse("supervisor-case", args=[case.pk]), {"action": "notify"})
    case = refetch(case)
    assert case.state == CreditCase.State.NOTIFIED and case.response_due
    case_services.case_respond(case=case, actor=agency_login, response="报告系笔误，已更正。")
    page = sup_client.get(reverse("supervisor-case", args=[case.pk])).content.decode()
    assert "报告系笔误，已更正。" in page and "告知" in page
    # and decides to apply it
    case_decision_post(
        sup_client, reverse("supervisor-case", args=[case.pk]), {"action": "apply", "note": "申辩理由不成立。"}
    )
    # then the membership is expelled and the agency is blacklisted
    case = refetch(case)
    assert case.state == CreditCase.State.APPLIED and case.measure_entry.measure == "expel"
    assert refetch(membership).state == Membership.State.EXPELLED
    assert CreditSubject.objects.get(agency=agency).is_expelled
    assert NoticeRequest.objects.filter(kind="expulsion").count() == 1
    page = sup_client.get(reverse("supervisor-case", args=[case.pk])).content.decode()
    assert "决定实施" in page and "已实施" in page


def test_second_supervisor_deciding_the_same_case_sees_it_already_decided(client, supervisor):
    # given a notified case the agency has answered
    agency, _membership, agency_login = admitted_agency()
    case = notified_case(agency, supervisor, measure="restrict", months=None, facts="逾期。")
    case_services.case_respond(case=refetch(case), actor=agency_login, response="无异议。")
    other = supervisor_user(username="sup_other")
    url = reverse("supervisor-case", args=[case.pk])
    # when one supervisor dismisses it and another, on a stale page, applies it
    client.force_login(supervisor)
    case_decision_post(client, url, {"action": "dismiss", "note": "情节轻微。"})
    client.force_login(other)
    response = case_decision_post(client, url, {"action": "apply", "note": "实施限制。"}, follow=True)
    # then the second sees the runner's refusal and only one decision took effect
    assert "当前状态为「不予处理」，不能执行该操作" in response.content.decode()
    assert refetch(case).state == CreditCase.State.DISMISSED
    assert not LedgerEntry.objects.filter(subject__agency=agency, kind="measure", measure="restrict").exists()


def test_measure_waits_for_the_response_period(sup_client, supervisor):
    agency, membership, _user = admitted_agency()
    case = notified_case(agency, supervisor, months=2, facts="逾期。")
    response = case_decision_post(
        sup_client, reverse("supervisor-case", args=[case.pk]), {"action": "apply", "note": "实施。"}
    )
    assert "陈述申辩期至" in response.content.decode()
    assert refetch(case).state == CreditCase.State.NOTIFIED
    assert refetch(membership).state == Membership.State.ACTIVE


def test_case_form_errors_are_clear(sup_client):
    agency, _m, _u = admitted_agency()
    url = reverse("supervisor-case-new")
    nothing = sup_client.post(url, {"agency": agency.uscc, "facts": "事实"}).content.decode()
    assert "请选择拟采取的措施或严重失信事项" in nothing
    no_months = sup_client.post(url, {"agency": agency.uscc, "measure": "suspend", "facts": "事实"}).content.decode()
    assert "1–3 个月" in no_months
    both = sup_client.post(
        url, {"agency": agency.uscc, "measure": "suspend", "months": "1", "ground_code": "COLLUSION", "facts": "事实"}
    ).content.decode()
    assert "不能同时另选措施" in both
    assert not CreditCase.objects.exists()


def test_grave_ground_case_expels_through_the_ledger(sup_client, supervisor):
    agency, membership, agency_login = admitted_agency()
    sup_client.post(
        reverse("supervisor-case-new"), {"agency": agency.uscc, "ground_code": "COLLUSION", "facts": "串通报价。"}
    )
    case = CreditCase.objects.get(agency=agency)
    assert "串通报价（-40 分）" in sup_client.get(reverse("supervisor-case", args=[case.pk])).content.decode()
    sup_client.post(reverse("supervisor-case", args=[case.pk]), {"action": "notify"})
    case_services.case_respond(case=refetch(case), actor=agency_login, response="不认可。")
    case_decision_post(
        sup_client, reverse("supervisor-case", args=[case.pk]), {"action": "apply", "note": "证据确凿。"}
    )
    assert LedgerEntry.objects.filter(subject__agency=agency, code="COLLUSION").count() == 1
    assert refetch(membership).state == Membership.State.EXPELLED


def test_duplicate_case_is_not_opened_twice(sup_client):
    agency, _m, _u = admitted_agency()
    data = {"agency": agency.uscc, "measure": "restrict", "facts": "同一事实。"}
    first = sup_client.post(reverse("supervisor-case-new"), data)
    second = sup_client.post(reverse("supervisor-case-new"), data)
    assert CreditCase.objects.count() == 1 and first["Location"] == second["Location"]


# --- objections and repairs --------------------------------------------------------------------------------


def test_objection_overturn_writes_a_reversal_and_withdraws_the_notice(sup_client):
    # given a published warning the agency objects to
    agency, _membership, agency_login = admitted_agency()
    event_post(sup_client, agency)
    entry = LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING")
    objection = objection_services.objection_submit(entry=entry, actor=agency_login, reason="该项目延期系业主原因。")
    url = reverse("supervisor-objection", args=[objection.pk])
    page = sup_client.get(url).content.decode()
    assert "该项目延期系业主原因。" in page and entry.title in page
    assert "待处理的信用异议" in sup_client.get(reverse("supervisor-queue")).content.decode()
    # when the note is missing, nothing happens
    assert "请填写处理意见" in sup_client.post(url, {"action": "overturn", "note": ""}).content.decode()
    assert refetch(objection).state == Objection.State.SUBMITTED
    # when the supervisor overturns it
    sup_client.post(url, {"action": "overturn", "note": "经核实，延期系业主原因。"})
    # then a reversal entry stops the warning counting and the notice is withdrawn
    assert refetch(objection).state == Objection.State.OVERTURNED
    reversal = LedgerEntry.objects.get(refers_to=entry, kind="neutralise")
    assert reversal.reason == "overturned" and reversal.points == 5
    assert CreditSubject.objects.get(agency=agency).score == 100
    assert NoticeRequest.objects.get(kind="warning").withdrawn_at is not None


def test_objection_upheld_keeps_the_record(sup_client):
    agency, _m, agency_login = admitted_agency()
    event_post(sup_client, agency)
    entry = LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING")
    objection = objection_services.objection_submit(entry=entry, actor=agency_login, reason="不认可。")
    sup_client.post(reverse("supervisor-objection", args=[objection.pk]), {"action": "uphold", "note": "证据充分。"})
    assert refetch(objection).state == Objection.State.UPHELD
    assert CreditSubject.objects.get(agency=agency).score == 95
    assert NoticeRequest.objects.get(kind="warning").withdrawn_at is None


def test_repair_approval_stops_the_entry_counting(sup_client, supervisor):
    # given a warning four months old and the agency's repair request
    agency, _m, agency_login = admitted_agency()
    subject = subject_for_agency(agency)
    entry = event_services.credit_event_record(
        subject=subject,
        code="CREDIT_WARNING",
        source="supervisor",
        actor=supervisor,
        evidence={"summary": "逾期提交成果。"},
        publish="warning",
        at=timezone.now() - relativedelta(months=4),
    )
    repair = repair_services.repair_submit(
        entry=entry,
        actor=agency_login,
        correction="已完成整改并建立内控制度。",
        evidence=pdf_file("fix.pdf"),
    )
    url = reverse("supervisor-repair", args=[repair.pk])
    page = sup_client.get(url).content.decode()
    assert "已完成整改并建立内控制度。" in page and reverse("supervisor-file", args=["repair", repair.pk]) in page
    # when approved
    sup_client.post(url, {"action": "approve", "note": "整改到位。"})
    # then the entry no longer counts and its notice is withdrawn
    assert refetch(repair).state == RepairRequest.State.APPROVED
    assert CreditSubject.objects.get(agency=agency).score == 100
    assert NoticeRequest.objects.get(kind="warning").withdrawn_at is not None
    assert NoticeRequest.objects.filter(kind="repair").count() == 1


def test_repair_rejection(sup_client, supervisor):
    agency, _m, agency_login = admitted_agency()
    entry = event_services.credit_event_record(
        subject=subject_for_agency(agency),
        code="CREDIT_WARNING",
        source="supervisor",
        at=timezone.now() - relativedelta(months=4),
    )
    repair = repair_services.repair_submit(
        entry=entry, actor=agency_login, correction="已整改。", evidence=pdf_file("fix.pdf")
    )
    sup_client.post(reverse("supervisor-repair", args=[repair.pk]), {"action": "reject", "note": "整改材料不足。"})
    assert refetch(repair).state == RepairRequest.State.REJECTED
    assert CreditSubject.objects.get(agency=agency).score == 95


# --- external lists -----------------------------------------------------------------------------------------


def test_external_import_bad_file_shows_every_bad_line_and_imports_nothing(sup_client):
    agency, _m, _u = admitted_agency()
    content = listing_csv(
        f"{agency.uscc},{agency.name},未履行生效判决,最高人民法院失信被执行人名单,2026-01-05,",
        "91441302MA4W1234X0,某公司,未履行,法院,2026-01-05,",
        f"{agency.uscc},{agency.name},未履行,法院,2026/01/05,",
    )
    response = sup_client.post(
        reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.csv", content, "text/csv")}
    )
    page = response.content.decode()
    assert "未导入任何记录" in page
    assert '<td class="num">3</td>' in page and '<td class="num">4</td>' in page
    assert "校验位错误" in page or "不允许的字符" in page
    assert "日期格式应为 YYYY-MM-DD" in page
    assert not ExternalListing.objects.exists()


def test_external_import_non_utf8_file_is_refused_with_a_message(sup_client):
    content = "uscc,name,reason,source,listed_on,delisted_on\n1,某公司,失信,法院,2026-01-05,\n".encode("gbk")
    response = sup_client.post(reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.csv", content)})
    assert "UTF-8" in response.content.decode() and "未导入任何记录" in response.content.decode()
    assert not ExternalListing.objects.exists()


def test_external_import_only_accepts_csv_or_json(sup_client):
    response = sup_client.post(reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.xlsx", b"PK")})
    assert "只接受 .csv 或 .json 文件" in response.content.decode()


def test_external_import_good_file_suspends_a_listed_member(sup_client):
    # given an active member and a JSON list naming it
    agency, membership, _u = admitted_agency()
    other = AgencyFactory()
    items = [
        {
            "uscc": agency.uscc,
            "name": agency.name,
            "reason": "未履行生效判决",
            "source": "失信被执行人名单",
            "listed_on": "2026-01-05",
        },
        {
            "uscc": other.uscc,
            "name": other.name,
            "reason": "未履行",
            "source": "失信被执行人名单",
            "listed_on": "2026-01-06",
        },
    ]
    content = json.dumps(items, ensure_ascii=False).encode()
    # when imported
    response = import_post(sup_client, SimpleUploadedFile("list.json", content))
    # then both rows are in, both agencies are suspended (the member's membership too), and the report says so
    page = response.content.decode()
    assert "已导入 2 行；本平台机构受影响 2 家" in page
    assert CreditSubject.objects.get(agency=other).is_suspended
    assert ExternalListing.objects.count() == 2
    assert refetch(membership).state == Membership.State.SUSPENDED
    assert CreditSubject.objects.get(agency=agency).is_suspended


def test_import_command_reports_and_fails_on_a_rejected_file(tmp_path):
    agency, membership, _u = admitted_agency()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(listing_csv(f"{agency.uscc},{agency.name},失信,法院,not-a-date,"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_external_list", str(bad), stderr=err)
    assert "第 2 行 listed_on" in err.getvalue()
    assert not ExternalListing.objects.exists()

    good = tmp_path / "good.csv"
    good.write_bytes(listing_csv(f"{agency.uscc},{agency.name},失信,法院,2026-01-05,"))
    out = io.StringIO()
    call_command("import_external_list", str(good), stdout=out)
    assert "Imported 1 row(s)" in out.getvalue() and "1 agencies on the platform affected" in out.getvalue()
    assert refetch(membership).state == Membership.State.SUSPENDED


# --- rules' prior notices (失信告知) ----------------------------------------------------------------------


def test_the_queue_shows_a_rules_notice_and_the_agencys_answer(sup_client, supervisor):
    # given an agency in scope whose second warning set off the suspension rule, told to it first
    agency, _membership, user = admitted_agency()
    notice = warned_twice(agency, supervisor)
    page = page_text(sup_client.get(reverse("supervisor-queue")))
    assert agency.name in page and "CR-ESC-001" in page and "规则自动告知" in page and "未申辩" in page
    # when the agency answers
    case_services.case_respond(case=notice, actor=user, response="逾期系业主延迟提供基础资料所致，附业主说明。")
    # then the queue shows the answer, waiting for the supervisor's decision
    page = page_text(sup_client.get(reverse("supervisor-queue")))
    assert "已申辩" in page and "待决定" in page and "逾期系业主延迟提供基础资料所致" in page
    # and the case page shows the rule, its reason, the triggering record and the answer, with the actions
    page = page_text(sup_client.get(reverse("supervisor-case", args=[notice.pk])))
    assert "信用规则自动触发" in page and "12 个月内累计 2 次信用警告" in page and "触发记录" in page
    assert "附业主说明" in page and "决定实施措施" in page and "不予处理" in page
    # when the supervisor dismisses it from the page
    response = case_decision_post(
        sup_client, reverse("supervisor-case", args=[notice.pk]), {"action": "dismiss", "note": "申辩成立。"}
    )
    assert response.status_code == 302
    assert refetch(notice).state == CreditCase.State.DISMISSED
    assert agency.name not in page_text(sup_client.get(reverse("supervisor-queue")))


# --- renewals ---------------------------------------------------------------------------------------------


def test_renewal_from_the_queue_extends_the_term(sup_client):
    agency, membership, _u = admitted_agency()
    soon = timezone.localdate() + datetime.timedelta(days=20)
    Membership.objects.filter(pk=membership.pk).update(term_until=soon)
    page = sup_client.get(reverse("supervisor-queue")).content.decode()
    assert agency.name in page and reverse("supervisor-renew", args=[membership.pk]) in page
    response = sup_client.post(reverse("supervisor-renew", args=[membership.pk]), follow=True)
    assert "已为" in response.content.decode()
    assert refetch(membership).term_until > soon + datetime.timedelta(days=365)


def test_renewal_of_a_member_suspended_meanwhile_is_refused_by_state(sup_client):
    agency, membership, _u = admitted_agency()
    Membership.objects.filter(pk=membership.pk).update(term_until=timezone.localdate() + datetime.timedelta(days=5))
    content = listing_csv(f"{agency.uscc},{agency.name},失信,法院,2026-01-05,")
    import_post(sup_client, SimpleUploadedFile("l.csv", content))
    # the listed member was suspended meanwhile: a renew from a stale queue page is refused, term unchanged
    response = sup_client.post(reverse("supervisor-renew", args=[membership.pk]), follow=True)
    assert "不能执行该操作" in response.content.decode()


# --- query budget -----------------------------------------------------------------------------------------


def _queue_rows(n: int, supervisor) -> None:
    """n rows in every section of the queue."""
    past = timezone.now() - relativedelta(months=4)
    for _ in range(n):
        submitted_application(scan=True)
        agency, membership, agency_login = admitted_agency(supervisor=supervisor)
        Membership.objects.filter(pk=membership.pk).update(
            term_until=timezone.localdate() + datetime.timedelta(days=30)
        )
        proposed_case(agency, supervisor, measure="restrict", months=None, facts="逾期。")
        complaint = record_event(agency, "QUALITY_COMPLAINT")
        objection_services.objection_submit(entry=complaint, actor=agency_login, reason="不认可。")
        old = record_event(agency, "CREDIT_WARNING", at=past)
        repair_services.repair_submit(
            entry=old, actor=agency_login, correction="已整改。", evidence=pdf_file("fix.pdf")
        )


def test_queue_query_count_is_the_same_for_1_and_50_rows(sup_client, supervisor):
    # given one row in every section
    _queue_rows(1, supervisor)
    one = query_count(sup_client, reverse("supervisor-queue"), warm=True)
    queue = sup_client.get(reverse("supervisor-queue")).context["queue"]
    assert [
        len(queue.applications),
        len(queue.cases),
        len(queue.objections),
        len(queue.repairs),
        len(queue.renewals),
    ] == [1] * 5
    # when there are fifty
    _queue_rows(49, supervisor)
    fifty = query_count(sup_client, reverse("supervisor-queue"), warm=True)
    queue = sup_client.get(reverse("supervisor-queue")).context["queue"]
    assert [
        len(queue.applications),
        len(queue.cases),
        len(queue.objections),
        len(queue.repairs),
        len(queue.renewals),
    ] == [50] * 5
    # then the page costs the same, within its budget (the sections, the complaints section, the header's counts)
    assert one == fifty, (one, fifty)
    assert fifty <= BUDGETS["supervisor-queue"], fifty


# --- concurrency (PostgreSQL: real row locks) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_warning_form_sent_twice_at_once_records_one_warning():
    # given an admitted agency and one filled-in form, sent from two connections at the same moment
    import threading

    from django.db import close_old_connections
    from django.test import Client

    supervisor = supervisor_user(username="sup_race")
    agency, membership, _user = admitted_agency(supervisor=supervisor)
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send() -> None:
        try:
            client = Client()
            client.force_login(supervisor)
            barrier.wait(timeout=10)
            statuses.append(event_post(client, agency, token=token).status_code)
        finally:
            close_old_connections()
            connection.close()

    # when both are sent
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then both land on the result, and exactly one warning and one notice exist
    assert statuses == [302, 302]
    assert LedgerEntry.objects.filter(subject__agency=agency, code="CREDIT_WARNING").count() == 1
    assert NoticeRequest.objects.filter(kind="warning").count() == 1
    assert refetch(membership).state == Membership.State.ACTIVE
