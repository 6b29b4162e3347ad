"""After the award (workflows.services.procurement.award): a winner who declines costs itself credit and
the alternate steps up without a redraw; a measure taken since the selection revokes the win when the
contract is to be signed, and the alternate steps up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit_rules.models import LedgerEntry
from tests.factories import (
    agencies,
    awarded_project,
    buyer_user,
    contracting_project,
    supervisor_user,
    suspend_by_warnings,
)
from workflows.services.delivery import engagements as engagement_services
from workflows.services.procurement import award as award_services

pytestmark = pytest.mark.django_db


def test_winner_declines_and_the_alternate_steps_up_without_redraw():
    project, pool = awarded_project("draw", quotes=["50000"] * 3)
    ranking = project.draw_proof["ranking"]
    winner = project.signups.get(state="selected")
    user = next(u for a, u in pool if a == winner.agency)
    assert award_services.winner_decline(signup=winner, actor=user, reason="人员调整").ok
    second = project.signups.get(state="selected")
    assert second.agency.uscc == ranking[1]
    project.refresh_from_db()
    assert project.draw_proof["ranking"] == ranking  # no redraw
    assert LedgerEntry.objects.filter(subject__agency=winner.agency, code="DECLINE_WIN").exists()


def test_measure_since_selection_revokes_the_win_and_the_alternate_steps_up(settings):
    sup = supervisor_user()
    buyer = buyer_user()
    pool = agencies(3, supervisor=sup)
    settings.ZJCS_TIME_SCALE = 300_000  # real order of events: selection, then the measure, then the contract
    project, engagement, winner, _winner_user = contracting_project(
        buyer=buyer, pool=pool, quotes=["50000"] * 3, wait=True, contract=True
    )
    suspend_by_warnings(winner.agency, sup, facts=("一", "二"))
    result = engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=Decimal("50000"))
    assert not result.ok
    assert "CR-CON-001" in [r.rule_code for r in result.refusals]
    winner.refresh_from_db()
    assert winner.state == "revoked"
    project.refresh_from_db()
    assert project.state == "awarded"
    assert project.signups.get(state="selected").rank == 2
