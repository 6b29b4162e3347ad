"""Sign-up (报名): sealed quotes in band, before the deadline, once, through the gate; withdrawal before the deadline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from credit_rules import gate
from credit_rules.gate import Decision
from credit_rules.services import (
    decision_record,
    subject_for_agency,
)
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.models import Agency
from marketplace.money import MoneyError, money_parse
from marketplace.selectors import acts_for_agency

from ...models import Project, SignUp
from ...selectors.facts import signup_context
from ...selectors.identity import identity_refusal
from ..transitions import TransitionResult, target_label, transition_run
from .sealing import quote_seal


@dataclass
class SignupOutcome:
    """A sign-up attempt: the sign-up made, or the gate's refusal (recorded) with its reasons."""

    signup: SignUp | None
    decision: Decision | None

    @property
    def ok(self) -> bool:
        return self.signup is not None

    @property
    def refusals(self):
        return self.decision.refusals if self.decision else ()


def parse_quote(project: Project, raw: Any) -> Decimal:
    """A quote as typed, checked against the project's band; a clear message otherwise."""
    # The one amount parser: to the cent, no more (65000.005 is refused, never rounded).
    try:
        quote = money_parse(raw, label=_("报价"), max_digits=14, decimal_places=2)
    except MoneyError as exc:
        raise ApplicationError(str(exc)) from None
    if quote < project.quote_floor or quote > project.quote_ceiling:
        unit = "%" if project.quote_kind == Project.QuoteKind.RATE else _("元")
        raise ApplicationError(
            _("报价须在 %(floor)s%(unit)s 至 %(ceiling)s%(unit)s 之间（含）。")
            % {"floor": project.quote_floor, "ceiling": project.quote_ceiling, "unit": unit}
        )
    return quote


def _project_shared(pk: int) -> Project:
    """The project row under a share lock, read after the lock is granted.

    The lock orders sign-ups against the deadline sweep (its FOR UPDATE waits for sign-ups in
    flight, and none starts while it holds the row), so none slips in after the close. A share
    lock rather than FOR UPDATE lets sign-ups run side by side: in a last-minute rush, serialising
    them would push on-time sign-ups past the deadline. Two sign-ups of one agency meet at the
    one-live-sign-up constraint instead.
    """
    if connection.vendor == "postgresql":
        return Project.objects.raw(f"SELECT * FROM {Project._meta.db_table} WHERE id = %s FOR SHARE", [pk])[0]
    return Project.objects.select_for_update().get(pk=pk)


@transaction.atomic
def signup_submit(*, project: Project, agency: Agency, actor, quote: Any, proposal=None) -> SignupOutcome:
    """Sign up with a sealed quote: before the deadline, in band, once, and only if the gate allows."""
    if not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权代表该机构报名。"))
    refusal = identity_refusal(agency, pgettext("identity refusal", "报名"))
    if refusal:
        raise ApplicationError(refusal)
    locked = _project_shared(project.pk)
    now = timezone.now()
    if locked.state != Project.State.OPEN or locked.signup_deadline is None:
        raise ApplicationError(_("该项目当前不接受报名（状态：%(state)s）。") % {"state": locked.get_state_display()})
    if now >= locked.signup_deadline:
        raise ApplicationError(
            _("报名已于 %(deadline)s 截止。")
            % {"deadline": timezone.localtime(locked.signup_deadline).strftime("%Y-%m-%d %H:%M:%S")}
        )
    if locked.method == Project.Method.DIRECT and locked.direct_agency_id != agency.pk:
        raise ApplicationError(_("该项目为直接选取，仅限指定机构报名。"))
    value = parse_quote(locked, quote)
    if SignUp.objects.filter(project=locked, agency=agency).exclude(state=SignUp.State.WITHDRAWN).exists():
        raise ApplicationError(_("贵机构已报名该项目，请勿重复提交。"))
    subject = subject_for_agency(agency)
    decision = gate.evaluate(subject, "signup.submit", now, signup_context(locked, agency, now))
    record = decision_record(decision=decision, target=target_label(locked), actor=actor)
    if not decision.allowed:
        return SignupOutcome(None, decision)
    try:
        with transaction.atomic():
            signup = SignUp.objects.create(
                project=locked,
                agency=agency,
                sealed_quote=quote_seal(locked.code, value),
                proposal=proposal or "",
                submitted_by=actor,
                submitted_at=now,
            )
    except IntegrityError:
        raise Conflict(_("贵机构已报名该项目，请勿重复提交。")) from None
    record.target = target_label(signup)
    record.save(update_fields=["target"])
    return SignupOutcome(signup, decision)


def signup_withdraw(*, signup: SignUp, actor) -> TransitionResult:
    """Withdraw before the deadline; after it the sign-up is part of the frozen pool."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=signup.project_id)
        if project.signup_deadline and timezone.now() >= project.signup_deadline:
            raise ApplicationError(_("报名已截止，不能撤回。"))
        return transition_run(obj=signup, name="withdraw", actor=actor, params={"note": _("机构主动撤回")})


def agency_open_signups_withdraw(agency: Agency, *, actor=None, reason: str = "") -> int:
    """On expulsion: withdraw the agency's sign-ups to projects still taking sign-ups."""
    withdrawn = 0
    signups = SignUp.objects.filter(
        agency=agency, state__in=[SignUp.State.SUBMITTED, SignUp.State.ADMITTED], project__state=Project.State.OPEN
    )
    for signup in signups:
        if transition_run(obj=signup, name="withdraw", actor=actor, params={"note": reason}):
            withdrawn += 1
    return withdrawn
