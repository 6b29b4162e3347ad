"""Forms of the buyer's pages: the project (with its requirement and avoid rows) and each step's action.

The forms check what a single field can know (numbers, ranges, which agency a USCC names, that a
level belongs to its type); the rules that tie fields together (band, budget, method, weights) are
the service's (``project_problems``), whose errors the view puts back on the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.forms import MoneyField, PlainForm, USCCField
from marketplace.models import Agency, QualificationLevel, QualificationType, ServiceCategory
from marketplace.personal_data import validate_public_text

from ..models import Project
from ..selectors.buyer import admitted_agency_by_text, agency_by_uscc
from ..services.procurement.projects import DEFAULT_MIN_SIGNUPS, Avoid, Requirement

# Radio choices side by side (styled by the buyer templates).
INLINE_RADIOS = forms.RadioSelect(attrs={"class": "inline-choices"})
PERIOD_FIELDS = ("signup_days", "publicity_days", "contract_days", "service_days", "rating_days", "payment_days")
WEIGHT_FIELDS = ("weight_price", "weight_credit", "weight_proposal")


def period_default(name: str) -> int:
    """The default length of a period, as the model declares it."""
    field = cast(models.Field, Project._meta.get_field(name))
    return int(field.default)


@dataclass(frozen=True)
class Catalogue:
    """Categories, qualification types and levels, loaded once for every row of the project form."""

    category_groups: list[tuple[str, list[tuple[int, str]]]]
    types: dict[int, QualificationType]
    levels: dict[int, QualificationLevel]
    type_categories: dict[int, frozenset[int]]

    @classmethod
    def load(cls, category_groups, types: list[QualificationType]) -> Catalogue:
        return cls(
            category_groups=category_groups,
            types={t.pk: t for t in types},
            levels={lv.pk: lv for t in types for lv in t.levels.all()},
            type_categories={t.pk: frozenset(c.pk for c in t.categories.all()) for t in types},
        )

    def type_choices(self, category_id: int | None) -> list:
        """Types that apply to the chosen category first, then all the others."""
        blank = [("", _("请选择资质类型"))]
        if not category_id:
            return blank + [(t.pk, t.label) for t in self.types.values()]
        relevant = [(t.pk, t.label) for t in self.types.values() if category_id in self.type_categories[t.pk]]
        others = [(t.pk, t.label) for t in self.types.values() if category_id not in self.type_categories[t.pk]]
        groups = []
        if relevant:
            groups.append((str(_("适用于所选服务事项")), relevant))
        if others:
            groups.append((str(_("其他资质类型")), others))
        return blank + groups

    def level_choices(self) -> list:
        return [("", _("请选择最低等级"))] + [
            (lv.pk, f"{self.types[lv.qualification_type_id].label} · {lv.label}") for lv in self.levels.values()
        ]


class TypeSelect(forms.Select):
    """Each type option names the categories it applies to, so the page can reorder them when the category changes."""

    def __init__(self, *args, type_categories: dict[int, frozenset[int]] | None = None, **kwargs):
        self.type_categories = type_categories or {}
        super().__init__(*args, **kwargs)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value not in ("", None):
            option["attrs"]["data-categories"] = " ".join(str(c) for c in sorted(self.type_categories.get(value, ())))
        return option


class LevelSelect(forms.Select):
    """Each level option carries its type, so the page offers only the chosen type's levels."""

    def __init__(self, *args, level_types: dict[int, int] | None = None, **kwargs):
        self.level_types = level_types or {}
        super().__init__(*args, **kwargs)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value not in ("", None):
            option["attrs"]["data-type"] = str(self.level_types.get(value, ""))
        return option


class RequirementForm(PlainForm):
    """One qualification requirement: a type and the minimum level (which must be one of the type's)."""

    qualification_type = forms.TypedChoiceField(label=_("资质类型"), coerce=int, required=False, empty_value=None)
    min_level = forms.TypedChoiceField(label=_("最低等级"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, catalogue: Catalogue, category_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        type_field = cast(forms.ChoiceField, self.fields["qualification_type"])
        type_field.choices = catalogue.type_choices(category_id)
        type_field.widget = TypeSelect(choices=type_field.choices, type_categories=catalogue.type_categories)
        level_field = cast(forms.ChoiceField, self.fields["min_level"])
        level_field.choices = catalogue.level_choices()
        level_field.widget = LevelSelect(
            choices=level_field.choices,
            level_types={pk: lv.qualification_type_id for pk, lv in catalogue.levels.items()},
        )
        for field in self.fields.values():  # rows sit in a table: the column header is the visual label
            field.widget.attrs["aria-label"] = str(field.label)

    def clean(self):
        data = super().clean()
        type_id, level_id = data.get("qualification_type"), data.get("min_level")
        if type_id is None and level_id is None:
            return data
        if type_id is None:
            self.add_error("qualification_type", _("请选择资质类型。"))
        elif level_id is None:
            self.add_error("min_level", _("请选择最低等级。"))
        elif self.catalogue.levels[level_id].qualification_type_id != type_id:
            self.add_error("min_level", _("所选等级不属于该资质类型。"))
        return data

    def requirement(self) -> Requirement | None:
        data = getattr(self, "cleaned_data", {})
        if data.get("qualification_type") is None or data.get("min_level") is None:
            return None
        return Requirement(self.catalogue.types[data["qualification_type"]], self.catalogue.levels[data["min_level"]])


class BaseRequirementFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen: set[int] = set()
        for form in self.forms:
            req = form.requirement()
            if req is None:
                continue
            if req.qualification_type.pk in seen:
                raise forms.ValidationError(_("同一资质类型只能填写一行。"))
            seen.add(req.qualification_type.pk)

    def requirements(self) -> list[Requirement]:
        return [r for r in (f.requirement() for f in self.forms) if r is not None]


RequirementFormSet = forms.formset_factory(RequirementForm, formset=BaseRequirementFormSet, extra=3, max_num=10)


class AvoidForm(PlainForm):
    """An agency to keep out of the project (回避), by USCC, with the reason."""

    uscc = USCCField(label=_("回避机构统一社会信用代码"), required=False, help_text="")
    reason = forms.CharField(label=_("回避理由"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # rows sit in a table: the column header is the visual label
            field.widget.attrs["aria-label"] = str(field.label)

    def clean(self):
        data = super().clean()
        uscc, reason = data.get("uscc") or "", (data.get("reason") or "").strip()
        if "uscc" in self.errors or (not uscc and not reason):
            return data
        if not uscc:
            self.add_error("uscc", _("请填写需回避机构的统一社会信用代码。"))
            return data
        agency = agency_by_uscc(uscc)
        if agency is None:
            self.add_error("uscc", _("平台上没有统一社会信用代码为 %(uscc)s 的机构。") % {"uscc": uscc})
            return data
        data["agency"] = agency
        if not reason:
            self.add_error("reason", _("回避的机构须填写理由。"))
        return data

    def avoid(self) -> Avoid | None:
        data = getattr(self, "cleaned_data", {})
        agency: Agency | None = data.get("agency")
        return Avoid(agency, data.get("reason") or "") if agency else None


class BaseAvoidFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen: set[int] = set()
        for form in self.forms:
            entry = form.avoid()
            if entry is None:
                continue
            if entry.agency.pk in seen:
                raise forms.ValidationError(_("同一机构只能填写一次。"))
            seen.add(entry.agency.pk)

    def entries(self) -> list[Avoid]:
        return [a for a in (f.avoid() for f in self.forms) if a is not None]


AvoidFormSet = forms.formset_factory(AvoidForm, formset=BaseAvoidFormSet, extra=2, max_num=20)


class ProjectForm(PlainForm):
    """A project as the buyer drafts it (项目信息、资质要求、报价、选取方式、期限)."""

    name = forms.CharField(label=_("项目名称"), max_length=200, validators=[validate_public_text])
    category = forms.TypedChoiceField(label=_("服务事项"), coerce=int)
    content = forms.CharField(
        label=_("服务内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[validate_public_text],
    )
    scale = forms.CharField(label=_("项目规模"), max_length=200, required=False, validators=[validate_public_text])
    budget = MoneyField(label=_("预算金额（元）"), max_digits=14, decimal_places=2)
    qualification_mode = forms.ChoiceField(
        label=_("资质要求方式"),
        choices=Project.QualificationMode.choices,
        initial=Project.QualificationMode.ANY,
        widget=INLINE_RADIOS,
        help_text=_("填写多项资质时：具备其一即可，或须全部具备。"),
    )
    quote_kind = forms.ChoiceField(
        label=_("报价方式"),
        choices=Project.QuoteKind.choices,
        initial=Project.QuoteKind.AMOUNT,
        widget=INLINE_RADIOS,
    )
    quote_floor = MoneyField(
        label=_("报价下限"),
        max_digits=14,
        decimal_places=2,
        help_text=_("低于下限的报价无效（防止恶意低价）；下浮率以 % 计。"),
    )
    quote_ceiling = MoneyField(
        label=_("报价上限"), max_digits=14, decimal_places=2, help_text=_("报价金额的上限不得高于预算金额。")
    )
    method = forms.ChoiceField(label=_("选取方式"), choices=Project.Method.choices, widget=INLINE_RADIOS)
    direct_agency = forms.CharField(
        label=_("直接选取机构"),
        max_length=200,
        required=False,
        help_text=_("已入驻机构的统一社会信用代码或全称。"),
        widget=forms.TextInput(attrs={"list": "direct-agency-options", "autocomplete": "off"}),
    )
    direct_reason = forms.CharField(
        label=_("直接选取理由"),
        max_length=2000,
        validators=[validate_public_text],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("书面说明为何不采用抽取、竞价或比选；理由随结果公示。"),
    )
    weight_price = forms.IntegerField(label=_("价格权重"), min_value=0, max_value=100, required=False)
    weight_credit = forms.IntegerField(label=_("信用权重"), min_value=0, max_value=100, required=False)
    weight_proposal = forms.IntegerField(label=_("方案权重"), min_value=0, max_value=100, required=False)
    draw_beacon = forms.CharField(
        label=_("公开随机信标（可选）"),
        max_length=200,
        required=False,
        help_text=_("报名截止前已公布的公开数值（如某期开奖号码），将参与抽取种子的计算，便于公众验证。"),
    )
    signup_days = forms.IntegerField(label=_("报名期（工作日）"), min_value=1, max_value=60)
    publicity_days = forms.IntegerField(label=_("公示期（工作日）"), min_value=1, max_value=30)
    contract_days = forms.IntegerField(label=_("签约期限（日）"), min_value=1, max_value=90)
    service_days = forms.IntegerField(label=_("服务期限（日）"), min_value=1, max_value=1095)
    rating_days = forms.IntegerField(label=_("评价期限（日）"), min_value=1, max_value=90)
    payment_days = forms.IntegerField(label=_("付款期限（日）"), min_value=1, max_value=90)
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("请选择服务事项"))] + [
            (group, choices) for group, choices in catalogue.category_groups
        ]
        for name in PERIOD_FIELDS:
            self.fields[name].initial = period_default(name)

    def clean_category(self) -> ServiceCategory:
        category = ServiceCategory.objects.filter(pk=self.cleaned_data["category"]).select_related("parent").first()
        if category is None:
            raise forms.ValidationError(_("请选择服务事项。"))
        return category

    def clean(self):
        data = super().clean()
        if data.get("method") == Project.Method.DIRECT and (data.get("direct_agency") or "").strip():
            agency, problem = admitted_agency_by_text(data["direct_agency"])
            if problem:
                self.add_error("direct_agency", problem)
            else:
                data["direct_agency_obj"] = agency
        return data

    def category_id(self) -> int | None:
        """The category chosen (bound) or stored (initial), to order the qualification types."""
        raw = self.data.get(self.add_prefix("category")) if self.is_bound else self.initial.get("category")
        if not raw:
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def service_data(self) -> dict[str, Any]:
        """The project's fields for ``project_create``/``project_update``; what the method does not use is cleared."""
        d = self.cleaned_data
        method = d["method"]
        data: dict[str, Any] = {
            "name": d["name"].strip(),
            "category": d["category"],
            "content": d["content"].strip(),
            "scale": d["scale"].strip(),
            "budget": d["budget"],
            "qualification_mode": d["qualification_mode"],
            "quote_kind": d["quote_kind"],
            "quote_floor": d["quote_floor"],
            "quote_ceiling": d["quote_ceiling"],
            "method": method,
            "min_signups": DEFAULT_MIN_SIGNUPS[method],
            "direct_agency": d.get("direct_agency_obj") if method == Project.Method.DIRECT else None,
            "direct_reason": d["direct_reason"].strip() if method == Project.Method.DIRECT else "",
            "draw_beacon": d["draw_beacon"].strip() if method in (Project.Method.DRAW, Project.Method.PRICE) else "",
            **{name: d[name] for name in PERIOD_FIELDS},
        }
        for name in WEIGHT_FIELDS:
            data[name] = (d.get(name) or 0) if method == Project.Method.SCORED else 0
        return data


def project_initial(project: Project) -> dict[str, Any]:
    """The edit form's initial values from a stored project."""
    initial = {
        name: getattr(project, name)
        for name in (
            "name",
            "content",
            "scale",
            "budget",
            "qualification_mode",
            "quote_kind",
            "quote_floor",
            "quote_ceiling",
            "method",
            "direct_reason",
            "draw_beacon",
            *WEIGHT_FIELDS,
            *PERIOD_FIELDS,
        )
    }
    initial["category"] = project.category_id
    initial["direct_agency"] = project.direct_agency.uscc if project.direct_agency else ""
    return initial
