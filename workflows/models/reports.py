"""The monthly operations report (运营报告): one archived row per calendar month."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReport(models.Model):
    """The figures of one calendar month as computed when the report was generated, kept as they were.

    ``figures`` is the JSON of ``selectors.reports.report_figures`` (amounts as decimal strings). Generated
    once per month by the beat task on the first working day of the next month (or by ``manage.py
    monthly_report``); generating a month again returns the archived row unless asked to replace it.
    """

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    figures = models.JSONField(_("数据"))
    generated_at = models.DateTimeField(_("生成时间"))

    class Meta:
        ordering = ["-month"]
        verbose_name = _("月度运营报告")
        verbose_name_plural = _("月度运营报告")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
