"""Form fields shared by every app whose bad input must never reach the database as a 500."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

# Dates the platform can mean: nothing it records or filters by lies outside these years, and a date
# near the ends of Python's range overflows when it is turned into a moment in the local time zone.
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2099, 12, 31)


class BoundedDateField(forms.DateField):
    """A date between 2000 and 2099, refused with a plain message outside them (never an overflow)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)
        self.error_messages["invalid"] = _("请输入有效的日期，例如 2026-01-31。")
        self.widget.attrs.setdefault("min", EARLIEST.isoformat())
        self.widget.attrs.setdefault("max", LATEST.isoformat())

    def validate(self, value) -> None:
        super().validate(value)
        if value and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                _("日期应在 %(earliest)s 至 %(latest)s 之间。"),
                code="out_of_range",
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )
