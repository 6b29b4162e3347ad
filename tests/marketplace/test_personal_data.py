"""One guard for every free text that can become public: a person's mobile, ID card, bank card or e-mail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.personal_data import luhn_valid, personal_data_problem, resident_id_valid
from tests.factories import buyer_user, published_project
from tests.helpers import logged_in, page_html

# A resident ID with a valid check digit (GB 11643 example) and one with a wrong check digit.
REAL_ID = "11010519491231002X"
WRONG_ID = "110105194912310021"


def luhn_card() -> str:
    """A 16-digit number that passes the Luhn check (the last digit computed)."""
    body = "622202020000123"
    for last in "0123456789":
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("联系人张三，手机 13812345678。", "手机号码"),
        ("联系 +86 138-1234-5678", "手机号码"),
        (f"身份证号 {REAL_ID}", "身份证号码"),
        (f"退款至银行卡 {luhn_card()[:4]} {luhn_card()[4:8]} {luhn_card()[8:12]} {luhn_card()[12:]}", "银行卡号"),
        ("请发邮件至 zhang.san@example.com", "电子邮箱"),
    ],
    ids=["mobile", "mobile-spaced", "id-card", "bank-card", "email"],
)
def test_each_kind_is_named(text, named):
    problem = personal_data_problem(text)
    assert problem is not None and named in problem


@pytest.mark.parametrize(
    "text",
    [
        "惠州市粤信房地产土地资产评估有限公司（91441300MA4W12345R）逾期提交报告。",
        "办公电话 0752-2345678，地址惠城区江北。",
        f"编号 {WRONG_ID} 的档案",  # not a valid ID: the check digit is wrong
        "项目编号 ZJCS-2026-000008，预算 80000.00 元，2026-12-06 发布。",
        "合同金额 1234567890123 元",  # thirteen digits failing the Luhn check
    ],
    ids=["uscc", "landline", "bad-check-digit", "codes-and-amounts", "not-luhn"],
)
def test_organisations_and_ordinary_numbers_pass(text):
    if "1234567890123" in text:
        assert not luhn_valid("1234567890123")
    assert personal_data_problem(text) is None


def test_the_id_check_digit_and_birth_date_are_verified():
    assert resident_id_valid(REAL_ID)
    assert not resident_id_valid(WRONG_ID)
    assert not resident_id_valid("110105194913310024")  # month 13


@pytest.mark.django_db
def test_a_cancel_reason_with_a_persons_number_is_refused_and_nothing_is_published(client):
    buyer = buyer_user()
    project = published_project("draw", buyer=buyer)
    client = logged_in(buyer)
    response = client.post(
        reverse("buyer-project-cancel", args=[project.code]), {"reason": "经办人李四（13812345678）离职，项目终止。"}
    )
    assert response.status_code == 200
    assert "手机号码" in page_html(response)
    project.refresh_from_db()
    assert project.state == "open"


def _public_fields():
    from cms.admin_views import WithdrawForm
    from workflows.forms.buyer import ProjectForm
    from workflows.forms.buyer_project import CancelForm, RatingForm
    from workflows.forms.supervisor import WarningWithdrawForm

    return [
        (ProjectForm, "name"),
        (ProjectForm, "content"),
        (ProjectForm, "scale"),
        (ProjectForm, "direct_reason"),
        (CancelForm, "reason"),
        (RatingForm, "comment"),
        (WarningWithdrawForm, "reason"),
        (WithdrawForm, "reason"),
    ]


@pytest.mark.django_db
def test_every_field_that_becomes_public_refuses_a_persons_data():
    from django.core.exceptions import ValidationError

    for form_class, name in _public_fields():
        field = form_class.base_fields[name]
        with pytest.raises(ValidationError) as refused:
            field.clean("联系 zhang.san@example.com")
        assert "电子邮箱" in str(refused.value), (form_class.__name__, name)
        assert field.clean("惠城区安置房估价")  # an ordinary text passes
