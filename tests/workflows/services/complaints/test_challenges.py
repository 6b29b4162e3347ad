"""Challenges (质疑) to a selection result and their complaints (投诉): filing during publicity only, by a
bidder, once; the buyer's answer and its deadline; escalation; a pending challenge holding the award
through the gate; an upheld complaint revoking the win through the existing revocation."""

from __future__ import annotations

import pytest

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry, MeasureKind
from marketplace.errors import ApplicationError, NotPermitted
from tests.factories import AgencyFactory, agency_user, awarded_project, supervisor_user, winner_confirmed
from tests.helpers import after, clock, pdf_file, refetch
from workflows.models import Challenge, Project, SignUp, TransitionLog
from workflows.services.complaints import challenges as services
from workflows.services.deadlines import deadlines_sweep

pytestmark = pytest.mark.django_db

GROUNDS = "中选机构的资质证书已过期，不符合项目资质要求。"


def _loser(project, pool):
    """A bidder that did not win, and its user."""
    winner = project.signups.get(state__in=["selected", "confirmed"])
    return next((a, u) for a, u in pool if a != winner.agency)


def _filed(project, pool) -> Challenge:
    agency, user = _loser(project, pool)
    return services.challenge_file(
        project=project, agency=agency, actor=user, grounds=GROUNDS, evidence=pdf_file("evidence.pdf")
    )


def test_a_bidder_files_a_challenge_during_publicity_with_its_evidence_and_a_working_day_deadline():
    project, pool = awarded_project()
    challenge = _filed(project, pool)
    assert challenge.state == Challenge.State.FILED
    assert challenge.evidence.name.startswith("evidence/challenge/")
    assert challenge.answer_due > challenge.filed_at
    assert challenge.winner == project.signups.get(state="selected")


def test_a_challenge_after_publicity_is_refused_with_a_clear_message():
    project, pool = awarded_project()
    agency, user = _loser(project, pool)
    with clock(after(project.publicity_ends_at)), pytest.raises(ApplicationError) as refused:
        services.challenge_file(project=project, agency=agency, actor=user, grounds=GROUNDS)
    assert "公示期内" in refused.value.messages[0]
    assert not Challenge.objects.exists()


def test_a_second_challenge_by_the_same_bidder_is_refused():
    project, pool = awarded_project()
    _filed(project, pool)
    with pytest.raises(ApplicationError) as refused:
        _filed(project, pool)
    assert "请勿重复提交" in refused.value.messages[0]
    assert Challenge.objects.count() == 1


def test_an_agency_that_did_not_sign_up_cannot_challenge():
    project, _pool = awarded_project()
    outsider = AgencyFactory()
    user = agency_user(outsider)
    with pytest.raises(ApplicationError) as refused:
        services.challenge_file(project=project, agency=outsider, actor=user, grounds=GROUNDS)
    assert "报名参加本项目" in refused.value.messages[0]
    assert not Challenge.objects.exists()


def test_staff_of_another_agency_cannot_file_for_a_bidder():
    project, pool = awarded_project()
    agency, _user = _loser(project, pool)
    with pytest.raises(NotPermitted):
        services.challenge_file(project=project, agency=agency, actor=agency_user(), grounds=GROUNDS)


def test_the_winner_cannot_challenge_its_own_win():
    project, pool = awarded_project()
    winner = project.signups.get(state="selected")
    user = next(u for a, u in pool if a == winner.agency)
    with pytest.raises(ApplicationError):
        services.challenge_file(project=project, agency=winner.agency, actor=user, grounds=GROUNDS)


def test_a_pending_challenge_holds_the_award_through_the_gate_and_the_sweep_then_waits():
    project, pool = awarded_project()
    winner, _user = winner_confirmed(project, pool)
    challenge = _filed(project, pool)
    report = deadlines_sweep(after(project.publicity_ends_at))
    assert report["publicity_ended"] == 1
    assert refetch(project).state == Project.State.AWARDED
    assert refetch(winner).state == SignUp.State.CONFIRMED  # held, not revoked
    refused = TransitionLog.objects.get(transition="confirm_winner", outcome="refused_credit")
    assert refused.decision.reasons[0]["rule"] == services.HOLD
    assert refetch(challenge).award_held_at is not None
    # the hold is recorded once: the next sweep leaves the project alone
    assert deadlines_sweep(after(project.publicity_ends_at, 5))["publicity_ended"] == 0
    assert DecisionRecord.objects.filter(allowed=False).count() == 1


def test_once_answered_the_award_goes_on():
    project, pool = awarded_project()
    winner_confirmed(project, pool)
    challenge = _filed(project, pool)
    buyer = project.created_by
    assert services.challenge_answer(challenge=challenge, actor=buyer, text="经核查，资质证书在有效期内。").ok
    deadlines_sweep(after(project.publicity_ends_at))
    assert refetch(project).state == Project.State.CONTRACTING


def test_an_unconfirmed_winner_is_not_declined_while_a_challenge_is_pending():
    project, pool = awarded_project()
    _filed(project, pool)
    deadlines_sweep(after(project.publicity_ends_at))
    assert project.signups.filter(state="selected").exists()
    assert not LedgerEntry.objects.filter(code="DECLINE_WIN").exists()


def test_no_hold_where_the_policy_says_so():
    from credit_rules.policy import policy_at, policy_cache_clear

    project, pool = awarded_project()
    winner_confirmed(project, pool)
    _filed(project, pool)
    type(policy_at().version).objects.update(challenge_holds_award=False)
    policy_cache_clear()
    deadlines_sweep(after(project.publicity_ends_at))
    assert refetch(project).state == Project.State.CONTRACTING


def test_only_the_buyer_of_the_project_answers():
    project, pool = awarded_project()
    challenge = _filed(project, pool)
    result = services.challenge_answer(challenge=challenge, actor=agency_user(), text="答复")
    assert not result.ok
    assert refetch(challenge).state == Challenge.State.FILED


def test_the_buyer_missing_the_answer_deadline_lets_the_challenger_complain():
    project, pool = awarded_project()
    challenge = _filed(project, pool)
    report = deadlines_sweep(after(challenge.answer_due))
    assert report["challenge_answer_missed"] == 1
    challenge = refetch(challenge)
    assert challenge.state == Challenge.State.OVERDUE
    assert challenge.complaint_due > challenge.answer_due
    _agency, user = _loser(project, pool)
    with clock(after(challenge.answer_due, 60)):
        assert services.challenge_escalate(challenge=challenge, actor=user, grounds="业主逾期未答复。").ok
    assert refetch(challenge).state == Challenge.State.COMPLAINED


def test_the_complaint_period_runs_out_and_closes_the_challenge():
    project, pool = awarded_project()
    challenge = _filed(project, pool)
    services.challenge_answer(challenge=challenge, actor=project.created_by, text="经核查，资质有效。")
    challenge = refetch(challenge)
    _agency, user = _loser(project, pool)
    with clock(after(challenge.complaint_due)), pytest.raises(ApplicationError) as late:
        services.challenge_escalate(challenge=challenge, actor=user, grounds="不服答复。")
    assert "投诉期限" in late.value.messages[0]
    assert deadlines_sweep(after(challenge.complaint_due))["challenge_closed"] == 1
    assert refetch(challenge).state == Challenge.State.CLOSED


def _complained(project, pool) -> Challenge:
    challenge = _filed(project, pool)
    services.challenge_answer(challenge=challenge, actor=project.created_by, text="经核查，资质有效。")
    _agency, user = _loser(project, pool)
    assert services.challenge_escalate(
        challenge=refetch(challenge), actor=user, grounds="答复未回应证书过期的事实。", evidence=pdf_file("more.pdf")
    ).ok
    return refetch(challenge)


def test_an_upheld_complaint_revokes_the_win_and_the_alternate_steps_up():
    project, pool = awarded_project()
    winner = project.signups.get(state="selected")
    challenge = _complained(project, pool)
    result = services.challenge_decide(
        challenge=challenge, actor=supervisor_user(), uphold=True, reasons="经调查，中选机构资质证书已于公示前过期。"
    )
    assert result.ok
    assert refetch(winner).state == SignUp.State.REVOKED
    assert project.signups.filter(state="selected").exclude(pk=winner.pk).exists()
    revoke = LedgerEntry.objects.get(subject__agency=winner.agency, measure=MeasureKind.REVOKE)
    assert revoke.rule_code == "CR-SEL-010"
    notice = NoticeRequest.objects.get(source_key=f"challenge:{challenge.pk}:decision")
    assert notice.kind == "complaint_decision"
    assert "投诉成立" in notice.payload["decision"]


def test_a_dismissed_complaint_keeps_the_result_and_is_published():
    project, pool = awarded_project()
    winner = project.signups.get(state="selected")
    challenge = _complained(project, pool)
    assert services.challenge_decide(
        challenge=challenge, actor=supervisor_user(), uphold=False, reasons="证书在有效期内，投诉不成立。"
    ).ok
    assert refetch(winner).state == SignUp.State.SELECTED
    assert not LedgerEntry.objects.filter(measure=MeasureKind.REVOKE).exists()
    assert NoticeRequest.objects.get(source_key=f"challenge:{challenge.pk}:decision").payload["decision"]


def test_reasons_with_personal_data_are_refused_and_nothing_is_decided():
    project, pool = awarded_project()
    challenge = _complained(project, pool)
    with pytest.raises(ApplicationError) as refused:
        services.challenge_decide(
            challenge=challenge, actor=supervisor_user(), uphold=False, reasons="联系人张三 13812345678 已说明。"
        )
    assert "reasons" in refused.value.field_errors
    assert refetch(challenge).state == Challenge.State.COMPLAINED
    assert not NoticeRequest.objects.filter(kind="complaint_decision").exists()


def test_a_supervisor_out_of_scope_cannot_decide():
    from marketplace.models import Region

    project, pool = awarded_project()
    challenge = _complained(project, pool)
    outsider = supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)
    result = services.challenge_decide(challenge=challenge, actor=outsider, uphold=True, reasons="成立。")
    assert result.outcome == TransitionLog.Outcome.REFUSED_PERMISSION
    assert refetch(challenge).state == Challenge.State.COMPLAINED
