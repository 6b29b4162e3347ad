"""Forms of the supervisor's random-inspection pages: a plan, and a target's result."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm
from marketplace.models import Agency, Region, ServiceCategory, SupervisorProfile
from marketplace.personal_data import validate_public_text

from ..models import InspectionTarget


class InspectorChoiceField(forms.ModelMultipleChoiceField):
    """Supervisor accounts of the department, shown to the supervisor by account."""

    def label_from_instance(self, obj: SupervisorProfile) -> str:
        return f"{obj.authority} · {obj.user.get_username()}"


class PlanForm(PlainForm):
    """A random-inspection plan: scope within the supervisor's own, period, inspectors and declared conflicts."""

    title = forms.CharField(label=_("计划名称"), max_length=120, error_messages={"required": _("请填写计划名称。")})
    region = forms.ModelChoiceField(
        label=_("抽查地区"), queryset=Region.objects.none(), required=False, empty_label=_("本监管范围内全部地区")
    )
    category = forms.ModelChoiceField(
        label=_("抽查服务事项"),
        queryset=ServiceCategory.objects.none(),
        required=False,
        empty_label=_("本监管范围内全部服务事项"),
    )
    period_start = forms.DateField(
        label=_("检查开始日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写检查开始日期。")},
    )
    period_end = forms.DateField(
        label=_("检查结束日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写检查结束日期。")},
    )
    inspectors = InspectorChoiceField(
        label=_("检查人员库"),
        queryset=SupervisorProfile.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一名检查人员。")},
        help_text=_("本监管部门的执法人员；抽取时随机分配，公开页面只显示部门、角色和编号。"),
    )
    conflicts = forms.CharField(
        label=_("回避声明（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一条：检查人员账号、空格、须回避机构的统一社会信用代码。检查人员是机构员工的，自动回避。"),
    )

    def _choices(self, name: str) -> forms.ModelChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    def __init__(self, *args, profile: SupervisorProfile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        regions = Region.objects.all() if profile.all_regions else profile.regions.all()
        categories = ServiceCategory.objects.all() if profile.all_categories else profile.categories.all()
        self._choices("region").queryset = regions.order_by("code")
        self._choices("category").queryset = categories.order_by("code")
        self._choices("inspectors").queryset = (
            SupervisorProfile.objects.filter(authority=profile.authority).select_related("user").order_by("pk")
        )

    def clean_conflicts(self) -> list[tuple[SupervisorProfile, Agency]]:
        pairs = []
        for number, line in enumerate(self.cleaned_data["conflicts"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_g("第 %(n)d 行应为“账号 统一社会信用代码”。") % {"n": number})
            profile = SupervisorProfile.objects.filter(
                authority=self.profile.authority, user__username=parts[0]
            ).first()
            agency = Agency.objects.filter(uscc=parts[1].upper()).first()
            if profile is None or agency is None:
                raise forms.ValidationError(_g("第 %(n)d 行的账号或统一社会信用代码未找到。") % {"n": number})
            pairs.append((profile, agency))
        return pairs


class ResultForm(PlainForm):
    """A drawn target's inspection result; findings are published with the results."""

    result = forms.ChoiceField(
        label=_("检查结果"),
        choices=InspectionTarget.Result.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择检查结果。")},
    )
    findings = forms.CharField(
        label=_("检查发现（公开）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_public_text],
        help_text=_("责令整改或不合格的必填，将随结果公示；不得包含自然人姓名、电话、身份证号等个人信息。"),
    )
