"""Delivery: the engagement from contract to rating, the rating itself, and the buyer's payment."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.models import Agency
from marketplace.validators import validate_document_upload

from .. import permissions as perm
from ..gating import exempt, gated
from .procurement import Project
from .selection import SignUp
from .uploads import contract_upload_to


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
    # The buyer accepts or returns the result by then (the policy's period); late is the buyer's record (政务诚信).
    acceptance_due = models.DateTimeField(_("验收期限"), null=True, blank=True, db_index=True)
    acceptance_late_recorded = models.BooleanField(default=False)
    # The buyer let the contract deadline pass with the agency's contract uploaded: recorded once, deadline extended once.
    buyer_contract_late_recorded = models.BooleanField(default=False)
    rework_note = models.TextField(_("整改意见"), blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rating_due = models.DateTimeField(_("评价截止"), null=True, blank=True, db_index=True)
    terminated_reason = models.TextField(_("中止原因"), blank=True)
    # A measure reached the agency during the service (清退, or a suspension where policy stops service):
    # the buyer decides by ``measure_decision_due`` whether the agency finishes it.
    measure_decision_due = models.DateTimeField(_("业主决定期限"), null=True, blank=True, db_index=True)
    measure_reason = models.TextField(_("信用措施"), blank=True)
    measure_rule_code = models.CharField(_("措施规则"), max_length=20, blank=True)
    buyer_continues = models.BooleanField(_("业主决定继续服务"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("服务")
        verbose_name_plural = _("服务")

    def __str__(self) -> str:
        return f"{self.project.code} / {self.agency}"

    @transition(
        field=state,
        source=State.AWAITING_CONTRACT,
        target=State.CONTRACTED,
        permission=perm.project_buyer,
        custom=gated("contract"),
    )
    def sign(self, *, at: datetime.datetime, amount) -> None:
        """The buyer confirms the contract the agency uploaded."""
        self.contracted_at = at
        self.amount = amount

    @transition(
        field=state,
        source=State.CONTRACTED,
        target=State.IN_SERVICE,
        permission=perm.system,
        custom=exempt("follows the contract signed at engagement.sign in the same transaction"),
    )
    def start(self, *, service_end: datetime.datetime) -> None:
        """Service starts at signing; its end date is fixed now."""
        self.service_end = service_end

    @transition(
        field=state,
        source=[State.IN_SERVICE, State.RETURNED_FOR_REWORK],
        target=State.RESULT_SUBMITTED,
        permission=perm.agency_staff,
        custom=gated("service"),
    )
    def submit_result(self, *, at: datetime.datetime, acceptance_due: datetime.datetime | None = None) -> None:
        """The agency delivers its result; the buyer's period to accept or return it starts."""
        self.result_submitted_at = at
        self.acceptance_due = acceptance_due
        self.acceptance_late_recorded = False  # each submission is a period of its own

    @transition(
        field=state,
        source=State.RESULT_SUBMITTED,
        target=State.RETURNED_FOR_REWORK,
        permission=perm.project_buyer,
        custom=exempt("the buyer's review of the result"),
    )
    def return_for_rework(self, *, note: str) -> None:
        """The buyer returns the result with what to fix."""
        self.rework_note = note

    @transition(
        field=state,
        source=State.RESULT_SUBMITTED,
        target=State.ACCEPTED,
        permission=perm.project_buyer,
        custom=exempt("the buyer's acceptance of the result"),
    )
    def accept(self, *, at: datetime.datetime, rating_due: datetime.datetime) -> None:
        """The buyer accepts the result; the rating window and payment due date start."""
        self.accepted_at = at
        self.rating_due = rating_due

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.RATED,
        permission=perm.any_of(perm.project_buyer, perm.system),
        custom=gated("service"),
    )
    def rate(self) -> None:
        """The service is rated (by the buyer, or closed unrated when the window ends)."""

    @transition(
        field=state,
        source=[
            State.AWAITING_CONTRACT,
            State.CONTRACTED,
            State.IN_SERVICE,
            State.RETURNED_FOR_REWORK,
            State.RESULT_SUBMITTED,
        ],
        target=State.TERMINATED,
        permission=perm.any_of(perm.project_buyer, perm.system),
        custom=exempt("the service stops with a reason: the buyer's decision, or the consequence of a revoked award"),
    )
    def terminate(self, *, reason: str) -> None:
        """The service is stopped (服务中止) with a reason, or the award was revoked before contract."""
        self.terminated_reason = reason


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
        field=state,
        source=State.DUE,
        target=State.RECORDED,
        permission=perm.any_of(perm.project_buyer, perm.system),
        custom=exempt("the buyer pays; paying late is recorded against the buyer (政务诚信) by the payment sweep"),
    )
    def record_transfer(self, *, at: datetime.datetime, reference: str, provider: str) -> None:
        """The buyer records the bank transfer reference."""
        self.recorded_at, self.reference, self.provider = at, reference, provider

    @transition(
        field=state,
        source=[State.DUE, State.RECORDED],
        target=State.PAID,
        permission=perm.any_of(perm.agency_staff, perm.system),
        custom=exempt("the agency confirms the money arrived"),
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
