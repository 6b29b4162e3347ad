"""Forms of the agency's pages: the entry application, qualifications, objections, repairs, case responses."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.fields import BoundedDateField
from marketplace.forms import LicenceField, PlainForm
from marketplace.models import QualificationLevel, QualificationType, ServiceCategory
from marketplace.validators import validate_document_upload

DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """Leaf service categories labelled with their group, so 评估 · 房地产估价 reads at a glance."""

    def label_from_instance(self, obj: ServiceCategory) -> str:
        parent = obj.parent
        return f"{parent.label} · {obj.label}" if parent is not None else obj.label


class ApplicationForm(PlainForm):
    """The entry application while it is filled in: statement, categories, and the commitment to sign."""

    statement = forms.CharField(
        label=_("服务承诺与业务说明"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("简述本机构的主营业务、执业人员与服务承诺。"),
    )
    categories = CategoryChoiceField(
        label=_("申请入驻的服务事项"),
        required=False,
        queryset=ServiceCategory.objects.filter(parent__isnull=False).select_related("parent"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("需要资质的服务事项，须在下方登记有效的资质证书。"),
    )
    accept_commitment = forms.BooleanField(label=_("我已阅读并签署上述信用承诺书"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class LevelSelect(forms.Select):
    """Each level option carries its qualification type, so the page can offer only the chosen type's levels."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-type"] = str(instance.qualification_type_id)
        return option


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: QualificationLevel) -> str:
        return f"{obj.qualification_type.label} · {obj.label}"


class QualificationForm(PlainForm):
    """A licence (资质证书) with its scan: the level must be one of the type's, and it must still be valid."""

    qualification_type = forms.ModelChoiceField(
        label=_("资质类型"), queryset=QualificationType.objects.order_by("code"), empty_label=_("请选择")
    )
    level = LevelChoiceField(
        label=_("资质等级"),
        queryset=QualificationLevel.objects.select_related("qualification_type").order_by(
            "qualification_type__code", "rank"
        ),
        widget=LevelSelect,
        empty_label=_("请选择"),
    )
    certificate_no = forms.CharField(label=_("证书编号"), max_length=60)
    issued_by = forms.CharField(label=_("发证机关"), max_length=100)
    valid_until = BoundedDateField(label=_("有效期至"))
    document = forms.FileField(
        label=_("证书扫描件"),
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("PDF、PNG 或 JPG 文件。"),
    )

    def clean_certificate_no(self) -> str:
        return self.cleaned_data["certificate_no"].strip()

    def clean_valid_until(self):
        valid_until = self.cleaned_data["valid_until"]
        if valid_until < timezone.localdate():
            raise forms.ValidationError(_("该资质证书已过有效期，不能登记。"))
        return valid_until

    def clean(self):
        data = super().clean()
        qualification_type, level = data.get("qualification_type"), data.get("level")
        if qualification_type and level and level.qualification_type_id != qualification_type.pk:
            self.add_error("level", _("所选等级不属于该资质类型。"))
        return data


class ObjectionForm(PlainForm):
    """An objection (异议) to a ledger entry: the reason, and optionally a supporting document."""

    reason = forms.CharField(label=_("异议理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    evidence = forms.FileField(
        label=_("证明材料"),
        required=False,
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("可选；PDF、PNG 或 JPG 文件。"),
    )


class RepairForm(PlainForm):
    """A credit repair (信用修复) application: what was corrected, and the proof."""

    correction = forms.CharField(label=_("整改情况说明"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    evidence = forms.FileField(
        label=_("整改证明材料"),
        validators=[validate_document_upload],
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=_("PDF、PNG 或 JPG 文件。"),
    )


class CaseResponseForm(PlainForm):
    """The agency's statement and defence (陈述申辩) on a notified credit case."""

    response = forms.CharField(label=_("陈述申辩意见"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))


class LicenceResubmitForm(PlainForm):
    """A new business licence scan after the verification was not passed."""

    licence = LicenceField()
