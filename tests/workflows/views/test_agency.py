"""The agency clerk's pages: entry application, qualifications, 我的信用, objections, repairs, cases."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import DecisionRecord, LedgerEntry
from credit_rules.services import event_record, subject_for_agency
from marketplace.models import Qualification, QualificationLevel, QualificationType, ServiceCategory
from tests.factories import (
    AgencyFactory,
    QualificationFactory,
    UserFactory,
    admitted_agency,
    agency_user,
    applicant,
    buyer_user,
    engagement_row,
    hearing_lapsed,
    notice_lapses,
    notified_case,
    pending_notice,
    record_event,
    supervisor_user,
    suspend_by_warnings,
    warned_twice,
)
from tests.helpers import PDF, page_text, pdf_file, query_count
from tests.query_budgets import BUDGETS
from workflows.models import CreditCase, Membership, Objection, RepairRequest, TransitionLog
from workflows.selectors.agency import ledger_list_for_agency_credit, membership_token
from workflows.services import membership as membership_services
from workflows.services.credit import cases as case_services
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services

pytestmark = pytest.mark.django_db

MEMBERSHIP = "/agency/membership/"
CREDIT = "/agency/credit/"


def membership_of(agency) -> Membership:
    return Membership.objects.filter(agency=agency).order_by("-created_at").first()


def submit_data(membership, *, sign: bool = True, statement: str = "专业从事房地产估价，承诺依法诚信执业。", **extra):
    data = {
        "action": "submit",
        "token": membership_token(membership),
        "statement": statement,
        "categories": [c.pk for c in membership.agency.categories.all()],
        **extra,
    }
    if sign:
        data["accept_commitment"] = "on"
    return data


def qualification_data(**extra):
    qtype = QualificationType.objects.get(code="Q-RE")
    data = {
        "qualification_type": qtype.pk,
        "level": QualificationLevel.objects.get(qualification_type=qtype, rank=2).pk,
        "certificate_no": "粤房估备字 0123",
        "issued_by": "惠州市住房和城乡建设局",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=500)).isoformat(),
        "document": pdf_file(),
    }
    data.update(extra)
    return data


# --- entry application ------------------------------------------------------------------------


def test_apply_and_submit_happy_path(client):
    # given an agency that never applied, with a valid licence for its category
    agency = AgencyFactory()
    QualificationFactory(agency=agency)
    user = agency_user(agency)
    client.force_login(user)
    page = client.get(MEMBERSHIP).content.decode()
    assert "贵机构尚未申请入驻" in page and "开始填写入驻申请" in page

    # when the clerk starts, fills in, signs and submits
    response = client.post(MEMBERSHIP, {"action": "start", "token": "none"})
    assert response.status_code == 302
    membership = membership_of(agency)
    assert membership.state == Membership.State.DRAFT
    page = client.get(MEMBERSHIP).content.decode()
    assert "中介机构信用承诺书" in page and "我已阅读并签署上述信用承诺书" in page
    response = client.post(MEMBERSHIP, submit_data(membership), follow=True)

    # then the application waits for review with the signed letter recorded
    membership = membership_of(agency)
    assert membership.state == Membership.State.SUBMITTED
    assert membership.statement.startswith("专业从事房地产估价")
    assert membership.commitment is not None and membership.commitment_digest == membership.commitment.digest
    assert membership.commitment_accepted_by == user
    page = response.content.decode()
    assert "入驻申请已提交，请等待监管部门审核。" in page
    assert "待审核" in page

    # and once a supervisor approves, the page shows the admitted membership
    membership_services.membership_review(membership=membership, actor=supervisor_user(), decision="approve")
    page = client.get(MEMBERSHIP).content.decode()
    assert "正常" in page and "入驻有效期至" in page and "申请退出平台" in page
    # renewal opens the policy's days before the term ends: until then the page says when
    assert 'value="renew"' not in page and "续期申请自" in page


def test_save_draft_keeps_statement_and_categories(client):
    agency, membership, user = applicant(statement=None)
    client.force_login(user)
    extra = ServiceCategory.objects.get(code="VAL-RISK")
    response = client.post(
        MEMBERSHIP,
        {
            "action": "save",
            "token": membership_token(membership),
            "statement": "草稿内容",
            "categories": [c.pk for c in agency.categories.all()] + [extra.pk],
        },
    )
    assert response.status_code == 302
    assert membership_of(agency).statement == "草稿内容"
    assert extra in agency.categories.all()
    assert membership_of(agency).state == Membership.State.DRAFT


def test_submit_without_signing_is_refused_and_nothing_changes(client):
    # given a draft with a saved statement
    agency, membership, user = applicant(statement="原说明")
    client.force_login(user)
    # when it is submitted without ticking the commitment
    response = client.post(MEMBERSHIP, submit_data(membership, sign=False, statement="新说明"))
    # then it is refused with the reason, and neither the state nor the text moved
    assert response.status_code == 200
    assert "须阅读并签署信用承诺书后方可提交。" in response.content.decode()
    membership = membership_of(agency)
    assert membership.state == Membership.State.DRAFT
    assert membership.statement == "原说明"
    assert membership.commitment is None
    assert not TransitionLog.objects.filter(transition="submit").exists()


def test_missing_qualification_for_regulated_category_is_shown_and_blocks_submit(client):
    # given a real-estate appraiser (a regulated category) with no licence registered
    agency, membership, user = applicant(qualified=False, statement="说明")
    client.force_login(user)
    problem = "服务事项「房地产估价」需要有效资质证书，请先上传。"
    # then the page lists the problem before submitting
    assert problem in client.get(MEMBERSHIP).content.decode()
    # and submitting shows it again and leaves the application a draft
    response = client.post(MEMBERSHIP, submit_data(membership))
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert membership_of(agency).state == Membership.State.DRAFT
    assert not TransitionLog.objects.filter(transition="submit").exists()


def test_expired_qualification_does_not_count(client):
    agency, membership, user = applicant(qualified=False, statement="说明")
    QualificationFactory(agency=agency, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(user)
    page = client.get(MEMBERSHIP).content.decode()
    assert "服务事项「房地产估价」需要有效资质证书，请先上传。" in page
    assert "已过期" in page


def test_double_submit_writes_once(client):
    agency, membership, user = applicant(statement=None)
    client.force_login(user)
    data = submit_data(membership)
    first = client.post(MEMBERSHIP, data)
    second = client.post(MEMBERSHIP, data, follow=True)
    assert first.status_code == 302
    assert "申请状态已发生变化" in second.content.decode()
    assert TransitionLog.objects.filter(transition="submit", outcome="done").count() == 1
    assert membership_of(agency).state == Membership.State.SUBMITTED


def test_credit_refusal_at_submit_shows_reasons_and_keeps_draft(client):
    # given an agency that declined a won selection without cause (a serious event) four months ago
    agency, membership, user = applicant(statement=None)
    event_record(
        subject=subject_for_agency(agency),
        code="DECLINE_WIN",
        source="rule",
        at=timezone.now() - relativedelta(months=4),
    )
    client.force_login(user)
    # when it submits
    response = client.post(MEMBERSHIP, submit_data(membership))
    # then the refusal shows the rule code, its message and its basis, and the state stays draft
    page = response.content.decode()
    assert response.status_code == 200
    assert "CR-ONB-003" in page
    assert "无故放弃中选资格" in page
    assert "严重失信信息公示期最短 1 年、最长 3 年" in page and "国发〔2016〕33号" in page
    assert "信用审查未通过，申请未提交，状态保持不变。" in page
    assert membership_of(agency).state == Membership.State.DRAFT
    assert DecisionRecord.objects.filter(subject__agency=agency, allowed=False).count() == 1
    # and 我的信用 lists the refusal with its reasons
    credit = client.get(CREDIT).content.decode()
    assert "提交入驻申请" in credit and "CR-ONB-003" in credit


def test_expelled_agency_inside_its_bar_is_refused_at_submit(client):
    # given an admitted agency expelled for false materials (re-entry barred for 3 years)
    agency, membership, user = admitted_agency()
    record_event(agency, "FALSE_MATERIALS", actor=supervisor_user())
    notice_lapses(pending_notice(agency))  # told first (失信告知); unanswered, the credit sweep applies it
    assert membership_of(agency).state == Membership.State.EXPELLED
    client.force_login(user)
    page = client.get(MEMBERSHIP).content.decode()
    assert "已清退" in page and "禁入期至" in page and "开始填写入驻申请" in page
    # when it starts a new application and submits it
    client.post(MEMBERSHIP, {"action": "start", "token": "none"})
    fresh = membership_of(agency)
    assert fresh.state == Membership.State.DRAFT and fresh.pk != membership.pk
    response = client.post(MEMBERSHIP, submit_data(fresh))
    # then the re-entry bar refuses it and the application stays a draft
    page = response.content.decode()
    assert "CR-ONB-002" in page
    assert "清退后的禁入期限由部署地中介超市管理办法规定" in page
    assert membership_of(agency).state == Membership.State.DRAFT


def test_returned_application_shows_the_note_and_can_be_resubmitted(client):
    # given an application a supervisor sent back with a note
    agency, membership, user = applicant(statement="说明")
    membership_services.membership_submit(membership=membership, actor=user, accept_commitment=True)
    membership_services.membership_review(
        membership=membership, actor=supervisor_user(), decision="send_back", note="请补充估价师名单。"
    )
    client.force_login(user)
    page = client.get(MEMBERSHIP).content.decode()
    assert "退回修改" in page and "请补充估价师名单。" in page and "提交入驻申请" in page
    # when it is corrected and submitted again
    response = client.post(MEMBERSHIP, submit_data(membership_of(agency), statement="说明；估价师 12 名。"))
    # then it waits for review again
    assert response.status_code == 302
    assert membership_of(agency).state == Membership.State.SUBMITTED
    assert membership_of(agency).statement == "说明；估价师 12 名。"


def test_refusals_are_rendered_from_the_stored_rule_codes(client):
    agency, _membership, user = applicant(statement=None)
    DecisionRecord.objects.create(
        subject=subject_for_agency(agency),
        transition="membership.withdraw",
        allowed=False,
        reasons=[{"rule": "CR-EXIT-001", "outcome": "refuse", "params": {"open": 2}, "message": "stored text"}],
    )
    client.force_login(user)
    page = client.get(CREDIT).content.decode()
    assert "申请退出" in page and "CR-EXIT-001" in page
    assert "贵机构尚有 2 个在办项目未完结，完结后方可申请退出。" in page
    assert "申请退出前应当履行完毕在办项目" in page
    assert "stored text" not in page


# --- qualifications ---------------------------------------------------------------------------


def test_add_qualification_with_scan(client):
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    response = client.post(reverse("agency-qualification-add"), qualification_data(), follow=True)
    assert "资质证书「粤房估备字 0123」已登记。" in response.content.decode()
    qualification = Qualification.objects.get(agency=agency)
    assert qualification.level.name == "二级"
    assert qualification.document.read().startswith(b"%PDF-")
    assert "服务事项「房地产估价」需要有效资质证书" not in response.content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("scan.txt", b"plain text", content_type="text/plain"), "只接受 PDF、PNG 或 JPG 文件。"),
        (SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf"), "文件内容与扩展名不符或文件已损坏"),
        (SimpleUploadedFile("scan.png", PDF), "文件内容与扩展名不符或文件已损坏"),
    ],
    ids=["wrong-type", "fake-pdf", "pdf-named-png"],
)
def test_bad_upload_is_refused(client, upload, message):
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    response = client.post(reverse("agency-qualification-add"), qualification_data(document=upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "资质证书未登记，请按提示修改。" in response.content.decode()
    assert not Qualification.objects.filter(agency=agency).exists()


def test_too_large_upload_is_refused(client, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    big = pdf_file(content=PDF + b"0" * 2048)
    response = client.post(reverse("agency-qualification-add"), qualification_data(document=big))
    assert "文件过大" in response.content.decode()
    assert not Qualification.objects.filter(agency=agency).exists()


def test_level_of_another_type_and_past_validity_are_refused(client):
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    other_level = QualificationLevel.objects.filter(qualification_type__code="Q-SAFE").first()
    response = client.post(reverse("agency-qualification-add"), qualification_data(level=other_level.pk))
    assert "所选等级不属于该资质类型。" in response.content.decode()
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client.post(reverse("agency-qualification-add"), qualification_data(valid_until=past))
    assert "该资质证书已过有效期，不能登记。" in response.content.decode()
    assert not Qualification.objects.filter(agency=agency).exists()


def test_level_options_carry_their_type_for_the_page_filter(client):
    _agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    page = client.get(MEMBERSHIP).content.decode()
    qtype = QualificationType.objects.get(code="Q-RE")
    level = QualificationLevel.objects.get(qualification_type=qtype, rank=1)
    assert f'data-type="{qtype.pk}" value="{level.pk}"' in page or f'value="{level.pk}" data-type="{qtype.pk}"' in page


def test_same_certificate_twice_is_registered_once(client):
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    client.post(reverse("agency-qualification-add"), qualification_data())
    response = client.post(reverse("agency-qualification-add"), qualification_data())
    assert "资质证书「粤房估备字 0123」已登记，请勿重复提交。" in response.content.decode()
    assert Qualification.objects.filter(agency=agency).count() == 1


# --- renew and withdraw -----------------------------------------------------------------------


def term_within_notice(membership: Membership) -> Membership:
    """The term ends in 30 days: within the policy's 60 days, renewal is open."""
    Membership.objects.filter(pk=membership.pk).update(term_until=timezone.localdate() + datetime.timedelta(days=30))
    return Membership.objects.get(pk=membership.pk)


def test_renew_without_green_channel_goes_to_review(client):
    # given a fresh grade-A member (no green channel yet: not a member for 12 months), renewal open
    agency, membership, user = admitted_agency()
    membership = term_within_notice(membership)
    client.force_login(user)
    # when it asks to renew
    response = client.post(MEMBERSHIP, {"action": "renew", "token": membership_token(membership)}, follow=True)
    page = response.content.decode()
    # then it is told its request went to review — no red refusal panel — and the button gives way to the request
    assert "续期申请已提交，请等待监管部门审核" in page
    assert 'class="reasons"' not in page and "信用审查未通过" not in page
    assert 'id="renewal-pending"' in page and 'value="renew"' not in page
    stored = membership_of(agency)
    assert stored.term_until == membership.term_until and stored.renewal_requested_at is not None


def test_green_channel_renews_at_once_and_a_resent_form_does_not_renew_twice(client):
    # given a member for more than 12 months with a clean record
    agency, membership, user = admitted_agency()
    Membership.objects.filter(pk=membership.pk).update(member_since=timezone.now() - relativedelta(months=13))
    membership = term_within_notice(membership)
    client.force_login(user)
    data = {"action": "renew", "token": membership_token(membership)}
    # when it renews, and the same form is sent again
    response = client.post(MEMBERSHIP, data, follow=True)
    assert "绿色通道续期成功" in response.content.decode()
    renewed = membership_of(agency).term_until
    assert renewed > membership.term_until
    again = client.post(MEMBERSHIP, data, follow=True)
    # then the second is refused as stale and the term moved once
    assert "入驻状态已发生变化" in again.content.decode()
    assert membership_of(agency).term_until == renewed


def test_withdraw_needs_confirmation_and_is_refused_with_open_engagements(client):
    # given an admitted agency with an engagement still open
    agency, membership, user = admitted_agency()
    engagement_row(agency)
    client.force_login(user)
    # the first click only asks for confirmation
    response = client.post(MEMBERSHIP, {"action": "withdraw", "token": membership_token(membership)})
    assert "确认退出平台" in response.content.decode()
    assert membership_of(agency).state == Membership.State.ACTIVE
    assert "确认退出平台" in client.get(MEMBERSHIP + "?confirm=withdraw").content.decode()
    # when it confirms
    response = client.post(MEMBERSHIP, {"action": "withdraw", "confirm": "yes", "token": membership_token(membership)})
    # then the gate refuses with CR-EXIT-001 and the membership stays active
    page = response.content.decode()
    assert "CR-EXIT-001" in page and "尚有 1 个在办项目未完结" in page
    assert membership_of(agency).state == Membership.State.ACTIVE


def test_withdraw_without_open_engagements_ends_membership(client):
    agency, membership, user = admitted_agency()
    client.force_login(user)
    response = client.post(
        MEMBERSHIP, {"action": "withdraw", "confirm": "yes", "token": membership_token(membership)}, follow=True
    )
    page = response.content.decode()
    assert "已退出平台" in page and "开始填写入驻申请" in page
    assert membership_of(agency).state == Membership.State.WITHDRAWN


# --- 我的信用: objections and repairs ----------------------------------------------------------


def test_credit_page_shows_standing_measures_and_every_entry(client):
    agency, membership, user = admitted_agency()
    subject = subject_for_agency(agency)
    supervisor = supervisor_user()
    suspend_by_warnings(agency, supervisor, facts=("成果逾期 10 日", "再次逾期"))
    client.force_login(user)
    page = client.get(CREDIT).content.decode()
    # two warnings in 12 months suspend for a month (CR-ESC-001): the measure and both events are listed
    assert "90" in page and "A 级（优秀）" in page
    assert "暂停" in page and "CR-ESC-001" in page
    entries = LedgerEntry.objects.filter(subject=subject)
    assert entries.count() == 3
    for entry in entries:
        assert f'id="entry-{entry.pk}"' in page
    assert page.count("信用警告") >= 2


def test_objection_submit_window_and_duplicate(client):
    # given an agency with a poor rating recorded today and one recorded 40 days ago
    agency, _membership, user = applicant(statement=None)
    subject = subject_for_agency(agency)
    fresh = event_record(subject=subject, code="RATING_POOR", source="rating")
    old = event_record(subject=subject, code="RATING_POOR", source="rating", at=timezone.now() - relativedelta(days=40))
    client.force_login(user)
    url = reverse("agency-objection-new", args=[fresh.pk])
    # a reason is required
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and not Objection.objects.exists()
    # when it objects to the fresh one, with a document
    response = client.post(url, {"reason": "评价所依据的验收意见与事实不符。", "evidence": pdf_file()}, follow=True)
    assert "异议已提交" in response.content.decode()
    objection = Objection.objects.get()
    assert objection.entry == fresh and objection.evidence.name
    # then the entry shows as disputed, and a second objection is refused
    credit = client.get(CREDIT).content.decode()
    assert 'data-status="disputed"' in credit and "异议处理中" in credit
    response = client.post(url, {"reason": "再次提交"})
    assert "该记录已有正在处理的异议，请等待处理结果。" in response.content.decode()
    assert Objection.objects.count() == 1
    # and the old one is past the 30-day window
    response = client.post(reverse("agency-objection-new", args=[old.pk]), {"reason": "晚了"})
    assert "异议期限已过：应在记录生效后 30 日内提出。" in response.content.decode()
    assert Objection.objects.count() == 1


def test_objection_decided_shows_note_and_status(client):
    agency, _membership, user = applicant(statement=None)
    entry = event_record(subject=subject_for_agency(agency), code="RATING_POOR", source="rating")
    objection = objection_services.objection_submit(entry=entry, actor=user, reason="与事实不符")
    objection_services.objection_decide(
        objection=objection, actor=supervisor_user(), overturn=True, note="经核实，评价有误。"
    )
    client.force_login(user)
    page = client.get(CREDIT).content.decode()
    assert "经核实，评价有误。" in page and "异议成立" in page
    assert 'data-status="overturned"' in page


def test_bad_objection_upload_is_refused(client):
    agency, _membership, user = applicant(statement=None)
    entry = event_record(subject=subject_for_agency(agency), code="RATING_POOR", source="rating")
    client.force_login(user)
    response = client.post(
        reverse("agency-objection-new", args=[entry.pk]),
        {"reason": "理由", "evidence": SimpleUploadedFile("x.pdf", b"not a pdf at all")},
    )
    assert "文件内容与扩展名不符或文件已损坏" in response.content.decode()
    assert not Objection.objects.exists()


def test_repair_eligibility_message_then_submit_after_the_period(client):
    # given a late delivery today (一般: repairable after 3 months) and one 4 months old
    agency, _membership, user = applicant(statement=None)
    subject = subject_for_agency(agency)
    recent = event_record(subject=subject, code="DELIVERY_LATE", source="rule")
    aged = event_record(
        subject=subject, code="DELIVERY_LATE", source="rule", at=timezone.now() - relativedelta(months=4)
    )
    client.force_login(user)
    date = timezone.localtime(recent.repairable_after).date().isoformat()
    # then the recent one says when repair becomes possible, on the list and on its form
    credit = client.get(CREDIT).content.decode()
    assert f"须在 {date} 之后方可申请修复" in credit
    assert reverse("agency-repair-new", args=[aged.pk]) in credit
    assert reverse("agency-repair-new", args=[recent.pk]) not in credit
    response = client.post(
        reverse("agency-repair-new", args=[recent.pk]), {"correction": "已整改", "evidence": pdf_file()}
    )
    assert f"须在 {date} 之后方可申请修复" in response.content.decode()
    assert not RepairRequest.objects.exists()
    # evidence is required
    response = client.post(reverse("agency-repair-new", args=[aged.pk]), {"correction": "已整改"})
    assert response.status_code == 200 and not RepairRequest.objects.exists()
    # when it applies for the aged one with evidence
    response = client.post(
        reverse("agency-repair-new", args=[aged.pk]),
        {"correction": "已完成整改并通过业主复核。", "evidence": pdf_file("proof.pdf")},
        follow=True,
    )
    assert "信用修复申请已提交" in response.content.decode()
    repair = RepairRequest.objects.get()
    assert repair.entry == aged and repair.evidence.name
    # and a second application is refused while the first is open
    response = client.post(
        reverse("agency-repair-new", args=[aged.pk]), {"correction": "再次", "evidence": pdf_file("proof.pdf")}
    )
    assert "该记录已有正在审核的修复申请。" in response.content.decode()
    assert RepairRequest.objects.count() == 1
    assert "已完成整改并通过业主复核。" in client.get(CREDIT).content.decode()


def test_expulsion_grade_records_are_never_repairable(client):
    agency, membership, user = admitted_agency()
    record_event(agency, "FALSE_MATERIALS", at=timezone.now() - relativedelta(months=30))
    client.force_login(user)
    assert "该类记录按规定不可修复。" in client.get(CREDIT).content.decode()


def test_list_statuses_agree_with_the_repair_service():
    agency, _membership, user = applicant(statement=None)
    subject = subject_for_agency(agency)
    entries = [
        event_record(subject=subject, code="RATING_POOR", source="rating"),
        event_record(subject=subject, code="RATING_POOR", source="rating", at=timezone.now() - relativedelta(months=4)),
        event_record(subject=subject, code="RATING_EXCELLENT", source="rating"),
        event_record(subject=subject, code="COLLUSION", source="supervisor"),
    ]
    repair_services.repair_submit(entry=entries[1], actor=user, correction="已整改", evidence=pdf_file())
    rows = {row.entry.pk: row for row in ledger_list_for_agency_credit(agency).rows}
    for entry in entries:
        row = rows[entry.pk]
        if row.is_adverse:
            assert row.repair_problem == repair_services.repair_problem(entry)


# --- permissions ------------------------------------------------------------------------------


def test_pages_need_login_and_the_agency_role(client):
    agency, _membership, user = applicant(statement=None)
    entry = event_record(subject=subject_for_agency(agency), code="RATING_POOR", source="rating")
    urls = [
        MEMBERSHIP,
        CREDIT,
        reverse("agency-cases"),
        reverse("agency-qualification-add"),
        reverse("agency-objection-new", args=[entry.pk]),
        reverse("agency-repair-new", args=[entry.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(buyer_user())
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(UserFactory(role="agency"))  # the role, but no agency to act for
    assert client.get(MEMBERSHIP).status_code == 403


def test_another_agencys_staff_get_404_on_its_records(client):
    agency, _membership, _user = applicant(statement=None)
    entry = event_record(subject=subject_for_agency(agency), code="RATING_POOR", source="rating")
    supervisor = supervisor_user()
    case = notified_case(agency, supervisor, facts="事实")
    _other, _m, stranger = applicant(statement=None)
    client.force_login(stranger)
    assert client.get(reverse("agency-objection-new", args=[entry.pk])).status_code == 404
    assert client.post(reverse("agency-objection-new", args=[entry.pk]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("agency-repair-new", args=[entry.pk])).status_code == 404
    assert client.get(reverse("agency-case-respond", args=[case.pk])).status_code == 404
    assert client.post(reverse("agency-case-respond", args=[case.pk]), {"response": "x"}).status_code == 404
    assert str(agency.name) not in client.get(CREDIT).content.decode()
    assert not Objection.objects.exists()
    assert CreditCase.objects.get(pk=case.pk).agency_response == ""


# --- credit cases ---------------------------------------------------------------------------------


def test_case_is_listed_once_notified_and_the_agency_responds_before_the_due_date(client):
    agency, membership, user = admitted_agency()
    supervisor = supervisor_user()
    case = case_services.case_propose(
        agency=agency, actor=supervisor, facts="连续两个项目逾期提交成果。", measure="suspend", months=2
    )
    client.force_login(user)
    # a proposed case is the supervisor's draft: not shown
    assert "连续两个项目逾期提交成果。" not in client.get(reverse("agency-cases")).content.decode()
    assert client.get(reverse("agency-case-respond", args=[case.pk])).status_code == 404
    case_services.case_notify(case=case, actor=supervisor)
    page = client.get(reverse("agency-cases")).content.decode()
    assert "连续两个项目逾期提交成果。" in page and "暂停" in page and "陈述申辩截止" in page
    # when the agency responds
    response = client.post(reverse("agency-case-respond", args=[case.pk]), {"response": "逾期系业主延迟提供资料所致。"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.agency_response == "逾期系业主延迟提供资料所致。" and case.responded_at is not None
    assert "逾期系业主延迟提供资料所致。" in client.get(reverse("agency-cases")).content.decode()
    # a case on a catalogue finding names it in the page's language
    finding = case_services.case_propose(
        agency=agency, actor=supervisor, facts="投诉经查属实。", ground_code="QUALITY_COMPLAINT"
    )
    case_services.case_notify(case=finding, actor=supervisor)
    assert "质量投诉经查实" in client.get(reverse("agency-cases")).content.decode()


def test_a_rules_notice_is_shown_with_its_reason_and_answered_on_the_cases_page(client):
    # given an agency whose second warning set off the suspension rule, told to it first
    agency, membership, user = admitted_agency()
    notice = warned_twice(agency, supervisor_user())
    client.force_login(user)
    # then 我的信用 says a measure is notified and not yet in force
    credit = page_text(client.get(CREDIT))
    assert "已告知、尚未生效的信用措施" in credit and "CR-ESC-001" in credit
    # and the cases page shows the notice with its rule, reason, basis and when it takes effect
    page = page_text(client.get(reverse("agency-cases")))
    assert f"失信告知 {notice.pk}" in page and "按信用规则自动告知" in page
    assert "12 个月内累计 2 次信用警告，暂停交易资格 1 个月。" in page and "国办发〔2019〕35号" in page
    assert "尚未生效" in page and "陈述申辩" in page
    # when it answers
    response = client.post(reverse("agency-case-respond", args=[notice.pk]), {"response": "逾期系业主原因。"})
    # then the answer is kept and shown; the measure is still not in force
    assert response.status_code == 302
    assert CreditCase.objects.get(pk=notice.pk).agency_response == "逾期系业主原因。"
    assert "逾期系业主原因。" in page_text(client.get(reverse("agency-cases")))
    assert "已陈述申辩，待监管部门决定" in page_text(client.get(CREDIT))
    assert membership_of(agency).state == Membership.State.ACTIVE


def test_a_rules_notice_reads_in_english_too(client):
    # the reason is rendered from the rule and its parameters in the reader's language
    agency, _membership, user = admitted_agency()
    notice = warned_twice(agency, supervisor_user())
    client.force_login(user)
    page = page_text(client.get(reverse("agency-cases"), HTTP_ACCEPT_LANGUAGE="en"))
    assert f"Prior notice {notice.pk}" in page
    assert "2 credit warnings within 12 months: trading suspended for 1 months." in page


def test_case_response_after_the_due_date_is_refused(client):
    agency, membership, user = admitted_agency()
    supervisor = supervisor_user()
    case = notified_case(agency, supervisor, measure="restrict", months=None, facts="事实")
    hearing_lapsed(case)
    client.force_login(user)
    response = client.post(reverse("agency-case-respond", args=[case.pk]), {"response": "迟到的申辩"})
    assert response.status_code == 200
    assert "陈述申辩期限已过" in response.content.decode()
    assert CreditCase.objects.get(pk=case.pk).agency_response == ""


# --- query budget ---------------------------------------------------------------------------------


def _credit_queries(client, user) -> int:
    client.force_login(user)
    return query_count(client, CREDIT, warm=True)  # warm: the per-process caches (policy, content types)


def _agency_with_entries(n: int):
    agency, membership, user = applicant(statement=None)
    subject = subject_for_agency(agency)
    supervisor = supervisor_user()
    start = timezone.now() - relativedelta(months=4)
    entries = [
        event_record(subject=subject, code="RATING_POOR", source="rating", at=start + datetime.timedelta(hours=i))
        for i in range(n)
    ]
    recent = event_record(subject=subject, code="RATING_POOR", source="rating")
    objection_services.objection_submit(entry=recent, actor=user, reason="异议")
    repair_services.repair_submit(entry=entries[0], actor=user, correction="已整改", evidence=pdf_file())
    notified_case(agency, supervisor, measure="restrict", months=None, facts="f")
    membership_services.membership_update_application(membership=membership, actor=user, statement="说明")
    return agency, user


def test_credit_page_query_count_does_not_grow_with_the_ledger(client):
    _small, small_user = _agency_with_entries(1)
    _large, large_user = _agency_with_entries(30)
    assert LedgerEntry.objects.filter(subject__agency=_large).count() >= 32
    small, large = _credit_queries(client, small_user), _credit_queries(client, large_user)
    # session, user, roles, agency, subject, pending notices, objections, repairs, ledger, standing (3), refusals;
    # and the header's to-do and unread counts (one query)
    assert small == large <= BUDGETS["agency-credit"]
