"""A deployment's own basis per code, as policy data (a model of this app; ``models`` re-exports it).

The shipped policy cites national documents only (``citations.py``). The province's or city's
marketplace measures a deployment works under are entered in the back office, per rule code
(``CR-…``), catalogue code or measure code (``MEASURE_…``), with each policy version, and shown
after the national basis wherever a basis is shown. Published versions are frozen.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class LocalBasis(models.Model):
    """The local basis of one rule, catalogue or measure code in a policy version."""

    policy = models.ForeignKey("credit_rules.PolicyVersion", on_delete=models.CASCADE, related_name="local_bases")
    code = models.CharField(_("规则或事项代码"), max_length=40)
    text = models.TextField(_("本地依据"), help_text=_("本地中介超市管理办法的名称、文号及条款"))

    class Meta:
        app_label = "credit_rules"
        ordering = ["policy", "code"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="uniq_local_basis_code")]
        verbose_name = _("本地依据")
        verbose_name_plural = _("本地依据")

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        if self.policy.is_published:
            raise ValidationError(_("已发布的政策版本不可修改，请新建版本。"))
        super().save(*args, **kwargs)
