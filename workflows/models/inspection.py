"""Credit-graded random inspections (双随机、一公开, 国办发〔2019〕35号's 分级分类监管).

A supervisor publishes an ``InspectionPlan`` over its own scope: the sample rate of each credit stratum
(policy defaults, ``credit_rules.defaults.INSPECTION_RATES``; agencies under a reward measure get the
lowest), a pool of inspectors, and the commitment to the draw's secret. The draw (``draft → drawn``) picks
the targets of each stratum and the inspector of each target by the verifiable draw (docs/draw.md); each
``InspectionTarget`` then records its result (``pending → recorded``), and the plan closes
(``drawn → closed``) once every result is in. Inspectors are natural persons: the public pages show their
department, role and code, never their names.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from credit_rules.models import LedgerEntry
from marketplace.models import Agency, Region, ServiceCategory, SupervisorProfile

from .. import permissions as perm
from ..gating import exempt

# The stratum of agencies under a reward measure (奖, the green channel): always sampled at the lowest rate.
REWARD_STRATUM = "R"


class InspectionPlan(FSMModelMixin, models.Model):
    """A published random-inspection plan (双随机抽查计划) of one supervisor, drawn once and closed with its results."""

    class State(models.TextChoices):
        DRAFT = "draft", _("待抽取")
        DRAWN = "drawn", _("已抽取")
        CLOSED = "closed", _("已完结")

    code = models.CharField(_("计划编号"), max_length=30, unique=True)
    title = models.CharField(_("计划名称"), max_length=120)
    supervisor = models.ForeignKey(SupervisorProfile, on_delete=models.PROTECT, related_name="inspection_plans")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("抽查地区"))
    category = models.ForeignKey(
        ServiceCategory, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("抽查服务事项")
    )
    period_start = models.DateField(_("检查开始日期"))
    period_end = models.DateField(_("检查结束日期"))
    # {"R": 5, "A": 5, "B": 10, "C": 20, "D": 40}: percent per stratum, fixed when the plan is published.
    rates = models.JSONField(_("各等级抽查比例"), default=dict)
    # The secret stays here, unread by any page, until the draw publishes it in the proof.
    draw_secret = models.CharField(max_length=64, editable=False)
    draw_commitment = models.CharField(_("抽取承诺值"), max_length=64)
    draw_proof = models.JSONField(null=True, blank=True, editable=False)
    # {uscc: stratum} of the frozen pool, and the inspectors' codes in their draw order.
    strata = models.JSONField(default=dict, blank=True, editable=False)
    inspector_ranking = models.JSONField(default=list, blank=True, editable=False)
    state = FSMField(_("状态"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("双随机抽查计划")
        verbose_name_plural = _("双随机抽查计划")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.DRAWN,
        permission=perm.plan_supervisor,
        custom=exempt("the supervisor's own inspection draw: no agency's credit decides whether a plan is drawn"),
    )
    def draw(self, *, at: datetime.datetime, proof: dict, strata: dict, inspector_ranking: list) -> None:
        """Draw the targets and their inspectors: the proof, the frozen strata and the inspectors' order."""
        self.drawn_at = at
        self.draw_proof = proof
        self.strata = strata
        self.inspector_ranking = inspector_ranking

    @transition(
        field=state,
        source=State.DRAWN,
        target=State.CLOSED,
        permission=perm.plan_supervisor,
        custom=exempt("closing the supervisor's own plan once every result is recorded: credit does not bar it"),
    )
    def close(self, *, at: datetime.datetime) -> None:
        """Every result is in: the plan closes and its results are published."""
        self.closed_at = at


class Inspector(models.Model):
    """One inspector of a plan's pool (执法检查人员): a supervisor account of the department, shown publicly by code."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="inspectors")
    code = models.CharField(_("检查人员编号"), max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.CharField(_("所属部门"), max_length=100)
    # Declared conflicts (回避): agencies this inspector must not inspect, besides those it is staff of.
    conflicts = models.ManyToManyField(Agency, blank=True, related_name="+", verbose_name=_("申报回避的机构"))

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="uniq_inspector_code"),
            models.UniqueConstraint(fields=["plan", "user"], name="uniq_inspector_user"),
        ]
        verbose_name = _("检查人员")
        verbose_name_plural = _("检查人员")

    def __str__(self) -> str:
        return f"{self.department} {self.code}"


class InspectionTarget(FSMModelMixin, models.Model):
    """An agency the draw picked for inspection, its inspector and, once recorded, its result."""

    class State(models.TextChoices):
        PENDING = "pending", _("待检查")
        RECORDED = "recorded", _("已录入结果")

    class Result(models.TextChoices):
        PASS = "pass", _("合格")
        RECTIFY = "rectify", _("责令整改")
        FAIL = "fail", _("不合格")

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="targets")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="inspections")
    stratum = models.CharField(_("抽查层级"), max_length=1)
    place = models.PositiveIntegerField(_("层内名次"))
    inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="targets")
    state = FSMField(_("状态"), default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    result = models.CharField(_("检查结果"), max_length=10, choices=Result.choices, blank=True)
    findings = models.TextField(_("检查发现"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["plan", "stratum", "place"]
        constraints = [models.UniqueConstraint(fields=["plan", "agency"], name="uniq_inspection_target")]
        verbose_name = _("抽查对象")
        verbose_name_plural = _("抽查对象")

    def __str__(self) -> str:
        return f"{self.plan.code} {self.agency}"

    @transition(
        field=state,
        source=State.PENDING,
        target=State.RECORDED,
        permission=perm.inspection_recorder,
        custom=exempt("recording what an inspection found: the inspected agency's credit cannot bar its inspection"),
    )
    def record(self, *, at: datetime.datetime, actor, result: str, findings: str) -> None:
        """The inspector (or the plan's supervisor) records the result and findings."""
        self.result = result
        self.findings = findings
        self.recorded_at = at
        self.recorded_by = actor
