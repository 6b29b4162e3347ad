"""The demo clock's steps: who moved the demo's time forward, when and by how much (demo mode only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoClockStep(models.Model):
    """One step of the demo clock forward; the newest row's offset is the time every demo process applies."""

    class Step(models.TextChoices):
        HOUR = "hour", _("一小时")
        DAY = "day", _("一天")
        WEEK = "week", _("一周")
        DEADLINE = "deadline", _("到下一个期限")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("操作人"))
    step = models.CharField(_("前进"), max_length=10, choices=Step.choices)
    seconds = models.PositiveBigIntegerField(_("前进秒数"))
    offset_seconds = models.PositiveBigIntegerField(_("累计前进秒数"))
    demo_from = models.DateTimeField(_("演示时间（前进前）"))
    demo_to = models.DateTimeField(_("演示时间（前进后）"))

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("演示时钟前进记录")
        verbose_name_plural = _("演示时钟前进记录")

    def __str__(self) -> str:
        return f"{self.get_step_display()} → {self.demo_to:%Y-%m-%d %H:%M}"
