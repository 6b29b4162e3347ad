"""Forms of the agency's procurement pages: sign-up with a quote, decline a win, contract and result
uploads, confirmation of a received payment."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketplace.errors import ApplicationError
from marketplace.forms import PlainForm
from marketplace.validators import validate_document_upload

from ..models import Project
from ..services.procurement.signups import parse_quote

DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def validate_pdf_upload(upload) -> None:
    """A proposal is a PDF: the shared upload checks (size, real content), then the PDF type itself."""
    validate_document_upload(upload)
    if not (upload.name or "").lower().endswith(".pdf"):
        raise ValidationError(_("服务方案须为 PDF 文件。"), code="not_pdf")


class SignupForm(PlainForm):
    """A sign-up: the quote in the project's band (an amount, or a discount rate for 下浮率) and a proposal."""

    quote = forms.CharField(label=_("报价金额（元）"), max_length=30, error_messages={"required": _("请填写报价。")})
    proposal = forms.FileField(
        label=_("服务方案（PDF）"),
        required=False,
        validators=[validate_pdf_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        quote = self.fields["quote"]
        if project.quote_kind == Project.QuoteKind.RATE:
            quote.label = _("下浮率（%）")
            quote.help_text = _("按预算金额下浮的百分比，须在 %(floor)s%% 至 %(ceiling)s%% 之间（含）。") % {
                "floor": project.quote_floor,
                "ceiling": project.quote_ceiling,
            }
        else:
            quote.help_text = _(
                "须在 %(floor)s 元至 %(ceiling)s 元之间（含）。报价密封保存，报名截止前任何人不可查看。"
            ) % {
                "floor": project.quote_floor,
                "ceiling": project.quote_ceiling,
            }
        quote.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        if project.method == Project.Method.SCORED:
            self.fields["proposal"].required = True
            self.fields["proposal"].error_messages["required"] = _("比选项目须上传服务方案（PDF）。")
            self.fields["proposal"].help_text = _("比选项目须上传服务方案，由评审人员评分。PDF 文件。")
        else:
            self.fields["proposal"].help_text = _("可选。PDF 文件。")

    def clean_quote(self):
        # The same check the service makes, so the message appears next to the field.
        try:
            return parse_quote(self.project, self.cleaned_data["quote"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.messages) from None


class DeclineForm(PlainForm):
    """Giving up a won selection, with the reason (recorded with the credit event)."""

    reason = forms.CharField(label=_("放弃理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}), strip=True)


class ContractUploadForm(PlainForm):
    """The signed contract as a PDF or a scan."""

    file = forms.FileField(
        label=_("合同文本"),
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("PDF、PNG 或 JPG 文件。"),
    )


class ResultSubmitForm(PlainForm):
    """The delivered result (report) as a PDF or a scan."""

    file = forms.FileField(
        label=_("服务成果文件"),
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("PDF、PNG 或 JPG 文件。"),
    )


class PaymentConfirmForm(PlainForm):
    """Confirmation of a received transfer; the hidden key makes a repeated submit confirm only once."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    @classmethod
    def fresh(cls) -> PaymentConfirmForm:
        return cls(initial={"key": f"confirm-{uuid.uuid4()}"})
