"""The public notice list's search and filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.fields import BoundedDateField
from marketplace.forms import PlainForm
from marketplace.validators import normalise_uscc, uscc_problem

from .selectors import CREDIT_KINDS, NoticeFilters


class NoticeFilterForm(PlainForm):
    """Search and filters of a notice list (all optional; a bad value is reported and ignored)."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    date_from = BoundedDateField(label=_("发布日期（起）"), required=False)
    date_to = BoundedDateField(label=_("发布日期（止）"), required=False)
    uscc = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=40)
    archive = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kind: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind and kind not in CREDIT_KINDS:
            del self.fields["uscc"]  # project notices name no single agency to filter by

    def clean_uscc(self) -> str:
        value = normalise_uscc(self.cleaned_data.get("uscc") or "")
        if value:
            problem = uscc_problem(value)
            if problem:
                raise forms.ValidationError(problem)
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data

    def filters(self) -> NoticeFilters:
        """The valid part of the query as selector filters (``is_valid`` has run, or the form is unbound)."""
        data = getattr(self, "cleaned_data", {})
        return NoticeFilters(
            kind=self.kind,
            q=(data.get("q") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            uscc=data.get("uscc") or "",
            archive=bool(data.get("archive")),
        )
