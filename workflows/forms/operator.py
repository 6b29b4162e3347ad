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
