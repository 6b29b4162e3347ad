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


# --- procurement: projects, sign-ups, engagements ---------------------------------------------------


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
    # verifiable draw, version 1 (DESIGN §5)
    draw_secret = models.CharField(max_length=64, blank=True)
    draw_commitment = models.CharField(_("抽取承诺值"), max_length=64, blank=True)
    draw_beacon = models.CharField(_("公开随机信标"), max_length=200, blank=True)
    draw_proof = models.JSONField(null=True, blank=True)
    # periods, stored on the row and moved by the deadline sweep
    signup_deadline = models.DateTimeField(_("报名截止时间"), null=True, blank=True, db_index=True)
    publicity_ends_at = models.DateTimeField(_("公示截止时间"), null=True, blank=True, db_index=True)
    contract_due = models.DateTimeField(_("签约截止时间"), null=True, blank=True)
    service_days = models.PositiveSmallIntegerField(_("服务期限（日）"), default=30)
    review_note = models.TextField(_("审核意见"), blank=True)
    cancel_reason = models.TextField(_("终止原因"), blank=True)
    relaunch_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="relaunches")
    published_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("采购项目")
        verbose_name_plural = _("采购项目")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SignUp(FSMModelMixin, models.Model):
    """An agency's sign-up and sealed quote for a project (报名)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("已报名")
        WITHDRAWN = "withdrawn", _("已撤回")
        ADMITTED = "admitted", _("有效报名")
        REJECTED = "rejected", _("无效报名")
        RANKED = "ranked", _("已排序")
        SELECTED = "selected", _("中选")
        NOT_SELECTED = "not_selected", _("未中选")
        CONFIRMED = "confirmed", _("已确认中选")
        DECLINED = "declined", _("放弃中选")
        REVOKED = "revoked", _("撤销中选资格")

    OPEN = (State.SUBMITTED, State.ADMITTED, State.RANKED, State.SELECTED)

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="signups")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="signups")
    state = FSMField(_("状态"), default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    sealed_quote = models.TextField(blank=True, help_text="encrypted until the sign-up deadline")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    note = models.TextField(blank=True)

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
    contract_due = models.DateTimeField(_("签约截止"), null=True, blank=True, db_index=True)
    service_end = models.DateTimeField(_("服务截止"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("服务")
        verbose_name_plural = _("服务")

    def __str__(self) -> str:
        return f"{self.project.code} / {self.agency}"
