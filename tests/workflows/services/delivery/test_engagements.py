"""The contract (workflows.services.delivery.engagements): a measure taken against the winner since the
selection refuses the contract with CR-CON-001, the win is revoked and the alternate steps up (the
project is awarded again, not redrawn)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import agencies, buyer_user, contracting_project, supervisor_user, suspend_by_warnings
from workflows.services.delivery import engagements as engagement_services

pytestmark = pytest.mark.django_db


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
