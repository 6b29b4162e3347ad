"""An agency clerk applies to enter in a real Chromium: register with the business licence, wait for the operator
to verify it through its pages, then fill in, upload a licence scan, sign, submit."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from credit_rules.rules import REGISTRY
from marketplace.models import Qualification
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import AgencyFactory, agency_user, operator_user, supervisor_user
from workflows.models import IdentityVerification, Membership
from workflows.services.membership import membership_review

from .flows import log_in, pdf_path, session, verify_identity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def applicant():
    """An agency account whose agency has not applied yet (made before the browser starts)."""
    agency = AgencyFactory(name="惠州市粤信房地产土地资产评估有限公司")
    agency_user(agency, username="clerk_yuexin")
    return agency


@pytest.fixture
def bad_record_agency():
    """The demo agency that declined a won selection without cause, seeded through the services."""
    call_command("seed_demo", stdout=io.StringIO())
    user = get_user_model().objects.get(username="agency_demo3")
    agency = user.agencystaff_set.get().agency
    # its licences are in date, so only its credit stands in the way
    agency.qualifications.filter(valid_until__lt=timezone.localdate()).update(
        valid_until=timezone.localdate() + datetime.timedelta(days=365)
    )
    return agency


def test_a_registered_agency_applies_once_the_operator_verified_its_licence(browser, live_server, page, tmp_path):
    # given an operator (made before the browser starts)
    operator_user("operator_review")
    uscc = uscc_build(region_code="441302", org_code=org_code_for_serial(424_242))
    name = "惠州市恒基房地产土地资产评估有限公司"

    # when a visitor registers the agency with its business licence scan
    page.goto("/agency/register/")
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("机构名称").fill(name)
    page.get_by_label("所在地区").select_option(label="惠城区")
    page.get_by_label("房地产估价").check()
    page.get_by_label("办公地址").fill("惠州市惠城区江北文昌一路 12 号")
    page.get_by_label("法定代表人").fill("陈立")
    page.get_by_label("联系人").fill("李青")
    page.get_by_label("联系电话").fill("0752-2345678")
    page.locator("#id_password1").fill("Hengji-2026-pass")
    page.locator("#id_password2").fill("Hengji-2026-pass")
    page.get_by_label("营业执照扫描件").set_input_files(str(pdf_path(tmp_path, "yingyezhizhao.pdf")))
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()

    # then it waits for the verification: not listed, and the application cannot be started
    assert page.locator("#identity-state").inner_text() == "待核验"
    page.goto("/agencies/?q=" + uscc)
    assert name not in page.locator("main").inner_text()
    page.goto("/agency/membership/")
    assert "身份核验尚未完成" in page.locator("#identity-problem").inner_text()
    assert page.get_by_role("button", name="开始填写入驻申请").count() == 0

    # when the operator compares the licence with the registered data and verifies it
    operator = session(browser, live_server, "operator_review")
    operator.goto("/operator/identity/")
    operator.locator("tr", has_text=name).get_by_role("link", name="核验").click()
    operator.wait_for_load_state()
    assert operator.get_by_test_id("registered-uscc").inner_text() == uscc
    assert operator.get_by_test_id("registered-legal").inner_text() == "陈立"
    licence = operator.request.get(operator.locator("#licence-link").get_attribute("href"))
    assert licence.ok and licence.body().startswith(b"%PDF-")
    verify_identity(operator, name)
    assert IdentityVerification.objects.get(agency__uscc=uscc).state == IdentityVerification.State.VERIFIED

    # then the agency is listed and its clerk starts the application
    page.goto("/agencies/?q=" + uscc)
    assert name in page.locator("main").inner_text()
    page.goto("/agency/membership/")
    page.get_by_role("button", name="开始填写入驻申请").click()
    page.wait_for_load_state()
    assert page.locator("#membership-state").inner_text() == "填写中"


def test_agency_applies_signs_submits_and_is_admitted(applicant, page, tmp_path):
    # given an agency account whose agency has not applied yet
    agency = applicant
    scan = pdf_path(tmp_path, "licence.pdf")
    valid_until = (timezone.localdate() + datetime.timedelta(days=700)).isoformat()

    # when the clerk logs in and starts the application
    log_in(page, "clerk_yuexin")
    page.goto("/agency/membership/")
    assert "贵机构尚未申请入驻" in page.locator("main").inner_text()
    page.get_by_role("button", name="开始填写入驻申请").click()
    page.wait_for_load_state()
    assert page.locator("#membership-state").inner_text() == "填写中"

    # fills in the statement and saves it
    page.get_by_label("服务承诺与业务说明").fill("本机构专业从事房地产估价，估价师 12 名，承诺依法诚信执业。")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    assert "申请材料已保存。" in page.locator(".messages").inner_text()
    assert "需要有效资质证书" in page.locator("#application-problems").inner_text()

    # adds its licence with a real PDF scan (the level list offers only the chosen type's levels)
    page.get_by_label("资质类型").select_option(label="房地产估价机构资质")
    page.get_by_label("资质等级").select_option(label="房地产估价机构资质 · 一级")
    page.get_by_label("证书编号").fill("粤房估备字 440000123")
    page.get_by_label("发证机关").fill("广东省住房和城乡建设厅")
    page.get_by_label("有效期至").fill(valid_until)
    page.get_by_label("证书扫描件").set_input_files(str(scan))
    page.get_by_role("button", name="添加资质").click()
    page.wait_for_load_state()
    assert "资质证书「粤房估备字 440000123」已登记。" in page.locator(".messages").inner_text()
    assert "粤房估备字 440000123" in page.locator("#qualifications").inner_text()
    assert page.locator("#application-problems").count() == 0

    # signs the commitment letter and submits
    assert "中介机构信用承诺书" in page.locator("main").inner_text()
    page.get_by_label("我已阅读并签署上述信用承诺书").check()
    page.get_by_role("button", name="提交入驻申请").click()
    page.wait_for_load_state()

    # then the application waits for review
    assert page.locator("#membership-state").inner_text() == "待审核"
    assert "入驻申请已提交，请等待监管部门审核。" in page.locator(".messages").inner_text()
    membership = Membership.objects.get(agency=agency)
    assert membership.state == Membership.State.SUBMITTED
    assert Qualification.objects.get(agency=agency).document.read().startswith(b"%PDF-1.4")

    # and once a supervisor approves, the page shows the agency admitted
    result = membership_review(membership=membership, actor=supervisor_user(), decision="approve", note="材料齐全。")
    assert result.ok
    page.reload()
    assert page.locator("#membership-state").inner_text() == "正常"
    main = page.locator("main").inner_text()
    assert "入驻有效期至" in main and "材料齐全。" in main


def test_demo_agency_with_a_serious_record_sees_the_refusal(bad_record_agency, page):
    # given the demo agency with a serious record and a draft application
    membership = Membership.objects.get(agency=bad_record_agency)
    assert membership.state == Membership.State.DRAFT

    # when its clerk signs and submits the application
    log_in(page, "agency_demo3", "demo-2026")
    page.goto("/agency/membership/")
    page.get_by_label("我已阅读并签署上述信用承诺书").check()
    page.get_by_role("button", name="提交入驻申请").click()
    page.wait_for_load_state()

    # then the refusal is shown with its rule code, what was found and the legal basis
    reasons = page.locator(".reasons[role=alert]").first.inner_text()
    assert "CR-ONB-003" in reasons
    assert "无故放弃中选资格" in reasons
    assert str(REGISTRY["CR-ONB-003"].basis) in reasons
    assert page.locator("#membership-state").inner_text() == "填写中"
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.DRAFT

    # and 我的信用 shows the record and the refused decision
    page.get_by_role("link", name="我的信用").first.click()
    page.wait_for_load_state()
    assert "无故放弃中选资格" in page.locator("#ledger").inner_text()
    assert "CR-ONB-003" in page.locator("#refusals").inner_text()
