"""Forms of the challenge (质疑) and complaint (投诉) pages: grounds and evidence, answers, decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm
from marketplace.personal_data import validate_public_text
from marketplace.validators import validate_document_upload

from .agency import DOCUMENT_ACCEPT


def _evidence(label, required: bool = False) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("可选；PDF、PNG 或 JPG 文件。"),
    )


class ChallengeForm(PlainForm):
    """A challenge (质疑) to a selection result: what is challenged and why, and the proof."""

    grounds = forms.CharField(label=_("质疑事项和理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    evidence = _evidence(_("证明材料"))


class ChallengeAnswerForm(PlainForm):
    """The buyer's answer to a challenge."""

    answer = forms.CharField(label=_("答复内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))


class ComplaintEscalateForm(PlainForm):
    """A complaint (投诉) to the supervisor about the answer, or about no answer."""

    grounds = forms.CharField(label=_("投诉事项和理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    evidence = _evidence(_("投诉证明材料"))


class ComplaintDecisionForm(PlainForm):
    """The supervisor's decision on a complaint; its reasons are published, so no personal data."""

    decision = forms.ChoiceField(
        label=_("处理结果"),
        choices=[("upheld", _("投诉成立")), ("dismissed", _("投诉不成立"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("处理理由"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("理由将随投诉处理决定公告公开，请勿填写自然人的姓名、电话、身份证号等个人信息。"),
        validators=[validate_public_text],
    )


class ServiceResponseForm(PlainForm):
    """The agency's statement on a complaint about its service."""

    response = forms.CharField(label=_("机构说明"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


class ServiceComplaintForm(PlainForm):
    """A complaint (投诉) about an agency's service."""

    project_code = forms.CharField(
        label=_("项目编号"), max_length=40, required=False, help_text=_("可选；投诉涉及的本平台项目编号。")
    )
    grounds = forms.CharField(label=_("投诉事项和理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    evidence = _evidence(_("证明材料"))
