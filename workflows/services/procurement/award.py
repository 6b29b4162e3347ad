"""After the award: the winner confirms or declines, a win is revoked, the next alternate steps up (never a redraw), contracting starts."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules.models import Source
from credit_rules.services import (
    subject_for_agency,
)
from marketplace.errors import ApplicationError

from ...models import Engagement, Project, SignUp
from ..credit.events import credit_event_record
from ..periods import after_days, after_working_days
from ..transitions import TransitionResult, row_reload, transition_run
from .notices import result_notice
from .selection import project_fail


def winner_confirm(*, signup: SignUp, actor) -> TransitionResult:
    """The winner confirms it will sign."""
    return transition_run(obj=signup, name="confirm", actor=actor)


def _next_alternate(project: Project) -> SignUp | None:
    return (
        SignUp.objects.filter(project=project, state=SignUp.State.RANKED)
        .select_related("agency")
        .order_by("rank")
        .first()
    )


def alternate_step_up(project: Project, at: datetime.datetime, reason: str) -> TransitionResult | None:
    """The next-ranked alternate becomes the winner (no redraw); with none left the project fails."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    alternate = _next_alternate(project)
    if alternate is None:
        return project_fail(
            project, _("中选机构%(reason)s，且无排序在后的备选机构，项目流标。") % {"reason": reason}, at
        )
    transition_run(obj=alternate, name="select", actor=None, params={"at": at}, at=at)
    publicity = after_working_days(at, project.publicity_days)
    step = SignUp.objects.filter(project=project, state__in=[SignUp.State.DECLINED, SignUp.State.REVOKED]).count()
    if project.state == Project.State.CONTRACTING:
        transition_run(
            obj=project, name="reopen_award", actor=None, params={"at": at, "publicity_ends_at": publicity}, at=at
        )
    else:
        Project.objects.filter(pk=project.pk).update(publicity_ends_at=publicity)
    row_reload(project)
    ranking = list(SignUp.objects.filter(project=project, rank__isnull=False).select_related("agency").order_by("rank"))
    row_reload(alternate)
    result_notice(project, alternate, ranking, step=step)
    return None


def _winner_rows_lock(signup: SignUp) -> None:
    """Lock the winner's engagement (if any) and project before its sign-up, the order the sweeps use.

    The sweeps claim an engagement or a project first and reach the sign-up after; a decline or a
    revocation taking the sign-up first (then the project, for the alternate) could deadlock with them.
    """
    list(Engagement.objects.select_for_update().filter(signup_id=signup.pk).values_list("pk", flat=True))
    list(Project.objects.select_for_update().filter(pk=signup.project_id).values_list("pk", flat=True))


def winner_decline(*, signup: SignUp, actor, reason: str) -> TransitionResult:
    """The winner gives up the win: it costs credit (无故放弃中选资格) and the alternate steps up."""
    if not reason.strip():
        raise ApplicationError(_("放弃中选资格须说明理由。"))
    now = timezone.now()

    def effects(locked: SignUp, _decision) -> None:
        credit_event_record(
            subject=subject_for_agency(locked.agency),
            code="DECLINE_WIN",
            source=Source.RULE,
            rule_code="CR-SVC-001",
            evidence={
                "summary": f"项目 {locked.project.code} 中选后放弃：{reason[:200]}",
                "project": locked.project.code,
            },
            at=now,
        )
        _terminate_for(locked, _("中选机构放弃中选资格"), now)
        alternate_step_up(locked.project, now, _("放弃中选资格"))

    with transaction.atomic():
        _winner_rows_lock(signup)
        return transition_run(obj=signup, name="decline", actor=actor, params={"note": reason}, at=now, on_done=effects)


def winner_decline_unconfirmed(*, signup: SignUp, at: datetime.datetime) -> TransitionResult:
    """Publicity ended without the winner's confirmation: it counts as giving up the win."""

    def effects(locked: SignUp, _decision) -> None:
        credit_event_record(
            subject=subject_for_agency(locked.agency),
            code="DECLINE_WIN",
            source=Source.RULE,
            rule_code="CR-SVC-001",
            evidence={"summary": f"项目 {locked.project.code} 公示期满未确认中选。", "project": locked.project.code},
            at=at,
        )
        alternate_step_up(locked.project, at, _("公示期满未确认中选"))

    return transition_run(
        obj=signup, name="decline", actor=None, params={"note": _("公示期满未确认中选")}, at=at, on_done=effects
    )


def _terminate_for(signup: SignUp, reason: str, at: datetime.datetime) -> None:
    engagement = Engagement.objects.filter(signup=signup).first()
    if engagement is not None and engagement.state in Engagement.OPEN:
        transition_run(obj=engagement, name="terminate", actor=None, params={"reason": reason}, at=at)


def winner_revoke(
    *, signup: SignUp, reason: str, at: datetime.datetime | None = None, event_code: str = ""
) -> TransitionResult:
    """Revoke the win (撤销中选资格) — a measure since selection, or the contract deadline missed."""
    at = at or timezone.now()

    def effects(locked: SignUp, _decision) -> None:
        if event_code:
            credit_event_record(
                subject=subject_for_agency(locked.agency),
                code=event_code,
                source=Source.RULE,
                rule_code="CR-SVC-002",
                evidence={"summary": f"项目 {locked.project.code}：{reason[:200]}", "project": locked.project.code},
                at=at,
            )
        _terminate_for(locked, reason, at)
        alternate_step_up(locked.project, at, _("被撤销中选资格"))

    with transaction.atomic():
        _winner_rows_lock(signup)
        return transition_run(obj=signup, name="revoke", actor=None, params={"note": reason}, at=at, on_done=effects)


def project_confirm_winner(*, project: Project, actor=None, at: datetime.datetime | None = None) -> TransitionResult:
    """After publicity, with the winner's confirmation, contracting starts (buyer, or the sweep)."""
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

        return transition_run(obj=locked, name="confirm_winner", actor=actor, at=at, on_done=contracting)


def publicity_end(project: Project, now: datetime.datetime) -> None:
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
        project_confirm_winner(project=project, actor=None, at=now)
    else:
        winner_decline_unconfirmed(signup=winner, at=now)
