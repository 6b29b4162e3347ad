"""Selection (选取): freeze the pool at sign-up close, rank by the declared method, award, and let the
alternate step up when the winner declines or is revoked — never a redraw."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.services import notice_request
from credit_rules import gate
from credit_rules.models import CreditSubject, Source
from credit_rules.services import decision_record, subject_for_agency

from .. import draw
from ..models import Engagement, Project, ProposalMark, SignUp
from .credit import credit_event_record
from .periods import after_days, after_working_days
from .projects import project_snapshot, termination_notice
from .sealing import quote_open
from .signups import signup_context
from .transitions import TransitionResult, row_reload, target_label, transition_run

HOW_TO_OBJECT_RESULT = (
    "对中选结果有异议的，可在公示期内向项目业主或平台运营机构书面提出；抽取结果可凭公示的证明文件自行验证。"
)


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
    """Weighted sum of price, credit and proposal marks (each normalised to its weight)."""
    marks: dict[int, list[Decimal]] = {}
    for m in ProposalMark.objects.filter(signup__in=signups):
        marks.setdefault(m.signup_id, []).append(m.mark)
    prices = [(-_quote(s) if project.quote_kind == Project.QuoteKind.RATE else _quote(s)) for s in signups]
    best_price = min(prices)
    best_credit = max((s.credit_score or 0) for s in signups) or 1
    for s, price in zip(signups, prices, strict=True):
        if project.quote_kind == Project.QuoteKind.RATE:
            top = max(_quote(x) for x in signups)
            price_part = (_quote(s) / top) if top else Decimal(1)
        else:
            price_part = best_price / price if price else Decimal(1)
        proposal = sum(marks.get(s.pk, [])) / len(marks[s.pk]) / 100 if marks.get(s.pk) else Decimal(0)
        s.score = (
            price_part * project.weight_price + Decimal(s.credit_score or 0) / best_credit * project.weight_credit
        ) + Decimal(proposal) * project.weight_proposal
        s.score = s.score.quantize(Decimal("0.001"))

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


def result_notice(project: Project, winner: SignUp, ranking: list[SignUp], *, step: int = 0) -> None:
    """中选结果公示, with the draw proof or the ranking; a step-up publishes its own notice."""
    notice_request(
        kind="result",
        source_key=f"project:{project.code}:result:{step}",
        payload={
            "title": f"{project.name}中选结果公示" + ("（递补）" if step else ""),
            **project_snapshot(project),
            "winner": {"name": winner.agency.name, "uscc": winner.agency.uscc, "quote": str(winner.quote)},
            "ranking": [
                {"rank": s.rank, "name": s.agency.name, "uscc": s.agency.uscc, "score": str(s.score or "")}
                for s in ranking
            ],
            "proof_url": f"/draws/{project.code}.json" if project.draw_proof else "",
            "publicity_ends_at": timezone.localtime(project.publicity_ends_at).isoformat()
            if project.publicity_ends_at
            else "",
            "how_to_object": HOW_TO_OBJECT_RESULT,
        },
    )


def _fail(project: Project, reason: str, at: datetime.datetime) -> TransitionResult:
    def publish(locked: Project, _decision) -> None:
        termination_notice(locked, reason, "流标")

    return transition_run(
        obj=project, name="fail", actor=None, params={"at": at, "reason": reason}, at=at, on_done=publish
    )


def _award(project: Project, ranked: list[SignUp], proof: dict | None, at: datetime.datetime) -> TransitionResult:
    for position, signup in enumerate(ranked, start=1):
        transition_run(obj=signup, name="rank_at", actor=None, params={"rank": position, "score": signup.score}, at=at)
    transition_run(obj=ranked[0], name="select", actor=None, params={"at": at}, at=at)
    publicity = after_working_days(at, project.publicity_days)

    def publish(locked: Project, _decision) -> None:
        fresh = list(
            SignUp.objects.filter(project=locked, rank__isnull=False).select_related("agency").order_by("rank")
        )
        result_notice(locked, fresh[0], fresh)

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
            _fail(
                locked,
                _("有效报名 %(n)s 家，少于%(method)s所需的 %(min)s 家，项目流标。")
                % {"n": admitted, "method": locked.get_method_display(), "min": locked.min_signups},
                now,
            )
            return
        selection_run(locked, now)

    return transition_run(obj=project, name="close_signup", actor=None, at=now, on_done=freeze)


@transaction.atomic
def proposal_mark(*, signup: SignUp, actor, mark: Decimal, note: str = "") -> ProposalMark:
    """A buyer's scorer records a proposal mark (0–100) in a scored comparison, after the deadline."""
    project = Project.objects.select_for_update().get(pk=signup.project_id)
    if not actor.has_perm("marketplace.act_for_buyerunit", project.buyer):
        raise PermissionError(_("您无权为该项目评分。"))
    if project.state != Project.State.SELECTING or project.method != Project.Method.SCORED:
        raise ValidationError(_("该项目当前不在比选评分阶段。"))
    if signup.state != SignUp.State.ADMITTED:
        raise ValidationError(_("只能对有效报名评分。"))
    if not (Decimal(0) <= mark <= Decimal(100)):
        raise ValidationError(_("方案得分须在 0 到 100 之间。"))
    result, _created = ProposalMark.objects.update_or_create(
        signup=signup, scorer=actor, defaults={"mark": mark, "note": note, "at": timezone.now()}
    )
    return result


def scored_finish(*, project: Project, actor) -> TransitionResult | None:
    """The buyer closes scoring; the ranking is computed and published."""
    if not actor.has_perm("marketplace.act_for_buyerunit", project.buyer):
        raise PermissionError(_("您无权操作该项目。"))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.state != Project.State.SELECTING:
            raise ValidationError(_("该项目当前不在比选评分阶段。"))
        admitted = list(SignUp.objects.filter(project=locked, state=SignUp.State.ADMITTED))
        if not _marks_complete(locked, admitted):
            raise ValidationError(_("尚有报名方案未评分。"))
        return selection_run(locked, timezone.now())


# --- after the award -------------------------------------------------------------------------------


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
        return _fail(project, _("中选机构%(reason)s，且无排序在后的备选机构，项目流标。") % {"reason": reason}, at)
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
        raise ValidationError(_("放弃中选资格须说明理由。"))
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
            raise ValidationError(
                _("公示期至 %(end)s，期满后方可确认中选。")
                % {"end": timezone.localtime(locked.publicity_ends_at).strftime("%Y-%m-%d %H:%M")}
            )
        winner = SignUp.objects.filter(project=locked, state=SignUp.State.CONFIRMED).select_related("agency").first()
        if winner is None:
            raise ValidationError(_("中选机构尚未确认中选。"))

        def contracting(p: Project, _decision) -> None:
            Engagement.objects.create(
                project=p,
                agency=winner.agency,
                signup=winner,
                amount=winner.quote if p.quote_kind == Project.QuoteKind.AMOUNT else None,
                contract_due=after_days(at, p.contract_days),
            )

        return transition_run(obj=locked, name="confirm_winner", actor=actor, at=at, on_done=contracting)


def selection_summary(project: Project) -> dict[str, Any]:
    """Counts for pages: sign-ups by state (quotes are never part of it)."""
    from django.db.models import Count

    return dict(SignUp.objects.filter(project=project).values_list("state").annotate(n=Count("pk")))
