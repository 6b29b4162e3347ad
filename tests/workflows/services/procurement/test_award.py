"""After the award (workflows.services.procurement.award): a winner who declines costs itself credit and
the alternate steps up without a redraw (the revocation at the contract is in services/delivery)."""

from __future__ import annotations

import pytest

from credit_rules.models import LedgerEntry
from tests.factories import awarded_project
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
