"""The transition log: every attempt to fire a transition, done or refused."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit_rules.models import DecisionRecord


class TransitionLog(models.Model):
    """Every attempt to fire a transition: done, or refused by state, permission or credit."""

    class Outcome(models.TextChoices):
        DONE = "done", _("完成")
        REFUSED_STATE = "refused_state", _("状态不允许")
        REFUSED_PERMISSION = "refused_permission", _("无权限")
        REFUSED_CREDIT = "refused_credit", _("信用审查未通过")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    decision = models.ForeignKey(DecisionRecord, null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")

    def __str__(self) -> str:
        return f"{self.transition}: {self.from_state} → {self.to_state} ({self.outcome})"
