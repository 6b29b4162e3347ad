"""Forms for the marketplace's own data (agency self-registration), and what every form shares.

``PlainForm`` is the base of every form in the project: its messages are written for the field, from
its label ("请填写报价", "项目名称不超过 200 个字，现在 230 个字"), never Django's defaults; text
fields show their limit as you type and the server refuses over-limit text instead of the browser
cutting it. ``MoneyField`` is the one amount input (``money.money_parse``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Agency, Region, ServiceCategory
from .money import MoneyError, money_parse
from .validators import normalise_uscc, uscc_problem, validate_document_upload

# A trailing note in brackets ("报价金额（元）", "证据材料（可选）") is left out of the messages.
LABEL_NOTE_RE = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")
# Codes a field's validators raise; the field's own ``error_messages`` replace their message.
VALIDATOR_CODES = (
    "max_length",
    "min_length",
    "min_value",
    "max_value",
    "step_size",
    "max_digits",
    "max_decimal_places",
    "max_whole_digits",
    "null_characters_not_allowed",
)


def label_short(field: forms.Field, name: str = "") -> str:
    """The field's label as messages name it: without a trailing bracketed note."""
    label = str(field.label or "") or gettext("该项")
    return LABEL_NOTE_RE.sub("", label) or label


def _class_defaults(field: forms.Field) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for cls in reversed(type(field).__mro__):
        defaults.update(getattr(cls, "default_error_messages", {}))
    return defaults


def plain_messages(field: forms.Field, name: str = "") -> dict[str, str]:
    """Messages for every failure ``field`` can meet, written for it (``%(…)s`` left for Django's params)."""
    label = label_short(field, name).replace("%", "%%")
    widget = field.widget
    if isinstance(field, forms.FileField):
        required = gettext("请上传%(label)s。")
    elif isinstance(field, forms.BooleanField):
        required = gettext("请勾选“%(label)s”。")
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField) or getattr(widget, "input_type", "") in (
        "radio",
        "checkbox",
    ):
        required = gettext("请选择%(label)s。")
    else:
        required = gettext("请填写%(label)s。")
    if isinstance(field, forms.IntegerField):
        invalid = gettext("%(label)s须为整数，例如 10。")
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        invalid = gettext("%(label)s须为数字，例如 65000 或 65000.50。")
    elif isinstance(field, forms.DateTimeField):
        invalid = gettext("%(label)s须为有效的日期和时间，格式如 2026-03-01 09:30。")
    elif isinstance(field, forms.DateField):
        invalid = gettext("%(label)s须为有效日期，格式如 2026-03-01。")
    elif isinstance(field, forms.EmailField):
        invalid = gettext("%(label)s须为有效的电子邮箱地址。")
    elif isinstance(field, forms.URLField):
        invalid = gettext("%(label)s须为有效的网址，以 http:// 或 https:// 开头。")
    elif isinstance(field, forms.UUIDField):
        invalid = gettext("表单已失效，请刷新页面后重新填写。")
    elif isinstance(field, forms.FileField):
        invalid = gettext("未收到%(label)s文件，请重新选择文件后提交。")
    else:
        invalid = gettext("%(label)s的格式不正确，请检查后重新填写。")
    texts = {
        "required": required,
        "invalid": invalid,
        "invalid_choice": gettext("所选%(label)s不在可选范围内，请重新选择。"),
        "invalid_list": gettext("所选%(label)s不在可选范围内，请重新选择。"),
        "invalid_pk_value": gettext("所选%(label)s不在可选范围内，请重新选择。"),
        "missing": gettext("未收到%(label)s文件，请重新选择文件后提交。"),
        "empty": gettext("上传的%(label)s文件是空的，请检查后重新上传。"),
        "contradiction": gettext("请上传新的%(label)s文件，或勾选清除，不能同时进行。"),
        "min_length": gettext("%(label)s至少 %%(limit_value)d 个字，现在 %%(show_value)d 个字。"),
        "min_value": gettext("%(label)s不能小于 %%(limit_value)s。"),
        "max_value": gettext("%(label)s不能大于 %%(limit_value)s。"),
        "step_size": gettext("%(label)s须为 %%(limit_value)s 的整数倍。"),
        "max_digits": gettext("%(label)s最多 %%(max)s 位数字。"),
        "max_decimal_places": gettext("%(label)s最多保留 %%(max)s 位小数。"),
        "max_whole_digits": gettext("%(label)s的整数部分最多 %%(max)s 位。"),
        "null_characters_not_allowed": gettext("%(label)s含有不能保存的控制字符，请删除后重新提交。"),
        "overflow": gettext("%(label)s超出可接受的范围。"),
    }
    if isinstance(field, forms.FileField):
        texts["max_length"] = gettext("%(label)s的文件名不超过 %%(max)d 个字，现在 %%(length)d 个字。")
    else:
        texts["max_length"] = gettext("%(label)s不超过 %%(limit_value)d 个字，现在 %%(show_value)d 个字。")
    return {code: text % {"label": label} for code, text in texts.items()}


INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField"}
INT64_MAX = 2**63 - 1


def _choice_check(field: forms.ModelChoiceField):
    """The check a model choice field runs on each submitted value before looking it up: no NUL character
    (with its plain message), and an integer key within the database's integers (a 400-digit id would
    overflow the driver instead of finding nothing)."""
    integer = False
    if field.queryset is not None:
        meta = field.queryset.model._meta
        key = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
        integer = key is not None and key.get_internal_type() in INTEGER_KEYS
    multiple = isinstance(field, forms.ModelMultipleChoiceField)

    def check(value: Any) -> None:
        text = str(value)
        if "\x00" in text:
            raise forms.ValidationError(
                field.error_messages["null_characters_not_allowed"], code="null_characters_not_allowed"
            )
        digits = text.strip().lstrip("+-")
        if integer and digits.isdigit() and (len(digits) > 19 or int(digits) > INT64_MAX):
            if multiple:
                raise forms.ValidationError(
                    field.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:20]}
                )
            raise forms.ValidationError(field.error_messages["invalid_choice"], code="invalid_choice")

    return check


def plain_field(field: forms.Field, name: str = "") -> None:
    """Give ``field`` plain messages where it still has Django's, and a visible, server-checked length limit."""
    if getattr(field, "_plain_done", False):
        return
    defaults = _class_defaults(field)
    for code, text in plain_messages(field, name).items():
        current = field.error_messages.get(code)
        if current is None and code not in VALIDATOR_CODES and code not in defaults:
            continue
        if current is None or str(current) == str(defaults.get(code, "")):
            field.error_messages[code] = text
    if isinstance(field, forms.ModelChoiceField):
        # The model choice fields check for NUL characters with the validator's default message, not theirs,
        # and pass any integer to the database; this check runs first on every value they look up.
        field.validate_no_null_characters = _choice_check(field)  # type: ignore[method-assign]
    limit = getattr(field, "max_length", None)
    if limit and not isinstance(field, forms.FileField) and not field.widget.is_hidden:
        # The browser's maxlength cuts pasted text without a word: count instead, and let the server refuse.
        field.widget.attrs.pop("maxlength", None)
        field.widget.attrs["data-maxlength"] = str(limit)
        field.widget.attrs["data-count-text"] = gettext("已输入 {n} / 最多 {m} 字")
        field.widget.attrs["data-over-text"] = gettext("已超出 {x} 字，请删减")
    field._plain_done = True  # type: ignore[attr-defined]


class PlainMessagesMixin:
    """Every field's messages written for it, errors tied to their inputs (``aria-describedby``)."""

    fields: dict[str, forms.Field]

    def __getitem__(self, name: str) -> forms.BoundField:
        plain_field(self.fields[name], name)
        return super().__getitem__(name)  # type: ignore[misc]

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            plain_field(field, name)
        super().full_clean()  # type: ignore[misc]
        for name in getattr(self, "_errors", None) or {}:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}_error"]
                if bound.help_text:
                    described.append(f"{bound.auto_id}_helptext")
                bound.field.widget.attrs.update({"aria-describedby": " ".join(described), "aria-invalid": "true"})


class PlainForm(PlainMessagesMixin, forms.Form):
    """The project's form base: plain messages for every field (see ``PlainMessagesMixin``)."""


class PlainModelForm(PlainMessagesMixin, forms.ModelForm):
    """The project's model-form base: plain messages for every field."""


class MoneyField(forms.CharField):
    """An amount in yuan to the cent: "65000", "65,000.00" and full-width digits; nothing finer than a cent.

    Refuses 65000.005, 1e30, NaN, negative amounts and more digits than ``max_digits`` with a message
    naming the field.
    """

    def __init__(
        self,
        *,
        max_digits: int = 14,
        decimal_places: int = 2,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        **kwargs,
    ):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        label = label_short(self)
        try:
            amount = money_parse(text, label=label, max_digits=self.max_digits, decimal_places=self.decimal_places)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None
        if self.min_value is not None and amount < self.min_value:
            raise forms.ValidationError(
                gettext("%(label)s不能小于 %(limit)s。") % {"label": label, "limit": self.min_value}, code="min_value"
            )
        if self.max_value is not None and amount > self.max_value:
            raise forms.ValidationError(
                gettext("%(label)s不能大于 %(limit)s。") % {"label": label, "limit": self.max_value}, code="max_value"
            )
        return amount

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:.{self.decimal_places}f}"
        return value

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        # The amount was checked as a number in ``to_python``; the text-length validator does not apply.
        return


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


class LicenceField(forms.FileField):
    """The business licence scan (营业执照): PDF, PNG or JPEG within the upload limit, like every document."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("营业执照扫描件"))
        kwargs.setdefault(
            "help_text",
            _("PDF、PNG 或 JPG。运营机构将核对执照上的名称、统一社会信用代码和法定代表人与登记信息是否一致。"),
        )
        kwargs.setdefault("validators", [validate_document_upload])
        kwargs.setdefault(
            "widget", forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"})
        )
        super().__init__(**kwargs)


class AgencyRegistrationForm(PlainForm):
    """An agency opens its account and proves control of its USCC (the entry application follows once verified)."""

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
    licence = LicenceField()
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)

    def clean_uscc(self) -> str:
        uscc = self.cleaned_data["uscc"]
        if Agency.objects.filter(uscc=uscc).exists():
            raise forms.ValidationError(_("该统一社会信用代码已注册。如需找回账号，请联系本机构管理员或平台运营机构。"))
        return uscc

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
