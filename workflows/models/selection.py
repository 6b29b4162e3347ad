"""Selection (选取): an agency's sign-up with its sealed quote, and scorers' marks in a scored comparison."""

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
from ..gating import exempt, gated
from .procurement import Project
from .uploads import evidence_upload_to


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
        custom=exempt("leaving a project before the deadline is always allowed"),
    )
    def withdraw(self, *, note: str = "") -> None:
        """The agency withdraws before the deadline (or the platform withdraws it on expulsion)."""
        self.note = note

    @transition(
        field=state, source=State.SUBMITTED, target=State.ADMITTED, permission=perm.system, custom=gated("selection")
    )
    def admit(self, *, quote, credit_score: int) -> None:
        """At sign-up close the agency passed the re-check: it is in the frozen pool; the quote opens."""
        self.quote = quote
        self.credit_score = credit_score

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REJECTED,
        permission=perm.system,
        custom=exempt("the pool's re-check at signup.admit refused the sign-up; that refusal is recorded there"),
    )
    def reject(self, *, note: str) -> None:
        """At sign-up close the agency failed the re-check (a measure since it signed up, say)."""
        self.note = note

    @transition(
        field=state,
        source=State.ADMITTED,
        target=State.RANKED,
        permission=perm.system,
        custom=exempt("the declared method orders the frozen pool; credit was checked at signup.admit"),
    )
    def rank_at(self, *, rank: int, score=None) -> None:
        """The method placed this sign-up at ``rank`` (1 wins; the rest are alternates in order)."""
        self.rank = rank
        self.score = score

    @transition(
        field=state, source=State.RANKED, target=State.SELECTED, permission=perm.system, custom=gated("selection")
    )
    def select(self, *, at: datetime.datetime) -> None:
        """This agency is the winner (first place, or the alternate stepping up)."""
        self.selected_at = at

    @transition(
        field=state,
        source=State.RANKED,
        target=State.NOT_SELECTED,
        permission=perm.system,
        custom=exempt("the project ended before this alternate was reached"),
    )
    def unselect(self) -> None:
        """The project ended without reaching this alternate."""

    @transition(
        field=state,
        source=State.RANKED,
        target=State.NOT_SELECTED,
        permission=perm.system,
        custom=exempt("an alternate the gate refused at signup.select is passed over; the refusal is recorded there"),
    )
    def pass_over(self, *, note: str) -> None:
        """When its turn came the gate refused this alternate (a measure, the cap): passed over, with why."""
        self.note = note

    @transition(
        field=state,
        source=State.SELECTED,
        target=State.CONFIRMED,
        permission=perm.agency_staff,
        custom=gated("selection"),
    )
    def confirm(self) -> None:
        """The winner confirms it will sign the contract."""

    @transition(
        field=state,
        source=[State.SELECTED, State.CONFIRMED],
        target=State.DECLINED,
        permission=perm.any_of(perm.agency_staff, perm.system),
        custom=gated("service"),
    )
    def decline(self, *, note: str) -> None:
        """The winner gives up the win (without cause this costs credit)."""
        self.note = note

    @transition(
        field=state,
        source=[State.SELECTED, State.CONFIRMED],
        target=State.REVOKED,
        permission=perm.system,
        custom=exempt("revocation (撤销中选资格) is itself the measure, ordered by a rule and written to the ledger"),
    )
    def revoke(self, *, note: str) -> None:
        """The win is revoked (撤销中选资格): a measure since selection, or the contract deadline missed."""
        self.note = note


class ProposalMark(models.Model):
    """A scorer's mark (0–100) for a sign-up's proposal in a scored comparison (比选)."""

    signup = models.ForeignKey(SignUp, on_delete=models.PROTECT, related_name="marks")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mark = models.DecimalField(_("方案得分"), max_digits=5, decimal_places=2)
    note = models.CharField(_("评分说明"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signup", "scorer"], name="uniq_mark_per_scorer")]
