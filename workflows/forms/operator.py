"""Forms of the operator's review pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm


class ReturnForm(PlainForm):
    """Returning a project to the buyer with what to change."""

    note = forms.CharField(
        label=_("修改意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明需要项目业主修改的内容，业主将看到这段意见。"),
        error_messages={"required": _("退回须填写修改意见。")},
    )


class IdentityDecisionForm(PlainForm):
    """The operator's verdict on an agency's licence: verified, or not verified with the reason the agency sees."""

    decision = forms.ChoiceField(
        label=_("核验结论"),
        choices=[("verify", _("一致，核验通过")), ("reject", _("不一致或无法辨认，不予通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("不通过理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不予通过时必填：写明哪一项与登记信息不一致或无法辨认，机构将看到这段理由并据此重新上传。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("不通过核验须填写理由，机构将看到这段理由并据此重新提交。"))
        return data
