"""The approval window of a measure notice: the form (the moderator's confirmation that a measure already over
may still be published) and the check the task makes whatever the form said.

Imported by ``cms.models`` inside the task's methods; it imports nothing of the project's, and Wagtail only
inside its functions (the models module is loaded while Wagtail loads its own).
"""

from __future__ import annotations

from typing import Any


def measure_ended_on(page: Any, today: Any = None) -> Any:
    """The day a measure notice's measure ended, when it ended before ``today``; None while it runs (or has no end)."""
    import datetime

    from django.utils import timezone

    payload = getattr(page, "payload", None) or {}
    ends = payload.get("ends_at") or ""
    if not payload.get("agency") or not ends:
        return None
    try:
        ended = datetime.date.fromisoformat(str(ends)[:10])
    except ValueError:
        return None
    return ended if ended < (today or timezone.localdate()) else None


def moderation_form_class() -> Any:
    """The approval form: Wagtail's comment, and the moderator's confirmation that a measure already over may go out."""
    from django import forms
    from django.utils.translation import gettext_lazy as _
    from wagtail.forms import TaskStateCommentForm

    class NoticeModerationForm(TaskStateCommentForm):
        confirm_ended = forms.BooleanField(
            label=_("我已知悉该措施已经结束，仍予发布"),
            required=False,
            help_text=_("措施已结束的公告仍会作为信用记录公示；仅在确有必要时发布。"),
        )
        # The day the measure ended, set by the moderation window when it has (the task checks again).
        measure_ended = forms.CharField(required=False, widget=forms.HiddenInput)

        def clean(self):
            data = super().clean()
            if data.get("measure_ended") and not data.get("confirm_ended"):
                self.add_error(
                    "confirm_ended",
                    _("该措施已于 %(date)s 结束；确需发布的，请勾选确认。") % {"date": data["measure_ended"]},
                )
            data.pop("measure_ended", None)
            return data

    return NoticeModerationForm


def ended_refusal(ended: Any) -> str:
    """Why an approval of a measure that already ended was not carried out."""
    from django.utils.translation import gettext as _

    return _("该措施已于 %(date)s 结束。请在审核窗口中查看公告并勾选确认后再发布。") % {"date": ended.isoformat()}
