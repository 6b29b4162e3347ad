"""Due process around credit: cases for discretionary measures, objections (异议), repairs (信用修复)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from credit_rules.models import CreditSubject, LedgerEntry, MeasureKind
from marketplace.models import Agency
from marketplace.validators import validate_document_upload

from .. import permissions as perm
from ..gating import exempt, gated
from .uploads import evidence_upload_to


class CreditCase(FSMModelMixin, models.Model):
    """Due process for a measure: proposed, notified, answered, then decided.

    A supervisor proposes a discretionary measure; or a rule orders a punitive measure by itself and the
    case is its prior notice (失信告知), carrying the rule's code, reasons and order. The system opens such a
    case and notifies it at once, through the runner; the credit sweep applies it when the response period
    ends unanswered, a supervisor decides it once the agency has answered, and it is dropped when the
    entry it rests on is overturned.
    """

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
        choices=[(k, v) for k, v in MeasureKind.choices if k in ("restrict", "suspend", "expel", "revoke")],
    )
    months = models.PositiveSmallIntegerField(_("期限（月）"), null=True, blank=True)
    # A rule's prior notice: the rule that ordered the measure, its message parameters, the entry that set it off.
    rule_code = models.CharField(_("规则代码"), max_length=20, blank=True)
    rule_params = models.JSONField(default=dict, blank=True)
    trigger_entry = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    facts = models.TextField(_("事实与依据"))
    evidence = models.FileField(
        _("证据材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    proposed_by = models.ForeignKey(  # None: opened by a rule
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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

    @property
    def is_automatic(self) -> bool:
        """Opened by a rule: the prior notice of an automatic measure (失信告知)."""
        return bool(self.rule_code)

    @transition(
        field=state,
        source=State.PROPOSED,
        target=State.NOTIFIED,
        permission=perm.supervisor_or_rule,
        custom=exempt("due process: the agency is told of the proposed measure and may answer"),
    )
    def notify(self, *, at: datetime.datetime, response_due: datetime.datetime) -> None:
        """The agency is told of the proposed measure and may respond until the due date."""
        self.notified_at = at
        self.response_due = response_due

    @transition(
        field=state,
        source=State.NOTIFIED,
        target=State.APPLIED,
        permission=perm.supervisor_or_rule,
        custom=gated("due_process"),
    )
    def apply(self, *, at: datetime.datetime, user, note: str) -> None:
        """The measure is applied after the response, or its deadline (a rule's notice: by the credit sweep)."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=[State.PROPOSED, State.NOTIFIED],
        target=State.DISMISSED,
        permission=perm.supervisor_or_rule,
        custom=exempt(
            "the case is dropped — by the supervisor, or for a rule's notice when the entry it rests on is"
            " overturned: nothing is recorded against the agency"
        ),
    )
    def dismiss(self, *, at: datetime.datetime, user, note: str) -> None:
        """The supervisor drops the case (a rule's notice also falls with the entry it rests on)."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=[State.APPLIED, State.UPHELD],
        target=State.OBJECTED,
        permission=perm.any_of(perm.agency_staff, perm.system),
        custom=exempt("objecting is the agency's right, never refused for its credit"),
    )
    def object(self) -> None:
        """The agency objects to the applied measure."""

    @transition(
        field=state,
        source=State.OBJECTED,
        target=State.UPHELD,
        permission=perm.supervisor_or_system,
        custom=exempt("follows the decision on the agency's objection"),
    )
    def uphold(self) -> None:
        """The objection fails: the measure stands."""

    @transition(
        field=state,
        source=State.OBJECTED,
        target=State.OVERTURNED,
        permission=perm.supervisor_or_system,
        custom=exempt("follows the decision on the agency's objection"),
    )
    def overturn(self) -> None:
        """The objection succeeds: the measure is reversed."""

    @transition(
        field=state,
        source=[State.APPLIED, State.UPHELD],
        target=State.EXPIRED,
        permission=perm.system,
        custom=exempt("the measure's period ran out by itself"),
    )
    def expire(self) -> None:
        """The measure's period has run out."""

    @transition(
        field=state,
        source=[State.APPLIED, State.UPHELD, State.EXPIRED],
        target=State.REPAIRED,
        permission=perm.supervisor_or_system,
        custom=exempt("follows an approved credit repair"),
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

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.UPHELD,
        permission=perm.supervisor_in_scope,
        custom=exempt("a decision on the agency's objection to its own record: due process, not gated by that record"),
    )
    def uphold(self, *, at: datetime.datetime, user, note: str) -> None:
        """The record stands."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.OVERTURNED,
        permission=perm.supervisor_in_scope,
        custom=exempt("a decision on the agency's objection to its own record: due process, not gated by that record"),
    )
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

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.APPROVED,
        permission=perm.supervisor_in_scope,
        custom=exempt("a decision on credit repair of the agency's own record: due process, not gated by that record"),
    )
    def approve(self, *, at: datetime.datetime, user, note: str) -> None:
        """Repair granted: the entry stops counting and its notice is withdrawn."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REJECTED,
        permission=perm.supervisor_in_scope,
        custom=exempt("a decision on credit repair of the agency's own record: due process, not gated by that record"),
    )
    def reject(self, *, at: datetime.datetime, user, note: str) -> None:
        """Repair refused, with the reason."""
        self.decided_at, self.decided_by, self.decision_note = at, user, note


class WarningWithdrawal(FSMModelMixin, models.Model):
    """An erroneous credit warning withdrawn by the supervisor who issued it, within the policy's window.

    The row is the withdrawal's record and its one-time lock (one per warning); its transition stops the
    warning counting (a compensating ledger entry) and withdraws its public notice.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("撤回中")
        WITHDRAWN = "withdrawn", _("已撤回")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="warning_withdrawals")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="withdrawal")
    state = FSMField(_("状态"), default=State.REQUESTED, choices=State.choices, protected=True, db_index=True)
    reason = models.TextField(_("撤回理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("信用警告撤回")
        verbose_name_plural = _("信用警告撤回")

    def __str__(self) -> str:
        return f"{self.agency} — {self.entry.title}"

    @transition(
        field=state,
        source=State.REQUESTED,
        target=State.WITHDRAWN,
        permission=perm.warning_issuer,
        custom=exempt(
            "correcting the supervisor's own erroneous warning: the agency's credit does not bar a correction"
        ),
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        """The warning was issued in error: it stops counting and its notice is withdrawn."""
        self.withdrawn_at = at
