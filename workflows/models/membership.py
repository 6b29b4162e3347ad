"""An agency's admission to the marketplace (入驻) until it leaves (退出)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from credit_rules.models import CommitmentLetter
from marketplace.models import Agency

from .. import permissions as perm
from ..gating import exempt, gated


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
        LAPSED = "lapsed", _("入驻已到期")
        EXPELLED = "expelled", _("已清退")
        WITHDRAWN = "withdrawn", _("已退出")

    FINAL = (State.REJECTED, State.EXPELLED, State.WITHDRAWN)
    ADMITTED = (State.ACTIVE, State.RESTRICTED, State.SUSPENDED)
    # Renewable: the admitted members free to trade, and those whose term lapsed (not admitted: they do not trade).
    RENEWABLE = (State.ACTIVE, State.RESTRICTED, State.LAPSED)

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
    # The agency asked to renew and the gate sent it to a supervisor (no green channel): in the renewals queue.
    renewal_requested_at = models.DateTimeField(_("申请续期时间"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("到期停止交易时间"), null=True, blank=True)
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
        indexes = [
            # The renewal queues (supervisor's and agency's) and the lapse sweep look for terms ending by a
            # date among memberships that still have one running: a few rows out of every agency's.
            models.Index(
                fields=["term_until"],
                name="membership_term_running",
                condition=Q(state__in=["active", "restricted", "suspended", "lapsed"]),
            ),
            # Renewals asked for and sent to review: rare, and listed in the supervisor's queue whatever the term.
            models.Index(
                fields=["renewal_requested_at"],
                name="membership_renewal_asked",
                condition=Q(renewal_requested_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} — {self.get_state_display()}"

    @property
    def is_admitted(self) -> bool:
        return self.state in self.ADMITTED

    @transition(
        field=state,
        source=[State.DRAFT, State.RETURNED],
        target=State.SUBMITTED,
        permission=perm.agency_staff,
        custom=gated("entry"),
    )
    def submit(self, *, at: datetime.datetime) -> None:
        """The agency submits its application with the accepted commitment letter."""
        self.submitted_at = at
        self.review_note = ""

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.ACTIVE,
        permission=perm.supervisor_or_system,
        custom=gated("entry"),
    )
    def approve(
        self, *, at: datetime.datetime, term_years: int = 3, fast_tracked: bool = False, note: str = ""
    ) -> None:
        """A supervisor (or the green channel) admits the agency."""
        self.decided_at = at
        self.member_since = self.member_since or at
        self.term_until = (timezone.localtime(at) + datetime.timedelta(days=365 * term_years)).date()
        self.fast_tracked = fast_tracked
        self.review_note = note

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.RETURNED,
        permission=perm.supervisor_in_scope,
        custom=exempt("the supervisor returns the application for changes; the approval that may follow is gated"),
    )
    def send_back(self, *, at: datetime.datetime, note: str) -> None:
        """A supervisor returns the application for changes, saying what to change."""
        self.decided_at = at
        self.review_note = note

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REJECTED,
        permission=perm.supervisor_in_scope,
        custom=exempt("the supervisor refuses entry with a reason; refusing needs no credit check"),
    )
    def reject(self, *, at: datetime.datetime, note: str) -> None:
        """A supervisor refuses entry with a reason."""
        self.decided_at = at
        self.review_note = note
        self.ended_at = at

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED, State.LAPSED],
        target=RETURN_VALUE(State.ACTIVE, State.RESTRICTED),
        permission=perm.any_of(perm.supervisor_in_scope, perm.agency_staff, perm.system),
        custom=gated("entry"),
    )
    def renew(self, *, at: datetime.datetime, term_years: int = 3) -> str:
        """The membership term is extended (supervisor review, or green channel); a lapsed one trades again."""
        base = max(self.term_until or timezone.localdate(), timezone.localtime(at).date())
        self.term_until = base + datetime.timedelta(days=365 * term_years)
        self.renewal_requested_at = None
        self.lapsed_at = None
        # Back from a lapse as active: the measures still in force are mirrored right after (membership_sync).
        return self.State.ACTIVE if self.state == self.State.LAPSED else self.state

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED, State.SUSPENDED],
        target=State.LAPSED,
        permission=perm.system,
        custom=exempt(
            "the term ended without renewal: the sweep asks the term rule at membership.term_ended and records its decision"
        ),
    )
    def lapse(self, *, at: datetime.datetime) -> None:
        """The term ended without renewal (到期): the membership stops trading until it is renewed."""
        self.lapsed_at = at
        # The ledger keeps any measure in force; renewal mirrors it again.
        self.suspended_until = None
        self.resume_state = ""

    @transition(
        field=state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=RETURN_VALUE(State.RESTRICTED, State.SUSPENDED),
        permission=perm.supervisor_or_system,
        custom=exempt(
            "mirrors a restriction the ledger holds: the measure is the gate's own order, applied by measures_apply"
        ),
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
        custom=exempt("mirrors the end of a restriction in the ledger"),
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
        custom=exempt("mirrors a suspension the ledger holds: the measure is the gate's own order"),
    )
    def suspend(self, *, until: datetime.datetime | None) -> None:
        """Suspend trading (停) until the end of the suspensions in force (None: until lifted)."""
        if self.state != self.State.SUSPENDED:
            self.resume_state = self.state
        self.suspended_until = until

    @transition(
        field=state,
        source=State.SUSPENDED,
        target=RETURN_VALUE(State.ACTIVE, State.RESTRICTED),
        permission=perm.system,
        custom=exempt("the suspension in the ledger has ended: the state follows the ledger"),
    )
    def reinstate(self) -> str:
        """The suspension has ended: back to the state it interrupted, by itself."""
        target = self.resume_state or self.State.ACTIVE
        self.suspended_until = None
        self.resume_state = ""
        return target

    @transition(
        field=state,
        source=[
            State.DRAFT,
            State.SUBMITTED,
            State.RETURNED,
            State.ACTIVE,
            State.RESTRICTED,
            State.SUSPENDED,
            State.LAPSED,
        ],
        target=State.EXPELLED,
        permission=perm.supervisor_or_system,
        custom=exempt("mirrors an expulsion the ledger holds: the measure is the gate's own order"),
    )
    def expel(self, *, at: datetime.datetime, barred_until: datetime.datetime | None) -> None:
        """Expel (退): membership ends, the agency is blacklisted and barred from re-entry."""
        self.ended_at = at
        self.barred_until = barred_until
        self.suspended_until = None

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED, State.LAPSED],
        target=State.WITHDRAWN,
        permission=perm.agency_staff,
        custom=gated("exit"),
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        """Voluntary exit; refused by the gate while engagements are open."""
        self.ended_at = at

    @transition(
        field=state,
        source=[State.ACTIVE, State.RESTRICTED],
        target=State.WITHDRAWN,
        permission=perm.system,
        custom=exempt(
            "the policy's exit of a member without business over its window, after a prompt (长期无业务退出):"
            " not a credit consequence, no rule is asked and nothing is recorded on the ledger"
        ),
    )
    def dormant_exit(self, *, at: datetime.datetime) -> None:
        """Exit by policy after a long time without business (长期无业务退出), once prompted: a clean withdrawal."""
        self.ended_at = at
