"""Objections (异议) to a ledger entry: flagged disputed at once, decided within the policy's working days."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_withdraw
from credit_rules.models import LedgerEntry
from credit_rules.policy import policy_at
from credit_rules.selectors import measures_resting_on
from credit_rules.services import (
    dispute_mark,
    entry_neutralise,
)
from marketplace.calendar import add_working_days
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.selectors import acts_for_agency

from ...models import Objection
from ..notifications.dispatch import event_notify_on_commit
from ..transitions import TransitionResult, transition_run
from .cases import case_for_entry, notices_resting_on_drop
from .measures import escalate, membership_sync
from .notices import entry_notice_key


@transaction.atomic
def objection_submit(*, entry: LedgerEntry, actor, reason: str, evidence=None) -> Objection:
    """The agency objects to an entry within the window; it is flagged disputed at once."""
    agency = entry.subject.agency
    if agency is None or not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权对该记录提出异议。"))
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE):
        raise ApplicationError(_("只能对信用事件或信用措施提出异议。"))
    now = timezone.now()
    policy = policy_at(now)
    if now > entry.effective_at + datetime.timedelta(days=policy.objection_window_days):
        raise ApplicationError(
            _("异议期限已过：应在记录生效后 %(days)s 日内提出。") % {"days": policy.objection_window_days}
        )
    if entry.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists():
        raise ApplicationError(_("该记录已被撤销或修复，无需再提出异议。"))
    if Objection.objects.filter(entry=entry, state=Objection.State.SUBMITTED).exists():
        raise ApplicationError(_("该记录已有正在处理的异议，请等待处理结果。"))
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                agency=agency,
                entry=entry,
                reason=reason,
                evidence=evidence or "",
                submitted_by=actor,
                submitted_at=now,
                due_on=add_working_days(timezone.localdate(now), policy.objection_decide_working_days),
            )
    except IntegrityError:  # two submissions raced past the check above; the database kept one
        raise Conflict(_("该记录已有正在处理的异议，请等待处理结果。")) from None
    dispute_mark(entry=entry, opened=True, actor=actor, note=reason[:200])
    case = case_for_entry(entry)
    if case is not None:
        transition_run(obj=case, name="object", actor=None)
    return objection


def objection_decide(*, objection: Objection, actor, overturn: bool, note: str) -> TransitionResult:
    """Uphold the record, or overturn it with a reversal entry; the notice is withdrawn if overturned."""
    now = timezone.now()

    def effects(locked: Objection, _decision) -> None:
        entry = LedgerEntry.objects.select_related("subject__agency").get(pk=locked.entry_id)
        case = case_for_entry(entry)
        if overturn:
            entry_neutralise(entry=entry, reason=LedgerEntry.Reason.OVERTURNED, actor=actor, note=note, at=now)
            notice_withdraw(source_key=entry_notice_key(entry), reason=_("异议成立，已撤销"))
            for measure in measures_resting_on(entry, now):
                entry_neutralise(entry=measure, reason=LedgerEntry.Reason.OVERTURNED, actor=actor, note=note, at=now)
                notice_withdraw(source_key=entry_notice_key(measure), reason=_("异议成立，已撤销"))
            # A measure still under prior notice (失信告知) that rests on the entry is dropped too.
            notices_resting_on_drop(entry, now, note=_("所依据的记录经异议成立已撤销，告知的措施不再实施。"))
            if case is not None:
                transition_run(obj=case, name="overturn", actor=None)
            if entry.subject.agency is not None:
                escalate(subject=entry.subject, transition="standing.review", context={}, actor=actor, at=now)
                membership_sync(entry.subject.agency, at=now)
        else:
            dispute_mark(entry=entry, opened=False, actor=actor, note=note)
            if case is not None:
                transition_run(obj=case, name="uphold", actor=None)

    name = "overturn" if overturn else "uphold"
    result = transition_run(
        obj=objection, name=name, actor=actor, params={"at": now, "user": actor, "note": note}, on_done=effects
    )
    if result.ok:
        event_notify_on_commit("objection_decided", objection.pk)
    return result
