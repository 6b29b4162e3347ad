"""Selection (选取): freeze the pool at sign-up close, rank by the declared method, award; or fail (流标) with too few."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit_rules import gate
from credit_rules.models import CreditSubject
from credit_rules.services import (
    decision_record,
    subject_for_agency,
)
from marketplace.errors import ApplicationError, NotPermitted
from marketplace.selectors import acts_for_buyer_unit

from ... import draw
from ...models import Project, ProposalMark, SignUp
from ...scoring import score_parts
from ...selectors.facts import signup_context
from ...selectors.scoring import proposal_marks
from ..notifications.dispatch import event_notify_on_commit
from ..periods import after_working_days
from ..transitions import TransitionResult, target_label, transition_run
from .notices import result_notice, termination_notice
from .sealing import quote_open


def _quote(s: SignUp) -> Decimal:
    """The opened quote of a sign-up in the frozen pool (``admit`` sets it for every one ranked)."""
    assert s.quote is not None, f"sign-up {s.pk} is ranked without an opened quote"
    return s.quote


def _pool(signups: list[SignUp]) -> list[tuple[str, str]]:
    return [(s.agency.uscc, s.agency.name) for s in signups]


def _rank_draw(project: Project, signups: list[SignUp], secret: bytes) -> tuple[list[SignUp], dict]:
    proof = draw.proof_build(project.code, _pool(signups), secret, project.draw_beacon)
    by_uscc = {s.agency.uscc: s for s in signups}
    return [by_uscc[u] for u in proof["ranking"]], proof


def _rank_price(project: Project, signups: list[SignUp], secret: bytes) -> tuple[list[SignUp], dict | None]:
    """Lowest price first (highest discount rate for 下浮率); ties to the green channel, then the
    higher credit score, then a verifiable draw among those still tied."""
    subjects = {
        s.agency_id: s
        for s in CreditSubject.objects.filter(agency_id__in=[x.agency_id for x in signups]).only(
            "agency_id", "is_rewarded"
        )
    }

    def price_key(s: SignUp) -> Decimal:
        return -_quote(s) if project.quote_kind == Project.QuoteKind.RATE else _quote(s)

    def tie_key(s: SignUp) -> tuple:
        subject = subjects.get(s.agency_id)
        rewarded = subject.is_rewarded if subject is not None else False
        return (price_key(s), not rewarded, -(s.credit_score or 0))

    ordered = sorted(signups, key=tie_key)
    groups: dict[tuple, list[SignUp]] = {}
    for s in ordered:
        groups.setdefault(tie_key(s), []).append(s)
    ranking: list[SignUp] = []
    proof = None
    for key in sorted(groups):
        group = groups[key]
        if len(group) > 1:
            if proof is None:
                # One verifiable draw breaks the first tie that matters; later ties reuse its ranking.
                group, proof = _rank_draw(project, group, secret)
            else:
                order = {u: i for i, u in enumerate(proof["ranking"])}
                group = sorted(group, key=lambda s: (order.get(s.agency.uscc, len(order)), s.agency.uscc))
        ranking += group
    return ranking, proof


def _rank_scored(project: Project, signups: list[SignUp], secret: bytes) -> tuple[list[SignUp], dict | None]:
    """Weighted sum of price, credit and proposal marks (each normalised to its weight: ``scoring.score_parts``)."""
    for s in signups:
        _quote(s)
    parts = score_parts(project, signups, proposal_marks(signups))
    for s in signups:
        s.score = parts[s.pk].total

    def score_key(s: SignUp) -> tuple[Decimal, int]:
        assert s.score is not None  # set just above for every sign-up in the pool
        return (-s.score, -(s.credit_score or 0))

    ordered = sorted(signups, key=score_key)
    groups: dict[tuple, list[SignUp]] = {}
    for s in ordered:
        groups.setdefault(score_key(s), []).append(s)
    ranking: list[SignUp] = []
    proof = None
    for key in sorted(groups):
        group = groups[key]
        if len(group) > 1 and proof is None:
            group, proof = _rank_draw(project, group, secret)
        ranking += group
    return ranking, proof


Ranker = Callable[[Project, list[SignUp], bytes], tuple[list[SignUp], dict | None]]


RANKERS: dict[str, Ranker] = {
    Project.Method.DRAW: _rank_draw,
    Project.Method.PRICE: _rank_price,
    Project.Method.SCORED: _rank_scored,
}


def project_fail(project: Project, reason: str, at: datetime.datetime) -> TransitionResult:
    def publish(locked: Project, _decision) -> None:
        termination_notice(locked, reason, "流标")

    return transition_run(
        obj=project, name="fail", actor=None, params={"at": at, "reason": reason}, at=at, on_done=publish
    )


def refusal_note(reasons) -> str:
    """The gate's refusal as one line for a note: each rule code and message."""
    return "；".join(f"{r.rule_code} {r.message}" for r in reasons)


def winner_select(project: Project, at: datetime.datetime) -> SignUp | None:
    """The next-ranked sign-up the gate lets win becomes the winner; those it refuses are passed over.

    Each refusal is kept (the decision record and the transition log of ``signup.select``, and the
    reason on the passed-over sign-up); there is never a redraw. None when no ranked sign-up is left.
    """
    while True:
        candidate = (
            SignUp.objects.filter(project=project, state=SignUp.State.RANKED)
            .select_related("agency", "project")
            .order_by("rank")
            .first()
        )
        if candidate is None:
            return None
        result = transition_run(obj=candidate, name="select", actor=None, params={"at": at}, at=at)
        if result.ok:
            event_notify_on_commit("win", result.obj.pk)
            return result.obj
        transition_run(
            obj=candidate, name="pass_over", actor=None, params={"note": refusal_note(result.refusals)}, at=at
        )


def _award(project: Project, ranked: list[SignUp], proof: dict | None, at: datetime.datetime) -> TransitionResult:
    for position, signup in enumerate(ranked, start=1):
        transition_run(obj=signup, name="rank_at", actor=None, params={"rank": position, "score": signup.score}, at=at)
    winner = winner_select(project, at)
    if winner is None:
        return project_fail(project, _("排名在前的机构均未通过中选时的信用审查，无可中选的机构，项目流标。"), at)
    publicity = after_working_days(at, project.publicity_days)

    def publish(locked: Project, _decision) -> None:
        ranking = list(
            SignUp.objects.filter(project=locked, rank__isnull=False).select_related("agency").order_by("rank")
        )
        result_notice(locked, next(s for s in ranking if s.pk == winner.pk), ranking)

    return transition_run(
        obj=project,
        name="award",
        actor=None,
        params={"at": at, "publicity_ends_at": publicity, "proof": proof},
        at=at,
        on_done=publish,
    )


def selection_run(project: Project, at: datetime.datetime) -> TransitionResult | None:
    """Rank the frozen pool by the declared method and award (scored comparisons wait for marks)."""
    admitted = list(
        SignUp.objects.filter(project=project, state=SignUp.State.ADMITTED).select_related("agency").order_by("pk")
    )
    if project.method == Project.Method.DIRECT:
        return _award(project, admitted, None, at)
    if project.method == Project.Method.SCORED and not _marks_complete(project, admitted):
        return None
    ranked, proof = RANKERS[project.method](project, admitted, bytes.fromhex(project.draw_secret))
    return _award(project, ranked, proof, at)


def _marks_complete(project: Project, admitted: list[SignUp]) -> bool:
    if project.weight_proposal == 0:
        return True
    marked = set(ProposalMark.objects.filter(signup__in=admitted).values_list("signup_id", flat=True))
    return all(s.pk in marked for s in admitted)


def too_few_reason(project: Project, admitted: int) -> str:
    """Why a project with too few eligible sign-ups fails (流标), as its termination notice publishes it."""
    return _("有效报名 %(n)s 家，少于%(method)s所需的 %(min)s 家，项目流标。") % {
        "n": admitted,
        "method": project.get_method_display(),
        "min": project.min_signups,
    }


@transaction.atomic
def signup_close(project: Project, now: datetime.datetime | None = None) -> TransitionResult:
    """At the deadline: re-check and freeze the pool, fail (流标) if too few, else run the method."""
    now = now or timezone.now()

    def freeze(locked: Project, _decision) -> None:
        pending = list(SignUp.objects.filter(project=locked, state=SignUp.State.SUBMITTED).select_related("agency"))
        admitted = 0
        for signup in pending:
            subject = subject_for_agency(signup.agency)
            decision = gate.evaluate(subject, "signup.admit", now, signup_context(locked, signup.agency, now))
            decision_record(decision=decision, target=target_label(signup))
            if decision.allowed:
                quote = quote_open(locked, signup.sealed_quote, now)
                transition_run(
                    obj=signup, name="admit", actor=None, params={"quote": quote, "credit_score": subject.score}, at=now
                )
                admitted += 1
            else:
                note = "；".join(f"{r.rule_code} {r.message}" for r in decision.refusals)
                transition_run(obj=signup, name="reject", actor=None, params={"note": note}, at=now)
        if admitted < locked.min_signups:
            project_fail(locked, too_few_reason(locked, admitted), now)
            return
        selection_run(locked, now)

    return transition_run(obj=project, name="close_signup", actor=None, at=now, on_done=freeze)


@transaction.atomic
def proposal_mark(*, signup: SignUp, actor, mark: Decimal, note: str = "") -> ProposalMark:
    """A buyer's scorer records a proposal mark (0–100) in a scored comparison, after the deadline."""
    project = Project.objects.select_for_update().get(pk=signup.project_id)
    if not acts_for_buyer_unit(actor, project.buyer):
        raise NotPermitted(_("您无权为该项目评分。"))
    if project.state != Project.State.SELECTING or project.method != Project.Method.SCORED:
        raise ApplicationError(_("该项目当前不在比选评分阶段。"))
    if signup.state != SignUp.State.ADMITTED:
        raise ApplicationError(_("只能对有效报名评分。"))
    if not (Decimal(0) <= mark <= Decimal(100)):
        raise ApplicationError(_("方案得分须在 0 到 100 之间。"))
    result, _created = ProposalMark.objects.update_or_create(
        signup=signup, scorer=actor, defaults={"mark": mark, "note": note, "at": timezone.now()}
    )
    return result


def scored_finish(*, project: Project, actor) -> TransitionResult | None:
    """The buyer closes scoring; the ranking is computed and published."""
    if not acts_for_buyer_unit(actor, project.buyer):
        raise NotPermitted(_("您无权操作该项目。"))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.state != Project.State.SELECTING:
            raise ApplicationError(_("该项目当前不在比选评分阶段。"))
        admitted = list(SignUp.objects.filter(project=locked, state=SignUp.State.ADMITTED))
        if not _marks_complete(locked, admitted):
            raise ApplicationError(_("尚有报名方案未评分。"))
        return selection_run(locked, timezone.now())
