"""Withdrawal of an erroneous credit warning (撤回有误的信用警告) by the supervisor who issued it.

A warning recorded against the wrong agency, or on a mistaken fact, is corrected the way the ledger
corrects everything: a compensating entry stops it counting (the history stays), the measures and
pending prior notices it set off fall with it, and its public notice is withdrawn. Only the issuing
supervisor may do so, within the policy's ``warning_withdraw_working_days``; afterwards the agency's
objection (异议) is the way.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_withdraw
from credit_rules.models import LedgerEntry
from credit_rules.policy import policy_at
from credit_rules.selectors import measures_resting_on
from credit_rules.services import entry_neutralise
from marketplace.calendar import add_working_days
from marketplace.errors import ApplicationError, Conflict

from ...models import WarningWithdrawal
from ..transitions import TransitionResult, transition_run
from .cases import notices_resting_on_drop
from .measures import escalate, membership_sync
from .notices import entry_notice_key


def warning_withdraw_until(entry: LedgerEntry) -> datetime.date:
    """The last day the issuing supervisor may withdraw ``entry`` (the policy in force when it was recorded)."""
    days = policy_at(entry.effective_at).warning_withdraw_working_days
    return add_working_days(timezone.localdate(entry.effective_at), days)


def warning_withdraw_problem(entry: LedgerEntry, actor, at: datetime.datetime | None = None) -> str | None:
    """Why ``actor`` may not withdraw ``entry`` now, in words for people; None when it may."""
    at = at or timezone.now()
    if entry.kind != LedgerEntry.Kind.EVENT or not entry.is_warning:
        return _("只能撤回信用警告。")
    if entry.recorded_by_id != getattr(actor, "pk", None):
        return _("只有发布该警告的监管人员可以撤回；如认为记录有误，请联系发布人，或由机构依法提出异议。")
    if entry.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists():
        return _("该警告已被撤回或撤销，无需再次撤回。")
    until = warning_withdraw_until(entry)
    if timezone.localdate(at) > until:
        return _("撤回期限已过：警告发布后 %(days)s 个工作日内（至 %(until)s）可以撤回；此后请由机构依法提出异议。") % {
            "days": policy_at(entry.effective_at).warning_withdraw_working_days,
            "until": until.isoformat(),
        }
    return None


@transaction.atomic
def warning_withdraw(*, entry: LedgerEntry, actor, reason: str) -> TransitionResult[WarningWithdrawal]:
    """Withdraw an erroneous warning: a compensating entry, the measures resting on it lifted, its notice withdrawn."""
    now = timezone.now()
    entry = LedgerEntry.objects.select_related("subject__agency").get(pk=entry.pk)
    problem = warning_withdraw_problem(entry, actor, now)
    if problem:
        raise ApplicationError(problem)
    if not reason.strip():
        raise ApplicationError({"reason": _("请填写撤回理由。")})
    agency = entry.subject.agency
    if agency is None:  # pragma: no cover - warnings are recorded against agencies only
        raise ApplicationError(_("只能撤回信用警告。"))
    try:
        with transaction.atomic():
            row = WarningWithdrawal.objects.create(agency=agency, entry=entry, reason=reason, requested_by=actor)
    except IntegrityError:  # a second click raced past the check above
        raise Conflict(_("该警告已被撤回或撤销，无需再次撤回。")) from None

    def effects(locked: WarningWithdrawal, _decision) -> None:
        withdrawn = _("警告有误，已由发布人撤回")
        entry_neutralise(entry=entry, reason=LedgerEntry.Reason.WITHDRAWN, actor=actor, note=reason, at=now)
        notice_withdraw(source_key=entry_notice_key(entry), reason=withdrawn)
        for measure in measures_resting_on(entry, now):
            entry_neutralise(entry=measure, reason=LedgerEntry.Reason.WITHDRAWN, actor=actor, note=reason, at=now)
            notice_withdraw(source_key=entry_notice_key(measure), reason=withdrawn)
        notices_resting_on_drop(entry, now, note=_("所依据的信用警告有误，已由发布人撤回，告知的措施不再实施。"))
        escalate(subject=entry.subject, transition="standing.review", context={}, actor=actor, at=now)
        membership_sync(agency, at=now)

    result = transition_run(obj=row, name="withdraw", actor=actor, params={"at": now}, on_done=effects, note=reason)
    if not result.ok:
        # Raising undoes the row made for this attempt: nothing is left half-written.
        raise ApplicationError(result.messages or [_("您无权执行该操作。")])
    return result
