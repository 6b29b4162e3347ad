"""The forms of the buyer's project page: cancel, proposal marks, contract, extension, result review, rating, payment."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace.forms import MoneyField, PlainForm
from marketplace.personal_data import validate_public_text

from ..models import Rating
from .buyer import INLINE_RADIOS


class CancelForm(PlainForm):
    """Cancel (终止) a published project; the reason is published in the termination notice.

    What is published is shown on a confirmation page before anything is done (``forms.confirm``).
    """

    reason = forms.CharField(
        label=_("终止原因（将公开发布）"),
        max_length=1000,
        validators=[validate_public_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("终止项目须填写原因，原因将公开发布。")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("终止项目须填写原因，原因将公开发布。"))
        return reason


class MarksForm(PlainForm):
    """The buyer's proposal marks (0–100) for every admitted sign-up of a scored comparison."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[f"mark_{row.signup.pk}"] = forms.DecimalField(
                label=row.agency.name,
                min_value=Decimal(0),
                max_value=Decimal(100),
                max_digits=5,
                decimal_places=2,
                initial=row.my_mark,
                error_messages={
                    "required": _("请为每家有效报名的方案评分。"),
                    "min_value": _("方案得分须在 0 到 100 之间。"),
                    "max_value": _("方案得分须在 0 到 100 之间。"),
                },
            )

    def marks(self) -> list[tuple[Any, Decimal]]:
        return [(row.signup, self.cleaned_data[f"mark_{row.signup.pk}"]) for row in self.rows]

    def field_for(self, row):
        return self[f"mark_{row.signup.pk}"]


class ContractForm(PlainForm):
    """The buyer confirms the contract the winner uploaded, with the contract amount."""

    amount = MoneyField(label=_("合同金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))


class ExtendForm(PlainForm):
    """Extend the service end date once, with a reason."""

    days = forms.IntegerField(label=_("延长天数"), min_value=1, max_value=180)
    reason = forms.CharField(label=_("延期理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ResultReviewForm(PlainForm):
    """Accept the delivered result, or return it for rework with what to fix."""

    DECISIONS = [("accept", _("验收通过")), ("return", _("退回整改"))]
    decision = forms.ChoiceField(label=_("验收结论"), choices=DECISIONS, widget=INLINE_RADIOS)
    note = forms.CharField(
        label=_("整改意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回整改时必填，写明需要整改的内容。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("退回整改须写明整改意见。"))
        return data


MARK_CHOICES = [(i, str(i)) for i in range(5, 0, -1)]


class RatingForm(PlainForm):
    """The buyer's rating of the service: five marks 1–5 and a comment."""

    quality = forms.TypedChoiceField(label=_("服务质量"), choices=MARK_CHOICES, coerce=int, widget=INLINE_RADIOS)
    timeliness = forms.TypedChoiceField(label=_("服务时效"), choices=MARK_CHOICES, coerce=int, widget=INLINE_RADIOS)
    attitude = forms.TypedChoiceField(label=_("服务态度"), choices=MARK_CHOICES, coerce=int, widget=INLINE_RADIOS)
    fees = forms.TypedChoiceField(label=_("收费合理性"), choices=MARK_CHOICES, coerce=int, widget=INLINE_RADIOS)
    conformity = forms.TypedChoiceField(label=_("执业规范性"), choices=MARK_CHOICES, coerce=int, widget=INLINE_RADIOS)
    comment = forms.CharField(
        label=_("评价意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_public_text],
    )

    def marks(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in Rating.MARKS}


def sandbox_payments_enabled() -> bool:
    """The sandbox provider settles at once: for demos and tests, switched off by setting it False."""
    return bool(getattr(settings, "ZJCS_PAYMENT_SANDBOX", True))


class PaymentForm(PlainForm):
    """Record the payment: a bank transfer reference, or the sandbox; the hidden key makes a re-send harmless."""

    provider = forms.ChoiceField(label=_("支付方式"), widget=INLINE_RADIOS, initial="bank_transfer")
    reference = forms.CharField(
        label=_("银行转账流水号"),
        max_length=100,
        required=False,
        help_text=_("银行转账时必填，收款机构将据此确认到账。"),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("bank_transfer", _("银行转账（登记流水号，机构确认到账）"))]
        if sandbox_payments_enabled():
            choices.append(("sandbox", _("沙箱支付（演示环境，立即到账）")))
        cast(forms.ChoiceField, self.fields["provider"]).choices = choices
        if not self.is_bound:
            self.initial.setdefault("key", f"pay-{uuid.uuid4().hex}")

    def clean(self):
        data = super().clean()
        if data.get("provider") == "bank_transfer" and not (data.get("reference") or "").strip():
            self.add_error("reference", _("请填写银行转账流水号。"))
        return data


class AfterMeasureForm(PlainForm):
    """The buyer's decision when a measure reached the agency mid-service: continue, or terminate."""

    decision = forms.ChoiceField(
        label=_("决定"),
        choices=[("continue", _("由该机构继续完成本服务")), ("terminate", _("中止服务，撤销其中选资格"))],
        widget=INLINE_RADIOS,
        error_messages={"required": _("请选择是否由该机构继续服务。")},
    )
    note = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明决定的理由。")},
    )
