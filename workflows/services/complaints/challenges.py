"""A bidder's challenge (质疑) to a selection result during publicity, the buyer's answer within the policy's
working days, the escalation to a complaint (投诉) and the supervisor's decision.

A pending challenge (or complaint) holds the award where the policy says so: the gate refuses
``project.confirm_winner`` (and the publicity sweep's decline of a silent winner) while one is pending
(the hold rule), the refusal is recorded like any other, and the win is not revoked for it. An upheld
complaint asks the rules what it means for the winner (``challenge.upheld``): the win is revoked through
the existing revocation (the next eligible alternate steps up, or the project fails for the buyer to
relaunch).
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import MeasureKind
from credit_rules.policy import policy_at
from credit_rules.rules.base import code_of
from credit_rules.rules.selection import challenge_pending
from credit_rules.services import subject_for_agency
from marketplace.errors import ApplicationError, Conflict, NotPermitted
from marketplace.models import Agency
from marketplace.selectors import acts_for_agency

from ...models import Challenge, Project, SignUp
from ..credit.events import consequences_record
from ..periods import after_working_days
from ..procurement.revocation import win_revoke
from ..transitions import TransitionResult, target_label, transition_run
from .notices import challenge_decision_notice, reasons_check

HOLD = code_of(challenge_pending)
WINNING = (SignUp.State.SELECTED, SignUp.State.CONFIRMED)


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def challenges_pending(project: Project) -> int:
    """How many challenges or complaints about the project's result are still open (they hold the award)."""
    return Challenge.objects.filter(project=project, state__in=Challenge.PENDING).count()


def award_held(result: TransitionResult) -> bool:
    """The step was refused only because a challenge holds the award: nothing to revoke, it waits."""
    return bool(result.refusals) and all(r.rule_code == HOLD for r in result.refusals)


def challenges_hold_mark(project: Project, at: datetime.datetime) -> int:
    """Note on the pending challenges that the award was held for them (the publicity sweep then waits)."""
    return Challenge.objects.filter(project=project, state__in=Challenge.PENDING, award_held_at__isnull=True).update(
        award_held_at=at
    )


@transaction.atomic
def challenge_file(*, project: Project, agency: Agency, actor, grounds: str, evidence=None) -> Challenge:
    """An agency that signed up files a challenge to the result during publicity; the buyer answers by the due date."""
    if not acts_for_agency(actor, agency):
        raise NotPermitted(_("您无权代表该机构提出质疑。"))
    if not grounds.strip():
        raise ApplicationError({"grounds": _("请写明质疑事项和理由。")})
    now = timezone.now()
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if not SignUp.objects.filter(project=locked, agency=agency).exclude(state=SignUp.State.WITHDRAWN).exists():
        raise ApplicationError(_("只有报名参加本项目的机构可以对中选结果提出质疑。"))
    if locked.state != Project.State.AWARDED or not locked.publicity_ends_at or now >= locked.publicity_ends_at:
        raise ApplicationError(
            _("质疑须在中选结果公示期内提出（本项目公示期至 %(end)s），现已不在公示期内。")
            % {"end": _local(locked.publicity_ends_at)}
        )
    winner = SignUp.objects.filter(project=locked, state__in=WINNING).first()
    if winner is None:
        raise ApplicationError(_("本项目目前没有可质疑的中选结果。"))
    if winner.agency_id == agency.pk:
        raise ApplicationError(_("中选机构不能对自己的中选结果提出质疑。"))
    if Challenge.objects.filter(winner=winner, agency=agency).exists():
        raise ApplicationError(_("贵机构已对本次中选结果提出过质疑，请勿重复提交。"))
    policy = policy_at(now)
    try:
        with transaction.atomic():
            return Challenge.objects.create(
                project=locked,
                winner=winner,
                agency=agency,
                grounds=grounds,
                evidence=evidence or "",
                filed_by=actor,
                filed_at=now,
                answer_due=after_working_days(now, policy.challenge_answer_working_days),
            )
    except IntegrityError:  # a double click raced past the check above; the database kept one
        raise Conflict(_("贵机构已对本次中选结果提出过质疑，请勿重复提交。")) from None


def challenge_answer(*, challenge: Challenge, actor, text: str) -> TransitionResult:
    """The buyer answers the challenge; the challenger may then complain within the policy's working days."""
    if not text.strip():
        raise ApplicationError({"answer": _("请填写答复内容。")})
    now = timezone.now()
    due = after_working_days(now, policy_at(now).complaint_window_working_days)
    return transition_run(
        obj=challenge,
        name="answer_give",
        actor=actor,
        params={"at": now, "user": actor, "text": text, "complaint_due": due},
        at=now,
    )


def challenge_answer_missed(challenge: Challenge, now: datetime.datetime) -> TransitionResult:
    """The deadline sweep: the buyer did not answer in time, so the challenger may complain from now."""
    due = after_working_days(now, policy_at(now).complaint_window_working_days)
    return transition_run(obj=challenge, name="answer_missed", actor=None, params={"complaint_due": due}, at=now)


def challenge_escalate(*, challenge: Challenge, actor, grounds: str, evidence=None) -> TransitionResult:
    """Not satisfied with the answer (or not answered), the challenger complains to the supervisor (投诉)."""
    if not grounds.strip():
        raise ApplicationError({"grounds": _("请写明投诉事项和理由。")})
    now = timezone.now()
    if challenge.state in Challenge.ESCALABLE and challenge.complaint_due and now > challenge.complaint_due:
        raise ApplicationError(
            _("投诉期限已于 %(due)s 届满，不能再提起投诉。") % {"due": _local(challenge.complaint_due)}
        )
    due = after_working_days(now, policy_at(now).complaint_decide_working_days)
    return transition_run(
        obj=challenge,
        name="escalate",
        actor=actor,
        params={"at": now, "grounds": grounds, "evidence": evidence, "decision_due": due},
        at=now,
    )


def challenge_close(challenge: Challenge, now: datetime.datetime) -> TransitionResult:
    """The deadline sweep: the complaint period passed with no complaint; the challenge is closed."""
    return transition_run(obj=challenge, name="close", actor=None, at=now)


def _upheld(actor, at: datetime.datetime):
    """An upheld complaint: the rules say what it means for the win (a revocation), carried out; then the notice."""

    def effects(locked: Challenge, _decision) -> None:
        winner = SignUp.objects.select_related("agency", "project").get(pk=locked.winner_id)
        decision = consequences_record(
            subject=subject_for_agency(winner.agency),
            step="challenge.upheld",
            context={"upheld": True, "project": winner.project.code},
            target=target_label(locked),
            actor=actor,
            at=at,
        )
        for order in decision.measures:
            if order.kind == MeasureKind.REVOKE and winner.state in WINNING:
                reason = _("对中选结果的投诉成立：%(reasons)s") % {"reasons": locked.decision_reasons[:300]}
                win_revoke(winner, rule_code=order.rule_code, reason=reason, at=at, actor=actor)
        challenge_decision_notice(locked)

    return effects


def challenge_decide(*, challenge: Challenge, actor, uphold: bool, reasons: str) -> TransitionResult:
    """The supervisor in scope decides the complaint: upheld (the win is revoked) or dismissed, with published reasons."""
    reasons_check(reasons)
    now = timezone.now()
    params = {"at": now, "user": actor, "reasons": reasons}
    if uphold:
        return transition_run(
            obj=challenge, name="uphold", actor=actor, params=params, at=now, on_done=_upheld(actor, now)
        )
    return transition_run(
        obj=challenge,
        name="dismiss",
        actor=actor,
        params=params,
        at=now,
        on_done=lambda locked, _d: challenge_decision_notice(locked),
    )
