"""The credit reports issued to agencies: what each stated, and the digest of the PDF that stated it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CreditReport"]


class CreditReport(models.Model):
    """One issued credit report (信用报告): the agency, when, the SHA-256 of the PDF handed over, and the
    canonical JSON of the facts it states (with that JSON's own SHA-256, printed on the PDF).

    Written once when the agency downloads the report and never changed: anyone holding the PDF can check it
    on the public verification page against this row.
    """

    id = models.UUIDField(_("报告编号"), primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey("marketplace.Agency", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("生成时间"))
    pdf_sha256 = models.CharField(_("PDF 文件 SHA-256"), max_length=64, unique=True)
    facts_sha256 = models.CharField(_("报告内容 SHA-256"), max_length=64, unique=True)
    facts = models.TextField(_("报告内容（规范 JSON）"))

    class Meta:
        verbose_name = _("信用报告")
        verbose_name_plural = _("信用报告")
        ordering = ["-generated_at"]
        indexes = [models.Index(fields=["agency", "-generated_at"], name="opendata_report_agency_idx")]

    def __str__(self) -> str:
        return str(self.id)
