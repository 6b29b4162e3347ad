"""Forms for the marketplace's own data: agency self-registration."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from .models import Agency, Region, ServiceCategory
from .validators import normalise_uscc, uscc_problem


class USCCField(forms.CharField):
    """A USCC input: spaces removed, upper-cased, checked against GB 32100-2015."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("label", _("统一社会信用代码"))
        kwargs.setdefault("help_text", _("18 位，见营业执照；系统按 GB 32100-2015 核验校验位。"))
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_uscc(super().to_python(value) or "")

    def validate(self, value):
        super().validate(value)
        problem = uscc_problem(value)
        if problem:
            raise forms.ValidationError(problem, code="invalid_uscc")


class AgencyRegistrationForm(forms.Form):
    """An agency opens its account (the entry application follows in its workspace)."""

    uscc = USCCField()
    name = forms.CharField(label=_("机构名称"), max_length=200)
    region = forms.ModelChoiceField(label=_("所在地区"), queryset=Region.objects.filter(parent__isnull=False))
    categories = forms.ModelMultipleChoiceField(
        label=_("服务事项"),
        queryset=ServiceCategory.objects.filter(parent__isnull=False).select_related("parent"),
        widget=forms.CheckboxSelectMultiple,
    )
    address = forms.CharField(label=_("办公地址"), max_length=200)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.RegexField(
        label=_("联系电话"),
        regex=r"^[0-9+\- ]{7,20}$",
        error_messages={"invalid": _("请输入有效的电话号码。")},
    )
    username = forms.RegexField(
        label=_("登录用户名"),
        regex=r"^[A-Za-z0-9_.@+-]{3,30}$",
        help_text=_("3–30 位字母、数字或 _ . @ + -"),
        error_messages={"invalid": _("用户名只能包含字母、数字和 _ . @ + -，长度 3–30。")},
    )
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)

    def clean_uscc(self) -> str:
        uscc = self.cleaned_data["uscc"]
        if Agency.objects.filter(uscc=uscc).exists():
            raise forms.ValidationError(_("该统一社会信用代码已注册。如需找回账号，请联系本机构管理员或平台运营机构。"))
        return uscc

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用，请换一个。"))
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
