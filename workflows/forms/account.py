"""Forms of every signed-in account's own pages: the notification channels."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm


class PreferenceForm(PlainForm):
    """The channels a person receives notifications on besides the inbox, which is always on."""

    email = forms.BooleanField(label=_("同时发送电子邮件（发往账号登记的邮箱）"), required=False)
    sms = forms.BooleanField(label=_("同时发送短信"), required=False)
    phone = forms.RegexField(
        label=_("接收短信的手机号码"),
        regex=r"^1\d{10}$",
        max_length=11,
        required=False,
        help_text=_("11 位手机号码，仅用于发送通知，不会公开。"),
        error_messages={"invalid": _("请填写 11 位手机号码。")},
    )
