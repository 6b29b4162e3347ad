"""Commitment letters are immutable once in force: what an agency signed stays what its digest proves.

Every acceptance records the SHA-256 of the letter's text (``Membership.commitment_digest``). Once a
letter is in force, or once any row refers to it, its version, title, text and effective date never
change and the row is never deleted — not by ``save``, not by a queryset's ``update`` or ``delete``.
A change of wording is a new version taking effect later than every earlier one (never
retroactively), added by the platform credit office (``admin.py``). Used by ``models.CommitmentLetter``;
this module imports no model.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FROZEN_FIELDS = ("version", "title", "body", "effective_from")


def letter_frozen_error(version) -> ValidationError:
    return ValidationError(
        _("信用承诺书 v%(v)s 已生效或已有机构签署，其文本不可修改或删除；修改须新建版本并设定新的生效时间。"),
        code="letter_frozen",
        params={"v": version},
    )


class CommitmentLetterQuerySet(models.QuerySet):
    """Bulk writes meet the same rule as ``save``: a letter in force keeps its wording and its row."""

    def update(self, **kwargs):
        if set(FROZEN_FIELDS) & kwargs.keys():
            frozen = self.filter(effective_from__lte=timezone.now()).values_list("version", flat=True).first()
            if frozen is not None:
                raise letter_frozen_error(frozen)
        return super().update(**kwargs)

    def delete(self):
        frozen = self.filter(effective_from__lte=timezone.now()).values_list("version", flat=True).first()
        if frozen is not None:
            raise letter_frozen_error(frozen)
        return super().delete()


class ImmutableOnceInForce:
    """``save``, ``delete`` and ``clean`` of a commitment letter (mixed into the model)."""

    pk: int | None
    version: int
    effective_from: datetime.datetime | None
    _meta: models.options.Options
    _state: models.base.ModelState

    def is_frozen(self) -> bool:
        """Whether the stored letter is in force or referred to by any row (a membership that accepted it)."""
        if self.pk is None:
            return False
        manager = type(self)._base_manager  # type: ignore[attr-defined]
        stored = manager.filter(pk=self.pk).values_list("effective_from", flat=True).first()
        if stored is not None and stored <= timezone.now():
            return True
        return any(
            rel.related_model._base_manager.filter(**{rel.field.name: self.pk}).exists()  # type: ignore[union-attr]
            for rel in self._meta.related_objects
        )

    def clean(self) -> None:
        """A new version takes effect from now on, after every earlier version: never retroactively."""
        super().clean()  # type: ignore[misc]
        if not self._state.adding or self.effective_from is None:
            return
        errors = {}
        if self.effective_from < timezone.now() - datetime.timedelta(minutes=5):
            errors["effective_from"] = _("新版本的生效时间不得早于当前时间：已签署的承诺书不得被追溯替换。")
        manager = type(self)._base_manager  # type: ignore[attr-defined]
        latest = manager.order_by("-effective_from").values_list("effective_from", flat=True).first()
        if latest is not None and self.effective_from <= latest:
            errors["effective_from"] = _("新版本的生效时间须晚于现有各版本。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if not self._state.adding and self.is_frozen():
            fields = kwargs.get("update_fields") or FROZEN_FIELDS
            manager = type(self)._base_manager  # type: ignore[attr-defined]
            stored = manager.filter(pk=self.pk).values(*FROZEN_FIELDS).first() or {}
            if any(f in FROZEN_FIELDS and stored.get(f) != getattr(self, f) for f in fields):
                raise letter_frozen_error(stored.get("version", self.version))
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args, **kwargs):
        if self.is_frozen():
            raise letter_frozen_error(self.version)
        return super().delete(*args, **kwargs)  # type: ignore[misc]
