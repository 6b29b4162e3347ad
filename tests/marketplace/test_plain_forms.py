"""Every form speaks plainly: no Django default message reaches a person, amounts are taken to the cent."""

from __future__ import annotations

import copy
import importlib
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils import translation

from marketplace.forms import AgencyRegistrationForm, MoneyField, PlainMessagesMixin, plain_field
from marketplace.money import MoneyError, money_parse

APPS = ("marketplace", "credit_rules", "workflows", "cms")
BAD_INPUTS = ["", "   ", "abc", "x" * 6000, "1.234567", "-5", "99999999999999999999", "0", "a\x00b", ["zz"]]


def _project_form_classes() -> list[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name or info.name.endswith(".tasks"):
                continue
            importlib.import_module(info.name)
    seen: dict[str, type[forms.BaseForm]] = {}
    stack: list[type] = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in APPS and sub is not PlainMessagesMixin:
                seen[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [seen[name] for name in sorted(seen)]


def _django_defaults() -> set[str]:
    """Django's own messages, as templates, in both languages the site speaks."""
    field_classes = [c for c in vars(forms.fields).values() if isinstance(c, type) and issubclass(c, forms.Field)]
    field_classes += [forms.ModelChoiceField, forms.ModelMultipleChoiceField]
    found = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for cls in field_classes:
                for klass in cls.__mro__:
                    found.update(str(m) for m in getattr(klass, "default_error_messages", {}).values())
            for validator in (
                validators.MaxLengthValidator(1),
                validators.MinLengthValidator(1),
                validators.MinValueValidator(1),
                validators.MaxValueValidator(1),
                validators.StepValueValidator(1),
                validators.EmailValidator(),
                validators.URLValidator(),
                validators.RegexValidator(),
                validators.ProhibitNullCharactersValidator(),
            ):
                found.add(str(validator.message))
            found.update(str(m) for m in validators.DecimalValidator.messages.values())
    return found


def _errors(field: forms.Field) -> list[ValidationError]:
    out = []
    for raw in BAD_INPUTS:
        try:
            field.clean(raw)
        except ValidationError as exc:
            out.extend(exc.error_list)
        except (TypeError, ValueError, AttributeError):
            continue  # an input of a type this field never receives from a browser
    return out


def test_every_project_form_is_plain():
    """Every form class in the project takes its messages from the plain base (its ``full_clean``)."""
    classes = _project_form_classes()
    assert len(classes) > 25
    bare = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, PlainMessagesMixin)]
    bare = [name for name in bare if not name.endswith("FormSet")]
    assert bare == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_field_of_any_form_shows_a_django_default(language):
    """Walk every field of every form with bad input: no message equals one of Django's defaults."""
    defaults = _django_defaults()
    offending = []
    with translation.override(language):
        for cls in _project_form_classes():
            for name, declared in getattr(cls, "base_fields", {}).items():
                field = copy.deepcopy(declared)
                plain_field(field, name)
                for error in _errors(field):
                    if str(error.message) in defaults:
                        offending.append(f"{cls.__qualname__}.{name}: {error.message}")
    assert offending == []


def test_the_walk_catches_a_default_message():
    """Without the plain messages, the same walk finds Django's defaults (the test above can fail)."""
    defaults = _django_defaults()
    field = forms.CharField(label="项目名称", max_length=5)
    assert any(str(e.message) in defaults for e in _errors(field))
    plain_field(field)
    assert not any(str(e.message) in defaults for e in _errors(field))


@pytest.mark.django_db
def test_a_form_says_what_is_wrong_in_the_fields_words():
    form = AgencyRegistrationForm(data={"name": "弘" * 205})
    assert not form.is_valid()
    assert form.errors["name"] == ["机构名称不超过 200 个字，现在 205 个字。"]
    assert form.errors["address"] == ["请填写办公地址。"]
    assert form.errors["region"] == ["请选择所在地区。"]
    with translation.override("en"):
        form = AgencyRegistrationForm(data={"name": "x" * 205})
        assert not form.is_valid()
        assert form.errors["name"] == ["Agency name: at most 200 characters, 205 entered."]
        assert form.errors["address"] == ["Please fill in “Office address”."]


def test_limited_text_shows_its_count_not_a_silent_cut():
    html = str(AgencyRegistrationForm()["name"])
    assert 'data-maxlength="200"' in html
    assert "maxlength=" not in html.replace("data-maxlength", "")


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("65000", Decimal("65000.00")),
        ("65,000.00", Decimal("65000.00")),
        ("６５０００", Decimal("65000.00")),
        ("６５，０００．５", Decimal("65000.50")),
        (" 1234.5 ", Decimal("1234.50")),
        ("0.01", Decimal("0.01")),
        ("0", Decimal("0.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_money_is_taken_as_people_type_it(typed, amount):
    assert money_parse(typed, label="报价") == amount


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("65000.005", "max_decimal_places", "报价最多保留 2 位小数（精确到分），现在是 65000.005。"),
        ("1e30", "invalid", "报价须为数字，例如 65000 或 65,000.00。"),
        ("NaN", "invalid", "报价须为数字，例如 65000 或 65,000.00。"),
        ("inf", "invalid", "报价须为数字，例如 65000 或 65,000.00。"),
        ("-1", "negative", "报价不能为负数。"),
        ("1234567890123", "max_whole_digits", "报价过大：整数部分最多 12 位。"),
        ("9" * 5000, "max_whole_digits", "报价过大：整数部分最多 12 位。"),  # past Python's int-to-text limit
        ("65,00.00", "invalid", "报价须为数字，例如 65000 或 65,000.00。"),
        ("", "required", "请填写报价。"),
    ],
)
def test_money_refuses_what_is_not_an_amount_to_the_cent(typed, code, message):
    with pytest.raises(MoneyError) as refused:
        money_parse(typed, label="报价")
    assert refused.value.code == code
    assert str(refused.value) == message


def test_money_field_names_itself_and_keeps_its_bounds():
    field = MoneyField(label="预算金额（元）", min_value=Decimal("0.01"))
    plain_field(field)
    assert field.clean("６５,０００") == Decimal("65000.00")
    with pytest.raises(ValidationError) as refused:
        field.clean("65000.005")
    assert refused.value.messages == ["预算金额最多保留 2 位小数（精确到分），现在是 65000.005。"]
    with pytest.raises(ValidationError) as refused:
        field.clean("0")
    assert refused.value.messages == ["预算金额不能小于 0.01。"]
    with pytest.raises(ValidationError) as refused:
        field.clean("")
    assert refused.value.messages == ["请填写预算金额。"]
