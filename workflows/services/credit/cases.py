"""Credit cases: due process for a measure — proposed, notified, answered, decided; and the rules' prior notices
(失信告知) taking effect when their response period ends, or falling with the entry they rest on."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import LedgerEntry, MeasureKind, Source
from credit_rules.policy import policy_at
from credit_rules.selectors import rests_on
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.models import Agency
from marketplace.selectors import acts_for_agency

from ...models import CreditCase
from ..notifications.dispatch import event_notify_on_commit
from ..sweeps import sweep_each
from ..transitions import TransitionResult, row_reload, transition_run
from .events import credit_event_record
from .measures import measures_apply
from .prior_notice import notice_order


@transaction.atomic
def case_propose(
    *,
    agency: Agency,
    actor,
    facts: str,
    measure: str = "",
    months: int | None = None,
    ground_code: str = "",
    evidence=None,
) -> CreditCase:
    """A supervisor proposes a measure (or a grave finding) against an agency."""
    if not measure and not ground_code:
        raise ApplicationError(_("请选择拟采取的措施或失信事项。"))
    if measure == MeasureKind.SUSPEND and not (months and 1 <= months <= 3):
        raise ApplicationError(_("暂停期限为 1–3 个月。"))
    case = CreditCase.objects.create(
        agency=agency,
        subject=subject_for_agency(agency),
        measure=measure,
        months=months,
        ground_code=ground_code,
        facts=facts,
        evidence=evidence or "",
        proposed_by=actor,
    )
    return case


def case_notify(*, case: CreditCase, actor) -> TransitionResult:
    """Tell the agency; it may respond within the policy's days."""
    now = timezone.now()
    due = now + datetime.timedelta(days=policy_at(now).case_response_days)
    result = transition_run(obj=case, name="notify", actor=actor, params={"at": now, "response_due": due})
    if result.ok:
        event_notify_on_commit("measure_notice", case.pk)
    return result


@transaction.atomic
def case_respond(*, case: CreditCase, actor, response: str) -> CreditCase:
    """The agency states its case (陈述申辩) before the due date."""
    case = CreditCase.objects.select_for_update().get(pk=case.pk)
    if not acts_for_agency(actor, case.agency):
        raise NotPermitted(_("您无权代表该机构陈述申辩。"))
    if case.state != CreditCase.State.NOTIFIED:
        raise ApplicationError(_("该案件当前不接受陈述申辩。"))
    if case.response_due and timezone.now() > case.response_due:
        raise ApplicationError(
            _("陈述申辩期限已过（截止 %(due)s）。")
            % {"due": timezone.localtime(case.response_due).strftime("%Y-%m-%d %H:%M")}
        )
    CreditCase.objects.filter(pk=case.pk).update(agency_response=response, responded_at=timezone.now())
    row_reload(case)
    return case


def case_hearing_pending(case: CreditCase, now: datetime.datetime) -> str | None:
    """Due process: why a measure cannot be applied yet (the agency may still be heard), or None.

    A notified agency is heard before a measure is applied: the supervisor decides once its
    statement (陈述申辩) is in or the response period has run out. Dismissing is always possible.
    """
    if (
        case.state == CreditCase.State.NOTIFIED
        and not case.responded_at
        and case.response_due
        and now < case.response_due
    ):
        return _("陈述申辩期至 %(due)s，机构尚未陈述申辩；期满或收到申辩意见后方可作出实施决定。") % {
            "due": timezone.localtime(case.response_due).strftime("%Y-%m-%d %H:%M")
        }
    return None


@transaction.atomic
def case_decide(*, case: CreditCase, actor, apply: bool, note: str) -> TransitionResult:
    """Apply the measure or dismiss the case; two supervisors at once give exactly one effect.

    Applying while the agency may still respond is refused (``ApplicationError``), whoever calls.
    """
    now = timezone.now()
    if apply:
        # Read under the lock, so a statement committed a moment ago counts.
        pending = case_hearing_pending(CreditCase.objects.select_for_update().get(pk=case.pk), now)
        if pending:
            raise ApplicationError(pending)
    if not apply:
        return transition_run(obj=case, name="dismiss", actor=actor, params={"at": now, "user": actor, "note": note})
    return _case_apply(case, actor=actor, note=note, now=now)


def _case_apply(case: CreditCase, *, actor, note: str, now: datetime.datetime) -> TransitionResult:
    """Fire ``apply``: the ground event goes to the ledger if there is one, then the measure — a supervisor's case's
    as the rule for decided cases orders it, a rule's notice's as that rule ordered it, under its code — and the
    case keeps the measure's entry."""
    locked_case = CreditCase.objects.get(pk=case.pk)
    policy = policy_at(now)
    months = locked_case.months or (policy.reentry_bar_months if locked_case.measure == MeasureKind.EXPEL else None)

    def effects(locked: CreditCase, decision) -> None:
        subject = locked.subject
        evidence: dict = {"summary": locked.facts[:300], "case": locked.pk}
        entries: list[LedgerEntry] = []
        if locked.ground_code:
            entries.append(
                credit_event_record(
                    subject=subject,
                    code=locked.ground_code,
                    source=Source.SUPERVISOR,
                    actor=actor,
                    evidence=evidence,
                    heard=True,  # the agency was heard on this finding: what it sets off needs no second notice
                )
            )
        orders = list(decision.measures)
        if locked.is_automatic:
            # The rule's order, ordered at the notice's moment and set off by its entry (it falls with that entry).
            orders = [notice_order(locked, policy)]
            evidence.update(trigger_entry=locked.trigger_entry_id, ordered_at=locked.proposed_at.isoformat())
        if orders:
            entries += measures_apply(
                subject=subject,
                orders=orders,
                actor=actor,
                source=Source.RULE if locked.is_automatic else Source.SUPERVISOR,
                evidence=evidence,
                at=now,
            )
        measure_entry = next((e for e in entries if e.kind == LedgerEntry.Kind.MEASURE), None)
        if measure_entry:
            CreditCase.objects.filter(pk=locked.pk).update(measure_entry=measure_entry)

    return transition_run(
        obj=case,
        name="apply",
        actor=actor,
        context={"measure": locked_case.measure, "months": months, "rule_code": locked_case.rule_code},
        params={"at": now, "user": actor, "note": note},
        at=now,
        on_done=effects,
    )


def notices_take_effect(now: datetime.datetime | None = None, batch: int = 200) -> int:
    """The credit sweep's step: rules' notices whose response period ended unanswered take effect.

    A notice the agency answered waits for a supervisor's decision; one dropped meanwhile is not due.
    """
    now = now or timezone.now()
    due = CreditCase.objects.filter(
        state=CreditCase.State.NOTIFIED, responded_at__isnull=True, response_due__lte=now
    ).exclude(rule_code="")
    note = _("陈述申辩期满，机构未陈述申辩，措施按规则生效。")
    return sweep_each(
        due.order_by("response_due", "pk"), lambda c: _case_apply(c, actor=None, note=note, now=now), batch
    )


def notices_resting_on_drop(entry: LedgerEntry, at: datetime.datetime, *, note: str) -> int:
    """Drop the rules' notices still pending that rest on ``entry``, now overturned (see ``rests_on``)."""
    dropped = 0
    pending = CreditCase.objects.filter(subject_id=entry.subject_id, state__in=CreditCase.OPEN).exclude(rule_code="")
    for case in pending.order_by("pk"):
        if rests_on(entry, rule_code=case.rule_code, trigger=case.trigger_entry_id, ordered_at=case.proposed_at, at=at):
            result = transition_run(obj=case, name="dismiss", actor=None, params={"at": at, "user": None, "note": note})
            dropped += result.ok
    return dropped


def case_for_entry(entry: LedgerEntry) -> CreditCase | None:
    return CreditCase.objects.filter(measure_entry=entry).first()
