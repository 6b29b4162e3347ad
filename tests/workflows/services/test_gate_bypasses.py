"""The credit gate at every step after the pool: the paths that once reached a state without it.

An alternate stepping up, the winner's confirmation, the confirmation of the result, the contract, the
restricted agency's cap at each of them, a measure arriving mid-service and a revocation during the
service. Each test names the bypass it closes; each failed before the gate was asked there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord, LedgerEntry, MeasureKind
from credit_rules.rules.base import code_of
from credit_rules.rules.escalation import grade_d_restrict, serious_record_revokes
from credit_rules.rules.selection import measure_in_force, restricted_capacity, suspended
from credit_rules.rules.service import expelled_serving
from credit_rules.services import measure_record, subject_for_agency
from tests.factories import (
    agencies,
    apply_measure,
    awarded_project,
    buyer_user,
    contracted_engagement,
    contracting_project,
    notice_lapses,
    pending_notice,
    record_event,
    winner_confirmed,
    winner_of,
)
from tests.helpers import after, pdf_content, refetch
from workflows.models import Engagement, Project, SignUp
from workflows.selectors.statistics import statistics_for_public
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import award as award_services
from workflows.services.procurement import selection as selection_services

pytestmark = pytest.mark.django_db


def ranked(project: Project) -> list[SignUp]:
    return list(project.signups.filter(rank__isnull=False).select_related("agency").order_by("rank"))


def revocations(agency) -> list[LedgerEntry]:
    return list(subject_for_agency(agency).ledger.filter(kind=LedgerEntry.Kind.MEASURE, measure=MeasureKind.REVOKE))


def test_a_suspended_alternate_is_passed_over_and_the_next_eligible_one_steps_up():
    # given an awarded draw and its second-ranked alternate suspended since the award
    project, pool = awarded_project("draw")
    first, second, third = ranked(project)
    apply_measure(second.agency, MeasureKind.SUSPEND, months=1)

    # when the winner declines
    winner, user = winner_of(project, pool)
    assert award_services.winner_decline(signup=winner, actor=user, reason="人员调整").ok

    # then the suspended alternate is passed over, with the gate's reason, and the third steps up
    second, third = refetch(second), refetch(third)
    assert second.state == SignUp.State.NOT_SELECTED and code_of(suspended) in second.note
    assert third.state == SignUp.State.SELECTED
    refused = DecisionRecord.objects.get(transition="signup.select", allowed=False)
    assert refused.target == f"workflows.signup:{second.pk}"
    assert code_of(suspended) in [r["rule"] for r in refused.reasons if r["outcome"] == "refuse"]


def test_first_place_suspended_while_the_scores_are_awaited_is_passed_over_at_the_award():
    # given a scored comparison past its close, waiting for the buyer's marks
    buyer = buyer_user()
    project, pool = awarded_project("scored", buyer=buyer)
    assert refetch(project).state == Project.State.SELECTING
    admitted = list(project.signups.filter(state=SignUp.State.ADMITTED).select_related("agency").order_by("pk"))
    for signup, mark in zip(admitted, (90, 70, 50), strict=True):
        selection_services.proposal_mark(signup=signup, actor=buyer, mark=Decimal(mark))
    # and the agency the marks would put first, suspended before the buyer finishes scoring
    ranking, _proof = selection_services.RANKERS["scored"](
        refetch(project), admitted, bytes.fromhex(project.draw_secret)
    )
    first, runner_up = ranking[0], ranking[1]
    apply_measure(first.agency, MeasureKind.SUSPEND, months=1)

    # when the buyer finishes scoring
    selection_services.scored_finish(project=project, actor=buyer)

    # then first place is passed over with the gate's reason, and the runner-up wins
    assert refetch(first).state == SignUp.State.NOT_SELECTED and code_of(suspended) in refetch(first).note
    assert refetch(runner_up).state == SignUp.State.SELECTED
    assert refetch(project).state == Project.State.AWARDED


def test_a_winner_suspended_after_selection_cannot_confirm_its_win_is_revoked():
    # given an awarded project and its winner suspended during publicity
    project, pool = awarded_project("draw")
    winner, user = winner_of(project, pool)
    apply_measure(winner.agency, MeasureKind.SUSPEND, months=1)

    # when it confirms
    result = award_services.winner_confirm(signup=winner, actor=user)

    # then the confirmation is refused, the win revoked as a measure with a notice, and the alternate steps up
    assert not result.ok and [r.rule_code for r in result.refusals][:1] == [code_of(measure_in_force)]
    assert refetch(winner).state == SignUp.State.REVOKED
    (revocation,) = revocations(winner.agency)
    assert revocation.rule_code == code_of(measure_in_force)
    assert NoticeRequest.objects.filter(kind="revocation", source_key__contains=winner.agency.uscc).exists()
    assert project.signups.filter(state=SignUp.State.SELECTED).exclude(pk=winner.pk).count() == 1


def test_the_buyer_confirming_the_result_rechecks_the_confirmed_winner():
    # given a winner that confirmed, then was suspended before publicity ended
    project, pool = awarded_project("draw")
    winner, _user = winner_confirmed(project, pool)
    apply_measure(winner.agency, MeasureKind.SUSPEND, months=1)

    # when publicity ends and the sweep confirms the result
    deadlines_sweep(after(refetch(project).publicity_ends_at))

    # then no contract starts with it: its win is revoked and the next alternate steps up
    assert refetch(winner).state == SignUp.State.REVOKED
    assert not Engagement.objects.filter(signup=winner).exists()
    assert refetch(project).state == Project.State.AWARDED
    refused = DecisionRecord.objects.get(transition="project.confirm_winner", allowed=False)
    assert refused.subject_id == subject_for_agency(winner.agency).pk


def test_the_contract_refuses_a_suspension_in_force_that_began_before_the_selection():
    # given a contracting project, and a suspension of its winner dated from before it was selected
    deal = contracting_project("draw", contract=True)
    began = min(deal.winner.selected_at, timezone.now()) - datetime.timedelta(days=1)
    measure_record(
        subject=subject_for_agency(deal.winner.agency),
        kind=MeasureKind.SUSPEND,
        starts_at=began,
        ends_at=timezone.now() + datetime.timedelta(days=30),
        rule_code=code_of(grade_d_restrict),
        basis="",
    )

    # when the buyer confirms the contract
    result = engagement_services.contract_sign(
        engagement=deal.engagement, actor=buyer_user(deal.project.buyer), amount=deal.winner.quote
    )

    # then it is refused whenever the measure began, and the win is revoked
    assert not result.ok and code_of(measure_in_force) in [r.rule_code for r in result.refusals]
    assert refetch(deal.winner).state == SignUp.State.REVOKED
    assert refetch(deal.engagement).state == Engagement.State.TERMINATED


def test_a_restricted_agency_cannot_hold_two_wins_at_once():
    # given a restricted agency (grade D) that signed up to two projects while it had no open engagement
    buyer = buyer_user()
    (restricted, restricted_user), *others = agencies(3)
    apply_measure(restricted, MeasureKind.RESTRICT)
    pool = [(restricted, restricted_user), *others]
    first, _ = awarded_project("price", buyer=buyer, pool=pool, quotes=("40000", "60000", "61000"))
    second, _ = awarded_project("price", buyer=buyer, pool=pool, quotes=("40000", "60000", "61000"))
    assert winner_of(first, pool)[0].agency == restricted and winner_of(second, pool)[0].agency == restricted

    # when it takes the first win to contracting (its publicity over, the result confirmed)
    winner_confirmed(first, pool)
    assert award_services.project_confirm_winner(project=first, at=after(refetch(first).publicity_ends_at)).ok

    # then confirming the second is refused at its cap, and that win passes to the alternate
    win = winner_of(second, pool)[0]
    result = award_services.winner_confirm(signup=win, actor=restricted_user)
    assert not result.ok and code_of(restricted_capacity) in [r.rule_code for r in result.refusals]
    assert refetch(win).state == SignUp.State.REVOKED
    assert winner_of(refetch(second), pool)[0].agency != restricted


def test_expulsion_revokes_wins_not_yet_in_service_and_asks_the_buyer_about_the_service_under_way():
    # given an agency in service on one project and awaiting the contract on another
    deal = contracted_engagement("draw")
    agency, user = deal.winner.agency, deal.winner_user
    pool = [(agency, user), *agencies(2)]
    other = contracting_project("price", pool=pool, quotes=("40000", "60000", "61000"))
    assert other.winner.agency == agency

    # when it is expelled (false materials: told first, the notice lapses unanswered)
    record_event(agency, "FALSE_MATERIALS")
    notice_lapses(pending_notice(agency))

    # then the win awaiting its contract is revoked and the alternate steps up
    assert refetch(other.winner).state == SignUp.State.REVOKED
    assert refetch(other.project).state == Project.State.AWARDED
    # and the buyer of the running service must decide; until then the agency cannot deliver
    engagement = refetch(deal.engagement)
    assert engagement.state == Engagement.State.IN_SERVICE and engagement.measure_decision_due is not None
    refused = engagement_services.result_submit(engagement=engagement, actor=user, file=pdf_content("r.pdf"))
    assert not refused.ok and [r.rule_code for r in refused.refusals] == [code_of(expelled_serving)]

    # when the buyer decides the agency finishes the service, it may deliver
    engagement_services.service_after_measure_decide(
        engagement=engagement, actor=buyer_user(deal.project.buyer), continue_service=True, note="临近完成，由其完成"
    )
    assert engagement_services.result_submit(engagement=refetch(engagement), actor=user, file=pdf_content("r.pdf")).ok
    assert DecisionRecord.objects.filter(transition="engagement.after_measure", allowed=True).exists()


def test_a_buyer_that_lets_the_decision_period_pass_gets_the_policy_default():
    # given an expelled agency's running service and no decision by its buyer
    deal = contracted_engagement("draw")
    record_event(deal.winner.agency, "FALSE_MATERIALS")
    notice_lapses(pending_notice(deal.winner.agency))
    due = refetch(deal.engagement).measure_decision_due

    # when the period ends, the sweep applies the shipped policy's default: terminate
    deadlines_sweep(after(due))

    # then the service stops, the win is revoked on the record, and the project fails for the buyer to relaunch
    assert refetch(deal.engagement).state == Engagement.State.TERMINATED
    assert refetch(deal.project).state == Project.State.FAILED
    assert len(revocations(deal.winner.agency)) == 1


def test_a_serious_new_record_during_the_service_revokes_the_win():
    # given an agency in service
    deal = contracted_engagement("draw")

    # when a serious record lands on it (declining another win without cause is 严重 in the shipped policy)
    record_event(deal.winner.agency, "DECLINE_WIN")

    # then its win is revoked under the rule, the service stops, the project fails, a notice goes out
    (revocation,) = revocations(deal.winner.agency)
    assert revocation.rule_code == code_of(serious_record_revokes)
    assert refetch(deal.engagement).state == Engagement.State.TERMINATED
    assert refetch(deal.project).state == Project.State.FAILED
    assert NoticeRequest.objects.filter(kind="revocation").count() == 1
    # and the statistics count the revocation among the month's measures
    stats = statistics_for_public()
    assert sum(n for (_month, kind), n in stats.measures.items() if kind == MeasureKind.REVOKE) == 1
