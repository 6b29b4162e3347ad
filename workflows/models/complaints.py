"""Challenges and complaints: a bidder's challenge (质疑) to a selection result during publicity, its
escalation to a complaint (投诉) the supervisor decides, and complaints about an agency's service."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from marketplace.models import Agency
from marketplace.validators import validate_document_upload

from .. import permissions as perm
from ..gating import exempt
from .procurement import Project
from .selection import SignUp
from .uploads import evidence_upload_to

DUE_PROCESS = "a bidder's challenge and its complaint are due process about a result, never gated by anyone's record"


class Challenge(FSMModelMixin, models.Model):
    """A bidder's challenge (质疑) to a selection result during publicity; escalated, a complaint (投诉)."""

    class State(models.TextChoices):
        FILED = "filed", _("待业主答复")
        ANSWERED = "answered", _("业主已答复")
        OVERDUE = "overdue", _("业主逾期未答复")
        COMPLAINED = "complained", _("投诉处理中")
        UPHELD = "upheld", _("投诉成立")
        DISMISSED = "dismissed", _("投诉不成立")
        CLOSED = "closed", _("已办结")

    # A challenge unanswered (in time or not) or a complaint undecided: it holds the award where the policy says so.
    PENDING = (State.FILED, State.OVERDUE, State.COMPLAINED)
    ESCALABLE = (State.ANSWERED, State.OVERDUE)

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="challenges")
    winner = models.ForeignKey(SignUp, on_delete=models.PROTECT, related_name="challenges_against")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="challenges")
    state = FSMField(_("状态"), default=State.FILED, choices=State.choices, protected=True, db_index=True)
    grounds = models.TextField(_("质疑事项和理由"))
    evidence = models.FileField(
        _("证明材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    answer_due = models.DateTimeField(_("答复期限"), db_index=True)
    answer = models.TextField(_("答复内容"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    complaint_due = models.DateTimeField(_("投诉期限"), null=True, blank=True, db_index=True)
    complaint_grounds = models.TextField(_("投诉事项和理由"), blank=True)
    complaint_evidence = models.FileField(
        _("投诉证明材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    complained_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateTimeField(_("投诉处理期限"), null=True, blank=True)
    decision_reasons = models.TextField(_("处理理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the publicity sweep met this pending challenge and the gate held the award (recorded once).
    award_held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        verbose_name = _("质疑")
        verbose_name_plural = _("质疑")
        constraints = [
            models.UniqueConstraint(fields=["winner", "agency"], name="one_challenge_per_result_and_bidder"),
        ]
        indexes = [models.Index(fields=["project", "state"])]

    def __str__(self) -> str:
        return f"{self.project.code} / {self.agency}"

    @transition(
        field=state,
        source=State.FILED,
        target=State.ANSWERED,
        permission=perm.project_buyer,
        custom=exempt(DUE_PROCESS),
    )
    def answer_give(self, *, at: datetime.datetime, user, text: str, complaint_due: datetime.datetime) -> None:
        """The buyer answers the challenge; the challenger may escalate it until ``complaint_due``."""
        self.answer, self.answered_by, self.answered_at, self.complaint_due = text, user, at, complaint_due

    @transition(
        field=state,
        source=State.FILED,
        target=State.OVERDUE,
        permission=perm.system,
        custom=exempt(DUE_PROCESS),
    )
    def answer_missed(self, *, complaint_due: datetime.datetime) -> None:
        """The buyer let the answer deadline pass: the challenger may escalate it until ``complaint_due``."""
        self.complaint_due = complaint_due

    @transition(
        field=state,
        source=[State.ANSWERED, State.OVERDUE],
        target=State.COMPLAINED,
        permission=perm.challenger,
        custom=exempt(DUE_PROCESS),
    )
    def escalate(self, *, at: datetime.datetime, grounds: str, evidence, decision_due: datetime.datetime) -> None:
        """Not satisfied (or not answered), the challenger complains to the supervisor (投诉)."""
        self.complaint_grounds, self.complained_at, self.decision_due = grounds, at, decision_due
        if evidence:
            self.complaint_evidence = evidence

    @transition(
        field=state,
        source=[State.ANSWERED, State.OVERDUE],
        target=State.CLOSED,
        permission=perm.system,
        custom=exempt(DUE_PROCESS),
    )
    def close(self) -> None:
        """The complaint period passed without a complaint: the challenge is closed."""

    @transition(
        field=state,
        source=State.COMPLAINED,
        target=State.UPHELD,
        permission=perm.supervisor_of_winner,
        custom=exempt(DUE_PROCESS),
    )
    def uphold(self, *, at: datetime.datetime, user, reasons: str) -> None:
        """The supervisor finds the complaint justified: the win is revoked."""
        self.decided_at, self.decided_by, self.decision_reasons = at, user, reasons

    @transition(
        field=state,
        source=State.COMPLAINED,
        target=State.DISMISSED,
        permission=perm.supervisor_of_winner,
        custom=exempt(DUE_PROCESS),
    )
    def dismiss(self, *, at: datetime.datetime, user, reasons: str) -> None:
        """The supervisor finds the complaint unjustified: the result stands."""
        self.decided_at, self.decided_by, self.decision_reasons = at, user, reasons


class ServiceComplaint(FSMModelMixin, models.Model):
    """A complaint (投诉) by a buyer or a member of the public about an agency's service."""

    class State(models.TextChoices):
        FILED = "filed", _("待机构说明")
        RESPONDED = "responded", _("机构已说明")
        UPHELD = "upheld", _("投诉成立")
        DISMISSED = "dismissed", _("投诉不成立")

    OPEN = (State.FILED, State.RESPONDED)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="service_complaints")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="service_complaints"
    )
    state = FSMField(_("状态"), default=State.FILED, choices=State.choices, protected=True, db_index=True)
    grounds = models.TextField(_("投诉事项和理由"))
    evidence = models.FileField(
        _("证明材料"), upload_to=evidence_upload_to, blank=True, validators=[validate_document_upload]
    )
    # The buyer unit the complainant acts for, if any; a member of the public is shown as such, never by name.
    buyer = models.ForeignKey(
        "marketplace.BuyerUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(_("机构说明"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateTimeField(_("处理期限"), null=True, blank=True)
    decision_reasons = models.TextField(_("处理理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        verbose_name = _("服务投诉")
        verbose_name_plural = _("服务投诉")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "filed_by"], condition=Q(state__in=["filed", "responded"]), name="one_open_complaint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} — {self.filed_at:%Y-%m-%d}"

    @transition(
        field=state,
        source=State.FILED,
        target=State.RESPONDED,
        permission=perm.agency_staff,
        custom=exempt("the agency's statement on a complaint about it: due process, not gated by its record"),
    )
    def respond(self, *, at: datetime.datetime, text: str) -> None:
        """The agency states its side."""
        self.response, self.responded_at = text, at

    @transition(
        field=state,
        source=[State.FILED, State.RESPONDED],
        target=State.UPHELD,
        permission=perm.supervisor_in_scope,
        custom=exempt("the supervisor's finding; the record it makes goes through the rules (ledger.recorded)"),
    )
    def uphold(self, *, at: datetime.datetime, user, reasons: str) -> None:
        """The supervisor finds the complaint verified: a quality complaint on the agency's record."""
        self.decided_at, self.decided_by, self.decision_reasons = at, user, reasons

    @transition(
        field=state,
        source=[State.FILED, State.RESPONDED],
        target=State.DISMISSED,
        permission=perm.supervisor_in_scope,
        custom=exempt("the supervisor's finding on a complaint: due process, not gated by the agency's record"),
    )
    def dismiss(self, *, at: datetime.datetime, user, reasons: str) -> None:
        """The supervisor finds the complaint unfounded."""
        self.decided_at, self.decided_by, self.decision_reasons = at, user, reasons
