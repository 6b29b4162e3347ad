"""An agency proves control of its USCC (身份核验) before it is listed or trades: one verification per agency.

How it is proved is the verifier's business (``workflows.identity``, chosen by ``ZJCS_IDENTITY_VERIFIER``):
the shipped one is the operator's comparison of the business licence (营业执照) scan with the registered
name, USCC and legal representative. The verdict is mirrored on ``Agency.identity_verified_at`` (set in the
verifying transition's side effect only), which the public credit pages read.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.models import Agency
from marketplace.validators import validate_document_upload

from .. import permissions as perm
from ..gating import exempt
from .uploads import licence_upload_to

# Codes of the verifications that are not a verifier's: agencies registered before verification existed.
LEGACY_METHOD = "legacy"

IDENTITY_EXEMPT = "proving control of the USCC is not a credit step; the blacklist follows the USCC at entry"


class IdentityVerification(FSMModelMixin, models.Model):
    """The proof that the registrant controls the agency's USCC: submitted, then verified or rejected."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待核验")
        VERIFIED = "verified", _("已核验")
        REJECTED = "rejected", _("核验未通过")

    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="identity")
    # The verifier's code (``workflows.identity``), or "legacy" for agencies that predate verification.
    method = models.CharField(_("核验方式"), max_length=30)
    state = FSMField(_("状态"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    licence = models.FileField(
        _("营业执照扫描件"),
        upload_to=licence_upload_to,
        blank=True,
        max_length=200,
        validators=[validate_document_upload],
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("核验人"),
    )
    decided_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    reason = models.TextField(_("未通过理由"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("身份核验")
        verbose_name_plural = _("身份核验")

    def __str__(self) -> str:
        return f"{self.agency} — {self.get_state_display()}"

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.VERIFIED,
        permission=perm.operator_or_system,
        custom=exempt(IDENTITY_EXEMPT),
    )
    def verify(self, *, at: datetime.datetime, reviewer=None) -> None:
        """The verifier found the registrant in control of the USCC (the operator, or a verifier's callback)."""
        self.decided_at = at
        self.reviewer = reviewer
        self.reason = ""

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REJECTED,
        permission=perm.operator_or_system,
        custom=exempt(IDENTITY_EXEMPT),
    )
    def reject(self, *, at: datetime.datetime, reason: str, reviewer=None) -> None:
        """The licence does not match the registered data (or is unreadable): the reason is shown to the agency."""
        self.decided_at = at
        self.reviewer = reviewer
        self.reason = reason

    @transition(
        field=state,
        source=State.REJECTED,
        target=State.SUBMITTED,
        permission=perm.agency_staff,
        custom=exempt(IDENTITY_EXEMPT),
    )
    def resubmit(self, *, at: datetime.datetime, licence) -> None:
        """The agency uploads a new licence scan after a rejection; the last reason stays in the log."""
        self.submitted_at = at
        self.licence = licence
        self.decided_at = None
        self.reviewer = None
