"""Risk flags (风险提示): patterns in the marketplace's own records a supervisor should look at.

A flag is a prompt to look, never a finding: it records nothing on the ledger and orders no measure. The
scan (``services.risk.risk_flags_scan``) upserts flags by a stable key, so a re-run adds nothing twice; a
supervisor in scope dismisses one with a reason or opens a credit case from it, through the runner.
Definitions, thresholds and innocent look-alikes: ``docs/risk-flags.md``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.models import Agency, BuyerUnit, Region, ServiceCategory, SupervisorProfile
from marketplace.selectors import supervisor_scope_q

from .. import permissions as perm
from ..gating import exempt
from .credit import CreditCase
from .procurement import Project


class RiskFlag(FSMModelMixin, models.Model):
    """One risk pattern found in the records, about agencies, a buyer unit and/or a project."""

    class Kind(models.TextChoices):
        SINGLE_BIDDER = "single_bidder", _("单一有效报名")
        CO_BIDDING = "co_bidding", _("固定组合共同报名")
        ROTATION = "rotation", _("固定组合轮流中选")
        QUOTES_CEILING = "quotes_ceiling", _("报价集中于上限")
        QUOTES_EQUAL = "quotes_equal", _("报价雷同")
        DIRECT_CONCENTRATION = "direct_concentration", _("直接选取集中于同一机构")
        SHARED_IDENTITY = "shared_identity", _("机构联系电话或地址相同")
        RELAUNCHES = "relaunches", _("反复流标、终止后重新发起")
        DELIVERY = "delivery", _("逾期提交成果和退回整改集中")

    class State(models.TextChoices):
        OPEN = "open", _("待核查")
        DISMISSED = "dismissed", _("已排除")
        CASE_OPENED = "case_opened", _("已立案")

    kind = models.CharField(_("风险类型"), max_length=24, choices=Kind.choices, db_index=True)
    key = models.CharField(max_length=200, unique=True)  # the pattern's identity: a re-run finds the same key
    state = FSMField(_("状态"), default=State.OPEN, choices=State.choices, protected=True, db_index=True)
    agencies = models.ManyToManyField(Agency, blank=True, related_name="risk_flags", verbose_name=_("涉及机构"))
    buyer = models.ForeignKey(
        BuyerUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags", verbose_name=_("采购人")
    )
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags")
    # The scope of a flag that names no agency: the buyer unit's region and the projects' category.
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ServiceCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence = models.JSONField(default=dict)
    detected_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)  # the last scan that found the pattern
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(_("排除理由"), blank=True)
    case = models.ForeignKey(CreditCase, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_flags")

    class Meta:
        ordering = ["-detected_at", "-pk"]
        indexes = [models.Index(fields=["state", "kind", "-detected_at"])]
        verbose_name = _("风险提示")
        verbose_name_plural = _("风险提示")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @staticmethod
    def scope_q(profile: SupervisorProfile | None) -> Q:
        """Flags a supervisor may see: any agency named lies in its scope; a flag naming no agency, by the
        buyer unit's region and the projects' category."""
        if profile is None:
            return Q(pk__in=[])
        links = RiskFlag.agencies.through.objects.filter(riskflag_id=OuterRef("pk"))
        in_scope = links.filter(agency_id__in=Agency.objects.filter(supervisor_scope_q(profile)).values("pk"))
        no_agency = Q(~Exists(links))
        if not profile.all_regions:
            no_agency &= Q(region__in=profile.regions.all())
        if not profile.all_categories:
            no_agency &= Q(category__in=profile.categories.all())
        return Q(Exists(in_scope)) | no_agency

    @transition(
        field=state,
        source=State.OPEN,
        target=State.DISMISSED,
        permission=perm.supervisor_of_flag,
        custom=exempt("a risk flag is a prompt to look, not a credit step: dismissing it records nothing"),
    )
    def dismiss(self, *, at: datetime.datetime, user, reason: str) -> None:
        """The supervisor found an innocent explanation and says which."""
        self.decided_at, self.decided_by, self.dismiss_reason = at, user, reason

    @transition(
        field=state,
        source=State.OPEN,
        target=State.CASE_OPENED,
        permission=perm.supervisor_of_flag,
        custom=exempt("a risk flag is a prompt to look, not a credit step: the case it opens goes through due process"),
    )
    def open_case(self, *, at: datetime.datetime, user, case: CreditCase) -> None:
        """The supervisor opened a credit case (立案) on what the flag shows."""
        self.decided_at, self.decided_by, self.case = at, user, case
