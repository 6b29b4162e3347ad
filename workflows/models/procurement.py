"""Procurement: the buyer's project (采购项目), its qualification requirements and avoid list, its code counter."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.dbops import ShortGrams
from marketplace.models import Agency

from .. import permissions as perm
from ..gating import exempt, gated


class CodeCounter(models.Model):
    """Per-year counter behind project codes (ZJCS-2026-000123), taken under a row lock."""

    year = models.PositiveSmallIntegerField(unique=True)
    value = models.PositiveIntegerField(default=0)


class Project(FSMModelMixin, models.Model):
    """A buyer's purchase of an intermediary service (采购项目), from posting to closing."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING_REVIEW = "pending_review", _("待审核")
        RETURNED = "returned", _("退回修改")
        OPEN = "open", _("报名中")
        SELECTING = "selecting", _("选取中")
        AWARDED = "awarded", _("结果公示中")
        CONTRACTING = "contracting", _("签约中")
        IN_SERVICE = "in_service", _("服务中")
        RESULT_SUBMITTED = "result_submitted", _("成果待验收")
        ACCEPTED = "accepted", _("已验收")
        RATED = "rated", _("已评价")
        CLOSED = "closed", _("已完结")
        CANCELLED = "cancelled", _("已终止")
        DISCARDED = "discarded", _("已放弃（未发布）")
        FAILED = "failed", _("流标")

    class Method(models.TextChoices):
        DIRECT = "direct", _("直接选取")
        DRAW = "draw", _("随机抽取")
        PRICE = "price", _("竞价选取")
        SCORED = "scored", _("比选")

    class QuoteKind(models.TextChoices):
        AMOUNT = "amount", _("报价金额（元）")
        RATE = "rate", _("下浮率（%）")

    class QualificationMode(models.TextChoices):
        ANY = "any", _("具备其一")
        ALL = "all", _("全部具备")

    EDITABLE = (State.DRAFT, State.RETURNED)
    LIVE = (
        State.OPEN,
        State.SELECTING,
        State.AWARDED,
        State.CONTRACTING,
        State.IN_SERVICE,
        State.RESULT_SUBMITTED,
        State.ACCEPTED,
    )

    code = models.CharField(_("项目编号"), max_length=40, unique=True)
    buyer = models.ForeignKey("marketplace.BuyerUnit", on_delete=models.PROTECT, related_name="projects")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = FSMField(_("状态"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    name = models.CharField(_("项目名称"), max_length=200)
    category = models.ForeignKey("marketplace.ServiceCategory", on_delete=models.PROTECT, verbose_name=_("服务事项"))
    content = models.TextField(_("服务内容"))
    scale = models.CharField(_("项目规模"), max_length=200, blank=True)
    budget = models.DecimalField(_("预算金额（元）"), max_digits=14, decimal_places=2)
    qualification_mode = models.CharField(
        _("资质要求方式"), max_length=4, choices=QualificationMode.choices, default=QualificationMode.ANY
    )
    quote_kind = models.CharField(_("报价方式"), max_length=6, choices=QuoteKind.choices, default=QuoteKind.AMOUNT)
    quote_floor = models.DecimalField(_("报价下限"), max_digits=14, decimal_places=2)
    quote_ceiling = models.DecimalField(_("报价上限"), max_digits=14, decimal_places=2)
    method = models.CharField(_("选取方式"), max_length=8, choices=Method.choices)
    min_signups = models.PositiveSmallIntegerField(_("最少有效报名数"), default=3)
    direct_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("直接选取机构")
    )
    direct_reason = models.TextField(_("直接选取理由"), blank=True)
    weight_price = models.PositiveSmallIntegerField(_("价格权重"), default=0)
    weight_credit = models.PositiveSmallIntegerField(_("信用权重"), default=0)
    weight_proposal = models.PositiveSmallIntegerField(_("方案权重"), default=0)
    # verifiable draw, version 1 (docs/draw.md); the secret is revealed only in the proof
    draw_secret = models.CharField(max_length=64, blank=True)
    draw_commitment = models.CharField(_("抽取承诺值"), max_length=64, blank=True)
    draw_beacon = models.CharField(_("公开随机信标"), max_length=200, blank=True)
    draw_proof = models.JSONField(null=True, blank=True)
    # periods: stored on the row from the defaults, moved by the deadline sweep
    signup_days = models.PositiveSmallIntegerField(_("报名期（工作日）"), default=5)
    publicity_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=3)
    contract_days = models.PositiveSmallIntegerField(_("签约期限（日）"), default=10)
    service_days = models.PositiveSmallIntegerField(_("服务期限（日）"), default=30)
    rating_days = models.PositiveSmallIntegerField(_("评价期限（日）"), default=15)
    payment_days = models.PositiveSmallIntegerField(_("付款期限（日）"), default=30)
    signup_deadline = models.DateTimeField(_("报名截止时间"), null=True, blank=True, db_index=True)
    publicity_ends_at = models.DateTimeField(_("公示截止时间"), null=True, blank=True, db_index=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    cancel_reason = models.TextField(_("终止原因"), blank=True)
    relaunch_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="relaunches")
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("采购项目")
        verbose_name_plural = _("采购项目")
        indexes = [
            models.Index(fields=["state", "signup_deadline"]),
            models.Index(fields=["state", "publicity_ends_at"]),
            # The public project search's order, newest first (PostgreSQL only: SQLite has no NULLS LAST in an index).
            models.Index(F("published_at").desc(nulls_last=True), F("id").desc(), name="project_published"),
            # Its search by name or code (any part): pg_trgm on PostgreSQL only (marketplace.dbops).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="project_name_trgm"),
            GinIndex(OpClass(Upper("code"), name="gin_trgm_ops"), name="project_code_trgm"),
            # A name search of one or two characters (no trigram in it): the name's characters and pairs.
            GinIndex(ShortGrams(Upper("name")), name="project_name_grams"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @transition(
        field=state,
        source=[State.DRAFT, State.RETURNED],
        target=State.PENDING_REVIEW,
        permission=perm.buyer_staff,
        custom=exempt(
            "buyers are government units: their credit (政务诚信) is recorded and published, never a bar to buying"
        ),
    )
    def submit(self, *, at: datetime.datetime) -> None:
        """The buyer sends the project for the operator's review."""
        self.submitted_at = at
        self.review_note = ""

    @transition(
        field=state,
        source=State.PENDING_REVIEW,
        target=State.RETURNED,
        permission=perm.operator,
        custom=exempt("the operator's review of the project's terms"),
    )
    def send_back(self, *, note: str) -> None:
        """The operator returns the project with what to change."""
        self.review_note = note

    @transition(
        field=state,
        source=State.PENDING_REVIEW,
        target=State.OPEN,
        permission=perm.operator,
        custom=exempt("the operator's review of the project's terms"),
    )
    def publish(
        self, *, at: datetime.datetime, signup_deadline: datetime.datetime, secret_hex: str, commitment: str
    ) -> None:
        """The operator publishes: sign-up opens; the draw commitment is fixed now."""
        self.published_at = at
        self.signup_deadline = signup_deadline
        self.draw_secret = secret_hex
        self.draw_commitment = commitment

    @transition(
        field=state,
        source=State.OPEN,
        target=State.SELECTING,
        permission=perm.system,
        custom=exempt("the deadline passed; each sign-up in the pool is gated at signup.admit"),
    )
    def close_signup(self) -> None:
        """The sign-up deadline passed: the pool is checked and frozen."""

    @transition(
        field=state,
        source=[
            State.OPEN,
            State.SELECTING,
            State.AWARDED,
            State.CONTRACTING,
            State.IN_SERVICE,
            State.RESULT_SUBMITTED,
        ],
        target=State.FAILED,
        permission=perm.system,
        custom=exempt(
            "too few eligible sign-ups or no alternate left: a fact about the pool; or the buyer left the contract"
            " unsigned past its extended deadline, which its own record (政务诚信) shows"
        ),
    )
    def fail(self, *, at: datetime.datetime, reason: str) -> None:
        """Fewer eligible sign-ups than the method needs, no eligible alternate left, the win revoked once
        the service had begun, or the contract left unsigned by the buyer past its extended deadline (流标);
        the buyer may relaunch."""
        self.closed_at = at
        self.cancel_reason = reason

    @transition(
        field=state,
        source=State.SELECTING,
        target=State.AWARDED,
        permission=perm.any_of(perm.system, perm.buyer_staff),
        custom=exempt("the declared method's result; the winner itself is gated at signup.select"),
    )
    def award(self, *, at: datetime.datetime, publicity_ends_at: datetime.datetime, proof: dict | None = None) -> None:
        """The declared method picked the winner; the result is public for the publicity period."""
        self.awarded_at = at
        self.publicity_ends_at = publicity_ends_at
        if proof is not None:
            self.draw_proof = proof

    @transition(
        field=state,
        source=State.AWARDED,
        target=State.CONTRACTING,
        permission=perm.any_of(perm.system, perm.buyer_staff),
        custom=gated("selection", subject="winner"),
    )
    def confirm_winner(self) -> None:
        """Publicity ended with the winner's confirmation: contracting starts."""

    @transition(
        field=state,
        source=State.CONTRACTING,
        target=State.AWARDED,
        permission=perm.system,
        custom=exempt("the next alternate steps up; it is gated at signup.select"),
    )
    def reopen_award(self, *, at: datetime.datetime, publicity_ends_at: datetime.datetime) -> None:
        """The winner was revoked or declined: the alternate steps up with its own publicity."""
        self.awarded_at = at
        self.publicity_ends_at = publicity_ends_at

    @transition(
        field=state,
        source=State.CONTRACTING,
        target=State.IN_SERVICE,
        permission=perm.system,
        custom=exempt("mirrors the contract signed at engagement.sign, which is gated"),
    )
    def start_service(self) -> None:
        """The contract is signed and the service runs."""

    @transition(
        field=state,
        source=State.IN_SERVICE,
        target=State.RESULT_SUBMITTED,
        permission=perm.system,
        custom=exempt("mirrors the result submitted at engagement.submit_result, which is gated"),
    )
    def result_in(self) -> None:
        """The agency submitted its result."""

    @transition(
        field=state,
        source=State.RESULT_SUBMITTED,
        target=State.IN_SERVICE,
        permission=perm.system,
        custom=exempt("mirrors the buyer's review of the result"),
    )
    def rework(self) -> None:
        """The buyer returned the result for rework."""

    @transition(
        field=state,
        source=State.RESULT_SUBMITTED,
        target=State.ACCEPTED,
        permission=perm.system,
        custom=exempt("mirrors the buyer's acceptance"),
    )
    def accept(self) -> None:
        """The buyer accepted the result."""

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.RATED,
        permission=perm.system,
        custom=exempt("mirrors the engagement's rating"),
    )
    def rate(self) -> None:
        """The buyer rated the service (or the rating window closed)."""

    @transition(
        field=state,
        source=[State.RATED, State.IN_SERVICE, State.CONTRACTING],
        target=State.CLOSED,
        permission=perm.system,
        custom=exempt("rated and paid, or the service was terminated: the project is complete"),
    )
    def close(self, *, at: datetime.datetime) -> None:
        """Rated and paid (or the service was terminated): the project is complete."""
        self.closed_at = at

    def publicity_over_at(self, at: datetime.datetime) -> bool:
        """The result publicity (公示) has ended by ``at`` (a project without one has nothing to wait for)."""
        return self.publicity_ends_at is None or at >= self.publicity_ends_at

    @transition(
        field=state,
        source=[State.OPEN, State.SELECTING, State.AWARDED],
        target=State.CANCELLED,
        permission=perm.buyer_staff,
        custom=exempt("the buyer ends its own project with a published reason"),
    )
    def cancel(self, *, at: datetime.datetime, reason: str) -> None:
        """The buyer ends a published project with a published reason (终止)."""
        self.closed_at = at
        self.cancel_reason = reason

    @transition(
        field=state,
        source=[State.DRAFT, State.RETURNED, State.PENDING_REVIEW],
        target=State.DISCARDED,
        permission=perm.buyer_staff,
        custom=exempt("the buyer drops its own unpublished draft: nothing was published, no agency is affected"),
    )
    def discard(self, *, at: datetime.datetime) -> None:
        """The buyer drops a project never published (放弃草稿): no notice, no reason to publish."""
        self.closed_at = at


class ProjectQualification(models.Model):
    """A qualification the project requires, with the minimum level (rank 1 is highest)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="requirements")
    qualification_type = models.ForeignKey("marketplace.QualificationType", on_delete=models.PROTECT)
    min_level = models.ForeignKey("marketplace.QualificationLevel", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "qualification_type"], name="uniq_project_requirement")
        ]


class AvoidEntry(models.Model):
    """An agency the buyer asks to keep out of the project (回避), with the reason."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="avoid_list")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("回避理由"), max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "agency"], name="uniq_project_avoid")]
