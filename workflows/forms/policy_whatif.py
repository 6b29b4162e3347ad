"""The policy what-if's form: which draft, at which date."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit_rules.policy import policy_at
from marketplace.fields import BoundedDateField
from marketplace.forms import PlainForm


class WhatIfForm(PlainForm):
    """A draft policy version and the date at which to replay it over the ledger (default: today)."""

    version = forms.TypedChoiceField(label=_("政策草稿"), coerce=int)
    on = BoundedDateField(label=_("试算日期"), required=False, help_text=_("留空为今天（按当前时刻试算）。"))

    def __init__(self, *args, drafts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (d.version, f"v{d.version}" + (f" · {d.note}" if d.note else "")) for d in drafts
        ]

    def moment(self):
        """The moment to replay at: now for today or no date, else the start of the chosen day (local time)."""
        on = self.cleaned_data.get("on")
        now = timezone.now()
        if on is None or on == timezone.localtime(now).date():
            return now
        return timezone.make_aware(datetime.datetime.combine(on, datetime.time.min))

    def clean(self):
        data = super().clean()
        if "on" not in self._errors:
            try:
                policy_at(self.moment())
            except LookupError:
                self.add_error("on", _("该日期没有生效的信用政策，请选择较晚的日期。"))
        return data
