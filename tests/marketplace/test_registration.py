"""Agency self-registration (workflows.views.identity, marketplace.forms): it creates the agency with its
administrator and object permission and opens its identity verification with the licence scan; a wrong USCC
check character, a duplicate code, mismatched passwords or a missing or false licence file are form errors in the
user's language that write nothing, and codes are normalised."""

import pytest
from django.urls import reverse

from marketplace.models import Agency, ServiceCategory
from marketplace.selectors import agencies_for_user
from tests.factories import AgencyFactory
from tests.helpers import pdf_file
from workflows.models import IdentityVerification

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "uscc": "91441300MA4W12345R",
        "name": "惠州市德正资产评估有限公司",
        "region": "",
        "categories": [ServiceCategory.objects.get(code="VAL-ASSET").pk],
        "address": "惠州市惠城区江北文昌一路 8 号",
        "legal_representative": "王某",
        "contact_name": "李某",
        "contact_phone": "0752-2345678",
        "password1": "Str0ng-pass-2026",
        "password2": "Str0ng-pass-2026",
        "licence": pdf_file("营业执照.pdf"),
    }
    from marketplace.models import Region

    data["region"] = Region.objects.get(code="441302").pk
    data.update(overrides)
    return data


def test_registration_creates_agency_with_admin_and_object_permission(client):
    response = client.post(reverse("agency-register"), form_data())
    assert response.status_code == 302
    agency = Agency.objects.get(uscc="91441300MA4W12345R")
    staff = agency.staff.get()
    assert staff.is_admin
    assert list(agencies_for_user(staff.user)) == [agency]
    # Not verified yet: the licence waits for the operator, and the agency is not listed meanwhile.
    verification = IdentityVerification.objects.get(agency=agency)
    assert verification.state == IdentityVerification.State.SUBMITTED and verification.method == "operator_review"
    assert verification.licence.name.startswith("identity/91441300MA4W12345R/")
    assert agency.identity_verified_at is None
    assert response.url == reverse("agency-identity")


def test_registration_without_the_licence_is_a_form_error_that_writes_nothing(client):
    data = form_data()
    del data["licence"]
    response = client.post(reverse("agency-register"), data)
    assert response.status_code == 200
    assert "请上传营业执照扫描件" in response.content.decode()
    assert not Agency.objects.exists() and not IdentityVerification.objects.exists()


def test_a_licence_that_is_not_a_scan_is_refused_by_the_document_checks(client):
    response = client.post(reverse("agency-register"), form_data(licence=pdf_file("licence.pdf", b"MZ not a pdf")))
    assert response.status_code == 200
    assert "文件内容与扩展名不符" in response.content.decode()
    assert not Agency.objects.exists()


def test_wrong_check_character_is_a_form_error_not_a_500(client):
    response = client.post(reverse("agency-register"), form_data(uscc="91441300MA4W12345A"))
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert not Agency.objects.exists()


def test_wrong_code_message_in_english(client):
    client.cookies["zjcs_language"] = "en"
    response = client.post(reverse("agency-register"), form_data(uscc="91441300MA4W1234"))
    assert response.status_code == 200
    assert "must be 18 characters" in response.content.decode()


def test_lower_case_and_spaces_are_normalised(client):
    client.post(reverse("agency-register"), form_data(uscc="9144 1300 ma4w 12345r"))
    assert Agency.objects.filter(uscc="91441300MA4W12345R").exists()


def test_duplicate_code_is_refused_with_message(client):
    AgencyFactory(uscc="91441300MA4W12345R")
    response = client.post(reverse("agency-register"), form_data())
    assert "已注册" in response.content.decode()
    assert Agency.objects.count() == 1


def test_mismatched_passwords_write_nothing(client):
    response = client.post(reverse("agency-register"), form_data(password2="other-pass-2026"))
    assert "不一致" in response.content.decode()
    assert not Agency.objects.exists()


def test_the_login_name_is_the_uscc_and_no_username_is_asked_for(client):
    page = client.get(reverse("agency-register")).content.decode()
    assert 'name="username"' not in page and "登录名为本机构的统一社会信用代码" in page
    response = client.post(reverse("agency-register"), form_data(), follow=True)
    assert "登录名为本机构的统一社会信用代码 91441300MA4W12345R" in response.content.decode()
    client.logout()
    response = client.post(reverse("login"), {"username": "91441300MA4W12345R", "password": "Str0ng-pass-2026"})
    assert response.status_code == 302
