"""Every model with a state field. States change only through ``services.transitions.transition_run``.

Transition bodies touch only their own row; credit, notices and follow-on transitions are the
calling service's explicit side effects, inside the runner's transaction.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from credit_rules.models import CommitmentLetter, CreditSubject, DecisionRecord, LedgerEntry, MeasureKind
from marketplace.models import Agency
from marketplace.validators import validate_document_upload

from . import permissions as perm


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


class Membership(FSMModelMixin, models.Model):
    """An agency's admission to the marketplace (入驻), from application to exit (退出)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回修改")
        REJECTED = "rejected", _("不予入驻")
        ACTIVE = "active", _("正常")
        RESTRICTED = "restricted", _("限制交易")
        SUSPENDED = "suspended", _("暂停交易")
        EXPELLED = "expelled", _("已清退")
        WITHDRAWN = "withdrawn", _("已退出")

    FINAL = (State.REJECTED, State.EXPELLED, State.WITHDRAWN)
    ADMITTED = (State.ACTIVE, State.RESTRICTED, State.SUSPENDED)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    state = FSMField(_("状态"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    statement = models.TextField(_("服务承诺与业务说明"), blank=True)
    commitment = models.ForeignKey(CommitmentLetter, null=True, blank=True, on_delete=models.PROTECT)
    commitment_digest = models.CharField(max_length=64, blank=True)
    commitment_accepted_at = models.DateTimeField(null=True, blank=True)
    commitment_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    fast_tracked = models.BooleanField(_("绿色通道"), default=False)
    member_since = models.DateTimeField(_("入驻时间"), null=True, blank=True)
    term_until = models.DateField(_("入驻有效期至"), null=True, blank=True)
    suspended_until = models.DateTimeField(_("暂停至"), null=True, blank=True, db_index=True)
    resume_state = models.CharField(max_length=20, blank=True)
    barred_until = models.DateTimeField(_("禁入期至"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("入驻")
        verbose_name_plural = _("入驻")
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=~Q(state__in=["rejected", "expelled", "withdrawn"]),
                name="one_open_membership_per_agency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} — {self.get_state_display()}"

    @property
    def is_admitted(self) -> bool:
        return self.state in self.ADMITTED

    @transition(field=state, source=[State.DRAFT, State.RETURNED], target=State.SUBMITTED, permission=perm.agency_staff)
    def submit(self, *, at: datetime.datetime) -> None:
        """The agency submits its application with the accepted commitment letter."""
        self.submitted_at = at
        self.review_note = ""

    @transition(field=state, source=State.SUBMITTED, target=State.ACTIVE, permission=perm.supervisor_or_system)
    def approve(
        self, *, at: datetime.datetime, term_years: int = 3, fast_tracked: bool = False, note: str = ""
    ) -> None:
        """A supervisor (or the green channel) admits the agency."""
        self.decided_at = at
        self.member_since = self.member_since or at
        self.term_until = (timezone.localtime(at) + datetime.timedelta(days=365 * term_years)).date()
        self.fast_tracked = fast_tracked
        self.review_note = note

    @transition(field=state, source=State.SUBMITTED, target=State.RETURNED, permission=perm.supervisor_in_scope)
    def send_back(self, *, at: datetime.datetime, note: str) -> None:
        """A supervisor returns the application for changes, saying what to change."""
        self.decided_at = at
        self.review_note = note

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED, permission=perm.supervisor_in_scope)
    def reject(self, *, at: datetime.datetime, note: str) -> None:
        """A supervisor refuses entry with a reason."""
        self.decided_at = at
        self.review_note = note
        self.ended_at = at

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED],
        target=None,
        permission=perm.any_of(perm.supervisor_in_scope, perm.agency_staff, perm.system),
    )
    def renew(self, *, at: datetime.datetime, term_years: int = 3) -> None:
        """The membership term is extended (supervisor review, or green channel)."""
        base = max(self.term_until or timezone.localdate(), timezone.localtime(at).date())
        self.term_until = base + datetime.timedelta(days=365 * term_years)

    @transition(
        field=state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=RETURN_VALUE(State.RESTRICTED, State.SUSPENDED),
        permission=perm.supervisor_or_system,
    )
    def restrict(self) -> str:
        """Restrict trading (限); while suspended it takes effect when the suspension ends."""
        if self.state == self.State.SUSPENDED:
            self.resume_state = self.State.RESTRICTED
            return self.State.SUSPENDED
        return self.State.RESTRICTED

    @transition(
        field=state,
        source=[State.RESTRICTED, State.SUSPENDED],
        target=RETURN_VALUE(State.ACTIVE, State.SUSPENDED),
        permission=perm.supervisor_or_system,
    )
    def unrestrict(self) -> str:
        """Lift the restriction (grade recovered, or overturned)."""
        if self.state == self.State.SUSPENDED:
            self.resume_state = self.State.ACTIVE
            return self.State.SUSPENDED
        return self.State.ACTIVE

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED, State.SUSPENDED],
        target=State.SUSPENDED,
        permission=perm.supervisor_or_system,
    )
    def suspend(self, *, until: datetime.datetime | None) -> None:
        """Suspend trading (停) until the end of the suspensions in force (None: until lifted)."""
        if self.state != self.State.SUSPENDED:
            self.resume_state = self.state
        self.suspended_until = until

    @transition(
        field=state, source=State.SUSPENDED, target=RETURN_VALUE(State.ACTIVE, State.RESTRICTED), permission=perm.system
    )
    def reinstate(self) -> str:
        """The suspension has ended: back to the state it interrupted, by itself."""
        target = self.resume_state or self.State.ACTIVE
        self.suspended_until = None
        self.resume_state = ""
        return target

    @transition(
        field=state,
        source=[State.DRAFT, State.SUBMITTED, State.RETURNED, State.ACTIVE, State.RESTRICTED, State.SUSPENDED],
        target=State.EXPELLED,
        permission=perm.supervisor_or_system,
    )
    def expel(self, *, at: datetime.datetime, barred_until: datetime.datetime | None) -> None:
        """Expel (退): membership ends, the agency is blacklisted and barred from re-entry."""
        self.ended_at = at
        self.barred_until = barred_until
        self.suspended_until = None

    @transition(
        field=state, source=[State.ACTIVE, State.RESTRICTED], target=State.WITHDRAWN, permission=perm.agency_staff
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        """Voluntary exit; refused by the gate while engagements are open."""
        self.ended_at = at


def evidence_upload_to(instance, filename: str) -> str:
    return f"evidence/{type(instance).__name__.lower()}/{timezone.now():%Y%m}/{filename}"


class CreditCase(FSMModelMixin, models.Model):
    """Due process for a discretionary measure: proposed, notified, answered, then decided."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("拟处理")
        NOTIFIED = "notified", _("已告知，待陈述申辩")
        APPLIED = "applied", _("已实施")
        DISMISSED = "dismissed", _("不予处理")
        OBJECTED = "objected", _("异议处理中")
        UPHELD = "upheld", _("异议不成立，维持")
        OVERTURNED = "overturned", _("异议成立，撤销")
        EXPIRED = "expired", _("已期满")
        REPAIRED = "repaired", _("已修复")

    OPEN = (State.PROPOSED, State.NOTIFIED)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="credit_cases")
    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="cases")
    state = FSMField(_("状态"), default=State.PROPOSED, choices=State.choices, protected=True, db_index=True)
    ground_code = models.CharField(_("失信事项"), max_length=40, blank=True)
    measure = models.CharField(
        _("拟采取措施"),
        max_length=10,
        blank=True,
        choices=[(k, v) for k, v in MeasureKind.choices if k in ("restrict", "suspend", "expel")],
    )
    months = models.PositiveSmallIntegerField(_("期限（月）"), null=True, blank=True)
    facts = models.TextField(_("事实与依据"))
    evidence = models.FileField(
        _("证据材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    response_due = models.DateTimeField(_("陈述申辩截止"), null=True, blank=True)
    agency_response = models.TextField(_("陈述申辩意见"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("决定理由"), blank=True)
    measure_entry = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("信用惩戒案件")
        verbose_name_plural = _("信用惩戒案件")

    def __str__(self) -> str:
        return f"{self.agency} — {self.get_measure_display() or self.ground_code}"

    @transition(field=state, source=State.PROPOSED, target=State.NOTIFIED, permission=perm.supervisor_in_scope)
    def notify(self, *, at: datetime.datetime, response_due: datetime.datetime) -> None:
        """The agency is told of the proposed measure and may respond until the due date."""
        self.notified_at = at
        self.response_due = response_due

    @transition(field=state, source=State.NOTIFIED, target=State.APPLIED, permission=perm.supervisor_in_scope)
    def apply(self, *, at: datetime.datetime, user, note: str) -> None:
        """The supervisor decides to apply the measure after the response (or its deadline)."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=[State.PROPOSED, State.NOTIFIED],
        target=State.DISMISSED,
        permission=perm.supervisor_in_scope,
    )
    def dismiss(self, *, at: datetime.datetime, user, note: str) -> None:
        """The supervisor drops the case."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=[State.APPLIED, State.UPHELD],
        target=State.OBJECTED,
        permission=perm.any_of(perm.agency_staff, perm.system),
    )
    def object(self) -> None:
        """The agency objects to the applied measure."""

    @transition(field=state, source=State.OBJECTED, target=State.UPHELD, permission=perm.supervisor_or_system)
    def uphold(self) -> None:
        """The objection fails: the measure stands."""

    @transition(field=state, source=State.OBJECTED, target=State.OVERTURNED, permission=perm.supervisor_or_system)
    def overturn(self) -> None:
        """The objection succeeds: the measure is reversed."""

    @transition(field=state, source=[State.APPLIED, State.UPHELD], target=State.EXPIRED, permission=perm.system)
    def expire(self) -> None:
        """The measure's period has run out."""

    @transition(
        field=state,
        source=[State.APPLIED, State.UPHELD, State.EXPIRED],
        target=State.REPAIRED,
        permission=perm.supervisor_or_system,
    )
    def repair(self) -> None:
        """Credit repair approved: the measure no longer counts."""


class Objection(FSMModelMixin, models.Model):
    """An agency's objection (异议) to a ledger entry; decided within the policy's working days."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待处理")
        UPHELD = "upheld", _("异议不成立")
        OVERTURNED = "overturned", _("异议成立")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="objections")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="objections")
    state = FSMField(_("状态"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    reason = models.TextField(_("异议理由"))
    evidence = models.FileField(
        _("证明材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(_("办结期限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("信用异议")
        verbose_name_plural = _("信用异议")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(state="submitted"), name="one_open_objection_per_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} — {self.entry.title}"

    @transition(field=state, source=State.SUBMITTED, target=State.UPHELD, permission=perm.supervisor_in_scope)
    def uphold(self, *, at: datetime.datetime, user, note: str) -> None:
        """The record stands."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(field=state, source=State.SUBMITTED, target=State.OVERTURNED, permission=perm.supervisor_in_scope)
    def overturn(self, *, at: datetime.datetime, user, note: str) -> None:
        """The record was wrong: a reversal entry stops it counting."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note


class RepairRequest(FSMModelMixin, models.Model):
    """An agency's application for credit repair (信用修复) of an eligible entry, with evidence."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("准予修复")
        REJECTED = "rejected", _("不予修复")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="repair_requests")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="repair_requests")
    state = FSMField(_("状态"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    correction = models.TextField(_("整改情况说明"))
    evidence = models.FileField(_("整改证明材料"), upload_to=evidence_upload_to, validators=[validate_document_upload])
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(state="submitted"), name="one_open_repair_per_entry")
        ]

    def __str__(self) -> str:
        return f"{self.agency} — {self.entry.title}"

    @transition(field=state, source=State.SUBMITTED, target=State.APPROVED, permission=perm.supervisor_in_scope)
    def approve(self, *, at: datetime.datetime, user, note: str) -> None:
        """Repair granted: the entry stops counting and its notice is withdrawn."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED, permission=perm.supervisor_in_scope)
    def reject(self, *, at: datetime.datetime, user, note: str) -> None:
        """Repair refused, with the reason."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note


# --- procurement: projects, sign-ups, engagements, payments ------------------------------------------


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
    # verifiable draw, version 1 (DESIGN §5); the secret is revealed only in the proof
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
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @transition(
        field=state, source=[State.DRAFT, State.RETURNED], target=State.PENDING_REVIEW, permission=perm.buyer_staff
    )
    def submit(self, *, at: datetime.datetime) -> None:
        """The buyer sends the project for the operator's review."""
        self.submitted_at = at
        self.review_note = ""

    @transition(field=state, source=State.PENDING_REVIEW, target=State.RETURNED, permission=perm.operator)
    def send_back(self, *, note: str) -> None:
        """The operator returns the project with what to change."""
        self.review_note = note

    @transition(field=state, source=State.PENDING_REVIEW, target=State.OPEN, permission=perm.operator)
    def publish(
        self, *, at: datetime.datetime, signup_deadline: datetime.datetime, secret_hex: str, commitment: str
    ) -> None:
        """The operator publishes: sign-up opens; the draw commitment is fixed now."""
        self.published_at = at
        self.signup_deadline = signup_deadline
        self.draw_secret = secret_hex
        self.draw_commitment = commitment

    @transition(field=state, source=State.OPEN, target=State.SELECTING, permission=perm.system)
    def close_signup(self) -> None:
        """The sign-up deadline passed: the pool is checked and frozen."""

    @transition(
        field=state,
        source=[State.OPEN, State.SELECTING, State.AWARDED, State.CONTRACTING],
        target=State.FAILED,
        permission=perm.system,
    )
    def fail(self, *, at: datetime.datetime, reason: str) -> None:
        """Fewer eligible sign-ups than the method needs, or no alternate left (流标)."""
        self.closed_at = at
        self.cancel_reason = reason

    @transition(
        field=state, source=State.SELECTING, target=State.AWARDED, permission=perm.any_of(perm.system, perm.buyer_staff)
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
    )
    def confirm_winner(self) -> None:
        """Publicity ended with the winner's confirmation: contracting starts."""

    @transition(field=state, source=State.CONTRACTING, target=State.AWARDED, permission=perm.system)
    def reopen_award(self, *, at: datetime.datetime, publicity_ends_at: datetime.datetime) -> None:
        """The winner was revoked or declined: the alternate steps up with its own publicity."""
        self.awarded_at = at
        self.publicity_ends_at = publicity_ends_at

    @transition(field=state, source=State.CONTRACTING, target=State.IN_SERVICE, permission=perm.system)
    def start_service(self) -> None:
        """The contract is signed and the service runs."""

    @transition(field=state, source=State.IN_SERVICE, target=State.RESULT_SUBMITTED, permission=perm.system)
    def result_in(self) -> None:
        """The agency submitted its result."""

    @transition(field=state, source=State.RESULT_SUBMITTED, target=State.IN_SERVICE, permission=perm.system)
    def rework(self) -> None:
        """The buyer returned the result for rework."""

    @transition(field=state, source=State.RESULT_SUBMITTED, target=State.ACCEPTED, permission=perm.system)
    def accept(self) -> None:
        """The buyer accepted the result."""

    @transition(field=state, source=State.ACCEPTED, target=State.RATED, permission=perm.system)
    def rate(self) -> None:
        """The buyer rated the service (or the rating window closed)."""

    @transition(
        field=state,
        source=[State.RATED, State.IN_SERVICE, State.CONTRACTING],
        target=State.CLOSED,
        permission=perm.system,
    )
    def close(self, *, at: datetime.datetime) -> None:
        """Rated and paid (or the service was terminated): the project is complete."""
        self.closed_at = at

    @transition(
        field=state,
        source=[State.DRAFT, State.RETURNED, State.PENDING_REVIEW, State.OPEN, State.SELECTING, State.AWARDED],
        target=State.CANCELLED,
        permission=perm.buyer_staff,
    )
    def cancel(self, *, at: datetime.datetime, reason: str) -> None:
        """The buyer ends the project with a published reason (终止)."""
        self.closed_at = at
        self.cancel_reason = reason


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


class SignUp(FSMModelMixin, models.Model):
    """An agency's sign-up and sealed quote for a project (报名)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("已报名")
        WITHDRAWN = "withdrawn", _("已撤回")
        ADMITTED = "admitted", _("有效报名")
        REJECTED = "rejected", _("无效报名")
        RANKED = "ranked", _("备选")
        SELECTED = "selected", _("中选")
        NOT_SELECTED = "not_selected", _("未中选")
        CONFIRMED = "confirmed", _("已确认中选")
        DECLINED = "declined", _("放弃中选")
        REVOKED = "revoked", _("撤销中选资格")

    OPEN = (State.SUBMITTED, State.ADMITTED, State.RANKED, State.SELECTED)

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="signups")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="signups")
    state = FSMField(_("状态"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    # Fernet token; unreadable by everyone (buyer, operator, supervisor) until the sign-up deadline.
    sealed_quote = models.TextField(blank=True)
    quote = models.DecimalField(_("报价"), max_digits=14, decimal_places=2, null=True, blank=True)
    proposal = models.FileField(
        _("服务方案"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    score = models.DecimalField(_("综合得分"), max_digits=7, decimal_places=3, null=True, blank=True)
    credit_score = models.IntegerField(_("信用分"), null=True, blank=True)
    selected_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["project", "rank", "submitted_at"]
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "agency"], condition=~Q(state="withdrawn"), name="one_live_signup_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code} / {self.agency}"

    @transition(
        field=state,
        source=[State.SUBMITTED, State.ADMITTED],
        target=State.WITHDRAWN,
        permission=perm.any_of(perm.agency_staff, perm.system),
    )
    def withdraw(self, *, note: str = "") -> None:
        """The agency withdraws before the deadline (or the platform withdraws it on expulsion)."""
        self.note = note

    @transition(field=state, source=State.SUBMITTED, target=State.ADMITTED, permission=perm.system)
    def admit(self, *, quote, credit_score: int) -> None:
        """At sign-up close the agency passed the re-check: it is in the frozen pool; the quote opens."""
        self.quote = quote
        self.credit_score = credit_score

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED, permission=perm.system)
    def reject(self, *, note: str) -> None:
        """At sign-up close the agency failed the re-check (a measure since it signed up, say)."""
        self.note = note

    @transition(field=state, source=State.ADMITTED, target=State.RANKED, permission=perm.system)
    def rank_at(self, *, rank: int, score=None) -> None:
        """The method placed this sign-up at ``rank`` (1 wins; the rest are alternates in order)."""
        self.rank = rank
        self.score = score

    @transition(field=state, source=State.RANKED, target=State.SELECTED, permission=perm.system)
    def select(self, *, at: datetime.datetime) -> None:
        """This agency is the winner (first place, or the alternate stepping up)."""
        self.selected_at = at

    @transition(field=state, source=State.RANKED, target=State.NOT_SELECTED, permission=perm.system)
    def unselect(self) -> None:
        """The project ended without reaching this alternate."""

    @transition(field=state, source=State.SELECTED, target=State.CONFIRMED, permission=perm.agency_staff)
    def confirm(self) -> None:
        """The winner confirms it will sign the contract."""

    @transition(
        field=state,
        source=[State.SELECTED, State.CONFIRMED],
        target=State.DECLINED,
        permission=perm.any_of(perm.agency_staff, perm.system),
    )
    def decline(self, *, note: str) -> None:
        """The winner gives up the win (without cause this costs credit)."""
        self.note = note

    @transition(field=state, source=[State.SELECTED, State.CONFIRMED], target=State.REVOKED, permission=perm.system)
    def revoke(self, *, note: str) -> None:
        """The win is revoked (撤销中选资格): a measure since selection, or the contract deadline missed."""
        self.note = note


def contract_upload_to(instance, filename: str) -> str:
    return f"contracts/{instance.project_id}/{filename}"


class Engagement(FSMModelMixin, models.Model):
    """The service itself once an agency is selected (服务): contract, delivery, acceptance, rating."""

    class State(models.TextChoices):
        AWAITING_CONTRACT = "awaiting_contract", _("待签约")
        CONTRACTED = "contracted", _("已签约")
        IN_SERVICE = "in_service", _("服务中")
        RESULT_SUBMITTED = "result_submitted", _("成果已提交")
        RETURNED_FOR_REWORK = "returned_for_rework", _("退回整改")
        ACCEPTED = "accepted", _("已验收")
        RATED = "rated", _("已评价")
        TERMINATED = "terminated", _("服务中止")

    OPEN = (
        State.AWAITING_CONTRACT,
        State.CONTRACTED,
        State.IN_SERVICE,
        State.RESULT_SUBMITTED,
        State.RETURNED_FOR_REWORK,
        State.ACCEPTED,
    )

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="engagements")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="engagements")
    signup = models.OneToOneField(SignUp, null=True, blank=True, on_delete=models.PROTECT, related_name="engagement")
    state = FSMField(_("状态"), default=State.AWAITING_CONTRACT, choices=State.choices, protected=True, db_index=True)
    amount = models.DecimalField(_("合同金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    contract_file = models.FileField(
        _("合同文本"), upload_to=contract_upload_to, blank=True, validators=[validate_document_upload]
    )
    contract_uploaded_at = models.DateTimeField(null=True, blank=True)
    contract_due = models.DateTimeField(_("签约截止"), null=True, blank=True, db_index=True)
    contracted_at = models.DateTimeField(null=True, blank=True)
    service_end = models.DateTimeField(_("服务截止"), null=True, blank=True, db_index=True)
    extended = models.BooleanField(_("已延期"), default=False)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    late_recorded = models.BooleanField(default=False)
    result_file = models.FileField(
        _("服务成果"), upload_to=contract_upload_to, blank=True, validators=[validate_document_upload]
    )
    result_submitted_at = models.DateTimeField(null=True, blank=True)
    rework_note = models.TextField(_("整改意见"), blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rating_due = models.DateTimeField(_("评价截止"), null=True, blank=True, db_index=True)
    terminated_reason = models.TextField(_("中止原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("服务")
        verbose_name_plural = _("服务")

    def __str__(self) -> str:
        return f"{self.project.code} / {self.agency}"

    @transition(field=state, source=State.AWAITING_CONTRACT, target=State.CONTRACTED, permission=perm.project_buyer)
    def sign(self, *, at: datetime.datetime, amount) -> None:
        """The buyer confirms the contract the agency uploaded."""
        self.contracted_at = at
        self.amount = amount

    @transition(field=state, source=State.CONTRACTED, target=State.IN_SERVICE, permission=perm.system)
    def start(self, *, service_end: datetime.datetime) -> None:
        """Service starts at signing; its end date is fixed now."""
        self.service_end = service_end

    @transition(
        field=state,
        source=[State.IN_SERVICE, State.RETURNED_FOR_REWORK],
        target=State.RESULT_SUBMITTED,
        permission=perm.agency_staff,
    )
    def submit_result(self, *, at: datetime.datetime) -> None:
        """The agency delivers its result."""
        self.result_submitted_at = at

    @transition(
        field=state, source=State.RESULT_SUBMITTED, target=State.RETURNED_FOR_REWORK, permission=perm.project_buyer
    )
    def return_for_rework(self, *, note: str) -> None:
        """The buyer returns the result with what to fix."""
        self.rework_note = note

    @transition(field=state, source=State.RESULT_SUBMITTED, target=State.ACCEPTED, permission=perm.project_buyer)
    def accept(self, *, at: datetime.datetime, rating_due: datetime.datetime) -> None:
        """The buyer accepts the result; the rating window and payment due date start."""
        self.accepted_at = at
        self.rating_due = rating_due

    @transition(
        field=state, source=State.ACCEPTED, target=State.RATED, permission=perm.any_of(perm.project_buyer, perm.system)
    )
    def rate(self) -> None:
        """The service is rated (by the buyer, or closed unrated when the window ends)."""

    @transition(
        field=state,
        source=[State.AWAITING_CONTRACT, State.CONTRACTED, State.IN_SERVICE, State.RETURNED_FOR_REWORK],
        target=State.TERMINATED,
        permission=perm.any_of(perm.project_buyer, perm.system),
    )
    def terminate(self, *, reason: str) -> None:
        """The service is stopped (服务中止) with a reason, or the award was revoked before contract."""
        self.terminated_reason = reason


class ProposalMark(models.Model):
    """A scorer's mark (0–100) for a sign-up's proposal in a scored comparison (比选)."""

    signup = models.ForeignKey(SignUp, on_delete=models.PROTECT, related_name="marks")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mark = models.DecimalField(_("方案得分"), max_digits=5, decimal_places=2)
    note = models.CharField(_("评分说明"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signup", "scorer"], name="uniq_mark_per_scorer")]


class Rating(models.Model):
    """The buyer's rating of a delivered service: five marks 1–5 and a comment."""

    engagement = models.OneToOneField(Engagement, on_delete=models.PROTECT, related_name="rating")
    quality = models.PositiveSmallIntegerField(_("服务质量"))
    timeliness = models.PositiveSmallIntegerField(_("服务时效"))
    attitude = models.PositiveSmallIntegerField(_("服务态度"))
    fees = models.PositiveSmallIntegerField(_("收费合理性"))
    conformity = models.PositiveSmallIntegerField(_("执业规范性"))
    comment = models.TextField(_("评价意见"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    MARKS = ("quality", "timeliness", "attitude", "fees", "conformity")

    @property
    def average(self) -> float:
        return sum(getattr(self, m) for m in self.MARKS) / len(self.MARKS)


class Payment(FSMModelMixin, models.Model):
    """The buyer's payment of the service fee: due → paid; late after its due date."""

    class State(models.TextChoices):
        DUE = "due", _("待支付")
        RECORDED = "recorded", _("已登记转账，待确认")
        PAID = "paid", _("已支付")

    engagement = models.OneToOneField(Engagement, on_delete=models.PROTECT, related_name="payment")
    state = FSMField(_("状态"), default=State.DUE, choices=State.choices, protected=True, db_index=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    due_at = models.DateTimeField(_("付款期限"), db_index=True)
    provider = models.CharField(_("支付方式"), max_length=20, default="bank_transfer")
    reference = models.CharField(_("转账流水号"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    late_recorded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("付款")
        verbose_name_plural = _("付款")

    @property
    def agency(self):
        return self.engagement.agency

    @property
    def project(self):
        return self.engagement.project

    @transition(
        field=state, source=State.DUE, target=State.RECORDED, permission=perm.any_of(perm.project_buyer, perm.system)
    )
    def record_transfer(self, *, at: datetime.datetime, reference: str, provider: str) -> None:
        """The buyer records the bank transfer reference."""
        self.recorded_at, self.reference, self.provider = at, reference, provider

    @transition(
        field=state,
        source=[State.DUE, State.RECORDED],
        target=State.PAID,
        permission=perm.any_of(perm.agency_staff, perm.system),
    )
    def settle(self, *, at: datetime.datetime) -> None:
        """The money arrived: the agency confirms receipt (or the sandbox settles at once)."""
        self.paid_at = at


class PaymentCommand(models.Model):
    """Idempotency record of a payment command: the same key never runs twice."""

    key = models.CharField(max_length=100, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="commands")
    command = models.CharField(max_length=30)
    result = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)
