"""After the award: the winner confirms or declines, the buyer (or the sweep) confirms the result and
contracting starts.

Confirming is gated twice — the winner's own confirmation and the confirmation of the result both
ask the gate about the winner's standing in force at that moment. A refusal after the award means the
win cannot go on: it is revoked (撤销中选资格, a measure of the ladder) and the next eligible alternate
steps up (``revocation``).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.gate import Decision
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError

from ...models import Engagement, Project, SignUp
from ..complaints.challenges import award_held, challenges_hold_mark, challenges_pending
from ..credit.events import decision_events_record
from ..periods import after_days
from ..transitions import TransitionResult, transition_run
from .revocation import alternate_step_up, engagement_stop, win_revoke, winner_rows_lock
from .selection import refusal_note


def revoking_rule(decision: Decision) -> str:
    """The rule a refused post-award step revokes the win under: the one that ordered it, else the first refusal."""
    ordered = next((m.rule_code for m in decision.measures if m.kind == "revoke"), None)
    return ordered or decision.refusals[0].rule_code


def refused_win_revoke(signup: SignUp, result: TransitionResult, at: datetime.datetime) -> None:
    """A credit refusal after the award: the win is revoked under the refusing rule, with its reasons."""
    if result.decision is not None and result.refusals:
        win_revoke(signup, rule_code=revoking_rule(result.decision), reason=refusal_note(result.refusals), at=at)


def winner_confirm(*, signup: SignUp, actor) -> TransitionResult:
    """The winner confirms it will sign; under a measure in force (or at its cap) the win is revoked instead."""
    at = timezone.now()
    # Only the sign-up is locked to confirm, as the publicity sweep expects (it holds the project, then
    # waits for this row). A refusal is revoked after, in its own transaction taking the rows in the
    # sweeps' order (engagement, project, sign-up).
    result = transition_run(obj=signup, name="confirm", actor=actor, at=at)
    refused_win_revoke(signup, result, at)
    return result


def _declined(reason: str, at: datetime.datetime):
    """The side effects of a decline: the rules' record (无故放弃中选资格), the engagement ended, the alternate."""

    def effects(locked: SignUp, decision: Decision) -> None:
        decision_events_record(
            decision, subject=subject_for_agency(locked.agency), evidence={"project": locked.project.code}
        )
        engagement_stop(locked, _("中选机构放弃中选资格"), at)
        alternate_step_up(locked.project, at, reason)

    return effects


def winner_decline(*, signup: SignUp, actor, reason: str) -> TransitionResult:
    """The winner gives up the win: it costs credit (无故放弃中选资格) and the alternate steps up."""
    if not reason.strip():
        raise ApplicationError(_("放弃中选资格须说明理由。"))
    now = timezone.now()
    with transaction.atomic():
        winner_rows_lock(signup)
        return transition_run(
            obj=signup,
            name="decline",
            actor=actor,
            context={"reason": reason[:200]},
            params={"note": reason},
            at=now,
            on_done=_declined(_("放弃中选资格"), now),
        )


def winner_decline_unconfirmed(*, signup: SignUp, at: datetime.datetime) -> TransitionResult:
    """Publicity ended without the winner's confirmation: it counts as giving up the win."""
    note = _("公示期满未确认中选")
    return transition_run(
        obj=signup,
        name="decline",
        actor=None,
        context={"reason": note, "challenges_pending": challenges_pending(signup.project)},
        params={"note": note},
        at=at,
        on_done=_declined(note, at),
    )


def project_confirm_winner(*, project: Project, actor=None, at: datetime.datetime | None = None) -> TransitionResult:
    """After publicity, with the winner's confirmation, contracting starts (buyer, or the sweep).

    The winner's standing is checked again now: under a measure in force the win is revoked and the
    next eligible alternate steps up with its own publicity.
    """
    at = at or timezone.now()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.publicity_ends_at and at < locked.publicity_ends_at:
            raise ApplicationError(
                _("公示期至 %(end)s，期满后方可确认中选。")
                % {"end": timezone.localtime(locked.publicity_ends_at).strftime("%Y-%m-%d %H:%M")}
            )
        winner = SignUp.objects.filter(project=locked, state=SignUp.State.CONFIRMED).select_related("agency").first()
        if winner is None:
            raise ApplicationError(_("中选机构尚未确认中选。"))

        def contracting(p: Project, _decision) -> None:
            Engagement.objects.create(
                project=p,
                agency=winner.agency,
                signup=winner,
                amount=winner.quote if p.quote_kind == Project.QuoteKind.AMOUNT else None,
                contract_due=after_days(at, p.contract_days),
            )

        result = transition_run(
            obj=locked,
            name="confirm_winner",
            actor=actor,
            at=at,
            context={"challenges_pending": challenges_pending(locked)},
            on_done=contracting,
        )
        if not award_held(result):
            refused_win_revoke(winner, result, at)
        return result


def publicity_end(project: Project, now: datetime.datetime) -> None:
    """Publicity is over: a confirmed winner goes on to contracting; a silent one is taken to have declined."""
    # Lock the winner before reading its state: a confirmation committing meanwhile must be seen, or a
    # winner who confirmed in time would be declined as silent (losing credit and the win).
    winner = (
        SignUp.objects.select_for_update()
        .filter(project=project, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
        .first()
    )
    if winner is None:
        return
    if winner.state == SignUp.State.CONFIRMED:
        result = project_confirm_winner(project=project, actor=None, at=now)
    else:
        result = winner_decline_unconfirmed(signup=winner, at=now)
    if award_held(result):  # a pending challenge holds the award: recorded once, then the sweep waits
        challenges_hold_mark(project, now)
