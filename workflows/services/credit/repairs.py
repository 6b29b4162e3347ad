"""Credit repair (信用修复): eligible entries stop counting after the minimum period, on evidence of correction."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request, notice_withdraw
from credit_rules.models import LedgerEntry
from credit_rules.services import (
    entry_neutralise,
)
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.selectors import acts_for_agency

from ...models import RepairRequest
from ..notifications.dispatch import event_notify_on_commit
from ..transitions import TransitionResult, transition_run
from .cases import case_for_entry
from .measures import escalate, membership_sync
from .notices import entry_notice_key, entry_notice_payload


def repair_problem(
    entry: LedgerEntry,
    at: datetime.datetime | None = None,
    *,
    neutralised: bool | None = None,
    open_request: bool | None = None,
) -> str | None:
    """Why an entry cannot be repaired now, or None if it can.

    List pages pass ``neutralised`` and ``open_request`` from data they already loaded, so asking
    for every row of a ledger costs no query; left None, they are looked up.
    """
    at = at or timezone.now()
    if entry.kind not in (LedgerEntry.Kind.EVENT, LedgerEntry.Kind.MEASURE) or (
        entry.kind == LedgerEntry.Kind.EVENT and entry.points >= 0
    ):
        return _("该记录不属于可修复的失信记录。")
    if entry.repairable_after is None:
        return _("该类记录按规定不可修复。")
    if neutralised is None:
        neutralised = entry.followups.filter(kind=LedgerEntry.Kind.NEUTRALISE).exists()
    if neutralised:
        return _("该记录已被撤销或修复。")
    if at < entry.repairable_after:
        return _("须在 %(date)s 之后方可申请修复（最短公示期未满）。") % {
            "date": timezone.localtime(entry.repairable_after).date().isoformat()
        }
    if open_request is None:
        open_request = RepairRequest.objects.filter(entry=entry, state=RepairRequest.State.SUBMITTED).exists()
    if open_request:
        return _("该记录已有正在审核的修复申请。")
    return None


@transaction.atomic
def repair_submit(*, entry: LedgerEntry, actor, correction: str, evidence) -> RepairRequest:
    """The agency applies for repair of an eligible entry after the minimum period, with evidence."""
    agency = entry.subject.agency
    if agency is None or not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权为该记录申请修复。"))
    problem = repair_problem(entry)
    if problem:
        raise ApplicationError(problem)
    try:
        with transaction.atomic():
            return RepairRequest.objects.create(
                agency=agency, entry=entry, correction=correction, evidence=evidence, submitted_by=actor
            )
    except IntegrityError:  # two submissions raced past the check above; the database kept one
        raise Conflict(_("该记录已有正在审核的修复申请。")) from None


def repair_decide(*, request: RepairRequest, actor, approve: bool, note: str) -> TransitionResult:
    """Approve (the entry stops counting, its notice is withdrawn) or refuse a repair."""
    now = timezone.now()

    def effects(locked: RepairRequest, _decision) -> None:
        if not approve:
            return
        entry = LedgerEntry.objects.select_related("subject__agency").get(pk=locked.entry_id)
        repaired = entry_neutralise(entry=entry, reason=LedgerEntry.Reason.REPAIRED, actor=actor, note=note, at=now)
        notice_withdraw(source_key=entry_notice_key(entry), reason=_("信用修复，已撤销公示"))
        notice_request(
            kind="repair",
            source_key=entry_notice_key(repaired),
            payload=entry_notice_payload(repaired, repaired_title=entry.title),
        )
        case = case_for_entry(entry)
        if case is not None:
            transition_run(obj=case, name="repair", actor=None)
        if entry.subject.agency is not None:
            escalate(subject=entry.subject, transition="standing.review", context={}, actor=actor, at=now)
            membership_sync(entry.subject.agency, at=now)

    name = "approve" if approve else "reject"
    result = transition_run(
        obj=request, name=name, actor=actor, params={"at": now, "user": actor, "note": note}, on_done=effects
    )
    if result.ok:
        event_notify_on_commit("repair_decided", request.pk)
    return result
