"""Check your answers: the validated data of a consequential action, signed, carried to a second POST.

The first POST validates the form and renders a confirmation page carrying ``confirmation_token``; the
second posts it back with ``ConfirmationForm``, which refuses a token that is stale (older than
``ZJCS_CONFIRM_MAX_AGE`` seconds), tampered with, made for another action or for another user — with a
message for people, and nothing done.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from marketplace.forms import PlainForm

DEFAULT_MAX_AGE = 30 * 60
TAMPERED = _("确认信息已失效或被改动，未执行任何操作。请重新填写并确认。")


def confirm_max_age() -> int:
    return int(getattr(settings, "ZJCS_CONFIRM_MAX_AGE", DEFAULT_MAX_AGE))


def confirmation_token(*, purpose: str, user, data: dict[str, Any]) -> str:
    """``data`` (JSON-serialisable) signed for ``user`` and this ``purpose``, stamped now."""
    return signing.dumps({"u": user.pk, "d": data}, salt=f"zjcs.confirm.{purpose}", compress=True)


class ConfirmationForm(PlainForm):
    """The second POST of a confirmation page: the signed data back, ``cleaned_data["payload"]`` once checked."""

    # Long enough for the longest answers signed (4,000 characters of facts, escaped and compressed).
    confirmation = forms.CharField(widget=forms.HiddenInput, max_length=200_000)

    def __init__(self, *args, purpose: str, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.purpose, self.user = purpose, user

    def problems(self) -> list[str]:
        """Why the confirmation was refused, in words for people (after ``is_valid()`` said no)."""
        return [str(error) for error in self.non_field_errors()] or [str(TAMPERED)]

    def clean(self):
        data = super().clean()
        if "confirmation" in self._errors:
            del self._errors["confirmation"]
            raise forms.ValidationError(_("确认信息缺失，未执行任何操作。请重新填写并确认。"), code="missing")
        try:
            payload = signing.loads(
                data["confirmation"], salt=f"zjcs.confirm.{self.purpose}", max_age=confirm_max_age()
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("确认页已过期（超过 %(minutes)s 分钟未提交），未执行任何操作。请核对后重新确认。"),
                code="stale",
                params={"minutes": confirm_max_age() // 60},
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(TAMPERED, code="tampered") from None
        if payload.get("u") != self.user.pk:
            raise forms.ValidationError(
                _("确认信息已失效或被改动，未执行任何操作。请重新填写并确认。"), code="tampered"
            )
        data["payload"] = payload["d"]
        return data
