"""The supervisor's warning goes through a check-your-answers page, and an erroneous one can be withdrawn by its
issuer within the policy's window: a compensating entry, the notice withdrawn, never an edited ledger row."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import CreditSubject, LedgerEntry, Source
from credit_rules.services import subject_for_agency
from marketplace.models import Region
from tests.factories import AgencyFactory, admitted_agency, supervisor_user, warn
from workflows.models import Membership, TransitionLog, WarningWithdrawal
from workflows.services.credit.events import credit_event_record

pytestmark = pytest.mark.django_db

URL = "supervisor-event-new"


def answers(agency, **extra) -> dict:
    return {
        "agency": agency.uscc,
        "code": "CREDIT_WARNING",
        "facts": "2026 年 3 月，该机构承接的评估项目逾期 40 日未提交成果，经调查属实。",
        "evidence_summary": "评估项目逾期提交成果，经核查属实。",
        "token": str(uuid.uuid4()),
        **extra,
    }


@pytest.fixture
def supervisor(db):
    return supervisor_user(username="sup_events")


@pytest.fixture
def sup_client(client, supervisor):
    client.force_login(supervisor)
    return client


def nothing_written(agency) -> bool:
    return (
        not LedgerEntry.objects.filter(subject__agency=agency, kind=LedgerEntry.Kind.EVENT).exists()
        and not NoticeRequest.objects.filter(kind="warning").exists()
    )


# --- the confirmation page ------------------------------------------------------------------------------


def test_the_first_post_shows_who_and_what_and_writes_nothing(sup_client):
    # given an admitted agency
    agency, _m, _u = admitted_agency()
    # when the supervisor sends a valid warning form
    response = sup_client.post(reverse(URL), answers(agency))
    # then the confirmation names the agency in full, its USCC and region, and what will be published where
    page = response.content.decode()
    assert response.status_code == 200 and "请核对后提交" in page
    assert agency.name in page and agency.uscc in page and agency.region.name in page
    assert "信用警告（-5 分）" in page and "发布信用警告公告" in page
    assert "确认并提交" in page and "返回修改" in page
    # and nothing is recorded or published yet
    assert nothing_written(agency)


def test_confirming_records_the_warning_once(sup_client):
    agency, _m, _u = admitted_agency()
    confirmation = sup_client.post(reverse(URL), answers(agency)).context["confirmation"]
    response = sup_client.post(reverse(URL), {"step": "confirm", "confirmation": confirmation})
    entry = LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING")
    assert response["Location"] == reverse("supervisor-event", args=[entry.pk])
    assert NoticeRequest.objects.filter(kind="warning").count() == 1
    # the same confirmation sent again records nothing more
    sup_client.post(reverse(URL), {"step": "confirm", "confirmation": confirmation})
    assert LedgerEntry.objects.filter(subject__agency=agency, code="CREDIT_WARNING").count() == 1


def test_a_tampered_confirmation_is_refused_and_nothing_is_written(sup_client):
    agency, _m, _u = admitted_agency()
    other = AgencyFactory(name="惠州弘达工程咨询有限公司")
    confirmation = sup_client.post(reverse(URL), answers(agency)).context["confirmation"]
    # a payload re-signed without the key, naming another agency
    forged = signing.dumps({"u": 1, "d": {**answers(other)}}, key="not-the-key", salt="zjcs.confirm.supervisor-event")
    for token in (confirmation[:-3] + "abc", forged, ""):
        response = sup_client.post(reverse(URL), {"step": "confirm", "confirmation": token}, follow=True)
        page = response.content.decode()
        assert "未执行任何操作" in page
    assert nothing_written(agency) and nothing_written(other)


def test_a_stale_confirmation_is_refused_and_nothing_is_written(sup_client, settings):
    agency, _m, _u = admitted_agency()
    confirmation = sup_client.post(reverse(URL), answers(agency)).context["confirmation"]
    settings.ZJCS_CONFIRM_MAX_AGE = -1  # every token is older than this
    response = sup_client.post(reverse(URL), {"step": "confirm", "confirmation": confirmation})
    assert "确认页已过期" in response.content.decode()
    assert nothing_written(agency)


def test_another_users_confirmation_is_refused(client, supervisor):
    agency, _m, _u = admitted_agency()
    client.force_login(supervisor)
    confirmation = client.post(reverse(URL), answers(agency)).context["confirmation"]
    client.force_login(supervisor_user(username="sup_other"))
    response = client.post(reverse(URL), {"step": "confirm", "confirmation": confirmation})
    assert "确认信息已失效或被改动" in response.content.decode()
    assert nothing_written(agency)


def test_going_back_keeps_the_answers_and_writes_nothing(sup_client):
    agency, _m, _u = admitted_agency()
    sent = answers(agency)
    confirmation = sup_client.post(reverse(URL), sent).context["confirmation"]
    response = sup_client.post(reverse(URL), {"step": "edit", "confirmation": confirmation})
    form = response.context["form"]
    assert not form.is_bound and form.initial["facts"] == sent["facts"] and form.initial["agency"] == agency.uscc
    assert nothing_written(agency)


def test_two_agencies_with_the_same_name_are_told_apart_by_uscc_and_region(sup_client):
    huicheng = Region.objects.get(code="441302")
    huiyang = Region.objects.get(code="441303")
    first = AgencyFactory(name="惠州弘达评估咨询有限公司", region=huicheng)
    second = AgencyFactory(name="惠州弘达工程咨询有限公司", region=huiyang)
    page = sup_client.get(reverse(URL), {"q": "弘达"}).content.decode()
    for agency in (first, second):
        assert f"选择 {agency.name}（{agency.uscc}，{agency.region.name}）" in page
    assert huicheng.name in page and huiyang.name in page


# --- withdrawal of an erroneous warning -----------------------------------------------------------------


def test_the_issuer_withdraws_a_warning_within_the_window(sup_client, supervisor):
    # given a warning the supervisor issued today, published
    agency, membership, _u = admitted_agency()
    entry = warn(agency, supervisor)
    assert CreditSubject.objects.get(agency=agency).score == 95
    # when the issuer withdraws it with a reason
    response = sup_client.post(
        reverse("supervisor-event-withdraw", args=[entry.pk]), {"reason": "对象错误：应为另一家同名机构。"}
    )
    # then a compensating entry is appended (the warning row is unchanged) and the score is restored
    assert response["Location"] == reverse("supervisor-event", args=[entry.pk])
    again = LedgerEntry.objects.get(pk=entry.pk)
    assert again.hash == entry.hash and again.points == -5
    correction = LedgerEntry.objects.get(refers_to=entry, kind=LedgerEntry.Kind.NEUTRALISE)
    assert correction.reason == LedgerEntry.Reason.WITHDRAWN and correction.points == 5
    assert CreditSubject.objects.get(agency=agency).score == 100
    # and the warning's notice is withdrawn, through the runner
    notice = NoticeRequest.objects.get(kind="warning")
    assert notice.withdrawn_at is not None
    withdrawal = WarningWithdrawal.objects.get(entry=entry)
    assert withdrawal.state == WarningWithdrawal.State.WITHDRAWN
    assert TransitionLog.objects.filter(transition="withdraw", object_id=withdrawal.pk, outcome="done").exists()
    page = sup_client.get(response["Location"]).content.decode()
    assert "该警告已于" in page and "对象错误" in page
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.ACTIVE


def test_withdrawing_the_second_warning_drops_the_suspension_it_announced(sup_client, supervisor):
    agency, _m, _u = admitted_agency()
    warn(agency, supervisor)
    second = warn(agency, supervisor, "另一项目成果质量不合格，经复核属实。")
    from workflows.models import CreditCase

    assert CreditCase.objects.filter(agency=agency, state__in=CreditCase.OPEN).count() == 1
    sup_client.post(reverse("supervisor-event-withdraw", args=[second.pk]), {"reason": "事实有误。"})
    assert CreditCase.objects.filter(agency=agency, state__in=CreditCase.OPEN).count() == 0
    assert CreditSubject.objects.get(agency=agency).warning_count == 1


def test_another_supervisor_cannot_withdraw_and_is_told_why(client, supervisor):
    agency, _m, _u = admitted_agency()
    entry = warn(agency, supervisor)
    client.force_login(supervisor_user(username="sup_colleague"))
    page = client.get(reverse("supervisor-event", args=[entry.pk])).content.decode()
    assert "只有发布该警告的监管人员可以撤回" in page and "撤回该警告" not in page
    response = client.post(reverse("supervisor-event-withdraw", args=[entry.pk]), {"reason": "我认为有误。"})
    assert "只有发布该警告的监管人员可以撤回" in response.content.decode()
    assert not LedgerEntry.objects.filter(refers_to=entry, kind=LedgerEntry.Kind.NEUTRALISE).exists()
    assert not WarningWithdrawal.objects.exists()
    assert NoticeRequest.objects.get(kind="warning").withdrawn_at is None


def test_after_the_window_the_issuer_is_refused_with_the_date(sup_client, supervisor):
    agency, _m, _u = admitted_agency()
    long_ago = timezone.now() - datetime.timedelta(days=30)
    entry = credit_event_record(
        subject=subject_for_agency(agency),
        code="CREDIT_WARNING",
        source=Source.SUPERVISOR,
        actor=supervisor,
        evidence={"summary": "逾期", "facts": "逾期"},
        publish="warning",
        at=long_ago,
    )
    response = sup_client.post(reverse("supervisor-event-withdraw", args=[entry.pk]), {"reason": "有误。"})
    page = response.content.decode()
    assert "撤回期限已过" in page and "个工作日内" in page
    assert not LedgerEntry.objects.filter(refers_to=entry, kind=LedgerEntry.Kind.NEUTRALISE).exists()
    assert not WarningWithdrawal.objects.exists()


def test_a_withdrawal_needs_a_reason(sup_client, supervisor):
    agency, _m, _u = admitted_agency()
    entry = warn(agency, supervisor)
    response = sup_client.post(reverse("supervisor-event-withdraw", args=[entry.pk]), {"reason": ""})
    page = response.content.decode()
    assert "请更正以下问题" in page and "请填写撤回理由。" in page
    assert not WarningWithdrawal.objects.exists()


# --- the case decision's confirmation ---------------------------------------------------------------------


def test_a_case_decision_is_confirmed_before_it_takes_effect(sup_client, supervisor):
    from tests.factories import notified_case
    from tests.helpers import refetch
    from workflows.models import CreditCase
    from workflows.services.credit import cases as case_services

    agency, _m, agency_login = admitted_agency()
    case = notified_case(agency, supervisor, measure="restrict", months=None, facts="逾期。")
    case_services.case_respond(case=refetch(case), actor=agency_login, response="无异议。")
    url = reverse("supervisor-case", args=[case.pk])
    # the first POST shows the agency, the measure and the note, and decides nothing
    response = sup_client.post(url, {"action": "apply", "note": "申辩理由不成立。"})
    page = response.content.decode()
    assert "请核对后提交" in page and agency.name in page and agency.uscc in page and "限制" in page
    assert refetch(case).state == CreditCase.State.NOTIFIED
    confirmation = response.context["confirmation"]
    # a tampered or stale token decides nothing
    sup_client.post(url, {"step": "confirm", "confirmation": confirmation[:-2] + "zz"})
    assert refetch(case).state == CreditCase.State.NOTIFIED
    # a token made for another case decides nothing here
    other = notified_case(agency, supervisor, measure="suspend", months=1, facts="另一事实。")
    other_token = sup_client.post(
        reverse("supervisor-case", args=[other.pk]), {"action": "dismiss", "note": "情节轻微。"}
    ).context["confirmation"]
    response = sup_client.post(url, {"step": "confirm", "confirmation": other_token}, follow=True)
    assert "确认信息已失效或被改动" in response.content.decode()
    assert refetch(case).state == CreditCase.State.NOTIFIED and refetch(other).state == CreditCase.State.NOTIFIED
    # a stale one decides nothing
    with override_settings(ZJCS_CONFIRM_MAX_AGE=-1):
        response = sup_client.post(url, {"step": "confirm", "confirmation": confirmation}, follow=True)
    assert "确认页已过期" in response.content.decode() and refetch(case).state == CreditCase.State.NOTIFIED
    assert not LedgerEntry.objects.filter(subject__agency=agency, kind="measure", measure="restrict").exists()
    # confirmed, it takes effect
    sup_client.post(url, {"step": "confirm", "confirmation": confirmation})
    assert refetch(case).state == CreditCase.State.APPLIED
    assert LedgerEntry.objects.filter(subject__agency=agency, kind="measure", measure="restrict").exists()


def test_the_confirmation_and_the_error_summary_speak_english(sup_client):
    agency, _m, _u = admitted_agency()
    sup_client.cookies["zjcs_language"] = "en"
    page = sup_client.post(reverse(URL), answers(agency)).content.decode()
    assert "Check your answers before submitting" in page and "Confirm and submit" in page
    assert "Go back and change" in page and agency.uscc in page
    page = sup_client.post(reverse(URL), answers(agency, facts="", evidence_summary="")).content.decode()
    assert "There is a problem" in page and "data-error-summary" in page
    assert "请更正以下问题" not in page and "确认并提交" not in page


def test_the_longest_answers_survive_the_confirmation(sup_client):
    # 4,000 characters of facts that do not compress: the signed token must still carry them whole
    agency, _m, _u = admitted_agency()
    facts = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4000))
    confirmation = sup_client.post(reverse(URL), answers(agency, facts=facts)).context["confirmation"]
    sup_client.post(reverse(URL), {"step": "confirm", "confirmation": confirmation})
    assert LedgerEntry.objects.get(subject__agency=agency, code="CREDIT_WARNING").evidence["facts"] == facts
