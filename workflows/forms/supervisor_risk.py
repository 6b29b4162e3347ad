"""Forms of the supervisor's risk flag page: dismissing a flag with a reason, opening a case from it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm
from marketplace.models import Agency, SupervisorProfile

from .supervisor import CaseForm


class DismissForm(PlainForm):
    """Dismiss a flag: which innocent explanation the supervisor found."""

    reason = forms.CharField(
        label=_("排除理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明核查后认定无需立案的理由，例如该服务事项本地仅有少数具备资质的机构。"),
        error_messages={"required": _("请填写排除理由。")},
    )


class RiskCaseForm(CaseForm):
    """Open a case (立案) on what a flag shows: against one of the agencies it names, in the supervisor's scope."""

    def __init__(self, *args, profile: SupervisorProfile, agencies: list[Agency], **kwargs):
        super().__init__(*args, profile=profile, **kwargs)
        del self.fields["evidence"]  # the flag's evidence is the case's: no upload crosses the confirmation page
        self.agency_by_uscc = {a.uscc: a for a in agencies}
        self.fields["agency"] = forms.ChoiceField(
            label=_("对象机构"),
            choices=[(a.uscc, f"{a.name} · {a.uscc}") for a in agencies],
            error_messages={"required": _("请选择对象机构。")},
        )

    def clean_agency(self) -> Agency:
        agency = self.agency_by_uscc.get(self.cleaned_data["agency"])
        if agency is None:
            raise forms.ValidationError(_("请选择该风险提示涉及、且在您监管范围内的机构。"), code="not_found")
        return agency
