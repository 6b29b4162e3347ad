"""Every transition of RepairRequest (workflows.services.credit.repairs): approval stops the entry
counting and is announced, rejection keeps it; decided once, by a supervisor in scope only.

Every refusal leaves the row as it was, writes no measure and asks for no notice, and is kept in the
transition log (and, for credit, as a decision record): ``tests.helpers.assert_refused`` checks all of it.
The people acting (supervisor, outsider, stranger, buyer, member) are fixtures of tests/workflows/services/conftest.py.
"""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.services import subject_for_agency
from tests.factories import record_event
from tests.helpers import assert_refused, pdf_file, refetch
from workflows.models import RepairRequest, TransitionLog
from workflows.services.credit import repairs as repair_services

pytestmark = pytest.mark.django_db

Outcome = TransitionLog.Outcome


@pytest.fixture
def repair_request(member):
    """A repair request for a poor rating recorded four months ago (轻微: repairable once fulfilled)."""
    agency, membership, user = member
    entry = record_event(agency, "RATING_POOR", at=timezone.now() - relativedelta(months=4))
    return repair_services.repair_submit(
        entry=entry, actor=user, correction="已建立成果复核制度。", evidence=pdf_file("整改.pdf")
    )


def test_repair_approve_allowed_the_entry_stops_counting(repair_request, supervisor):
    agency = repair_request.agency
    assert subject_for_agency(agency).score == 95
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=True, note="准予").ok
    assert refetch(repair_request).state == RepairRequest.State.APPROVED
    assert subject_for_agency(agency).score == 100
    assert NoticeRequest.objects.filter(kind="repair", payload__agency__uscc=agency.uscc).count() == 1


def test_repair_reject_allowed_keeps_the_entry(repair_request, supervisor):
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=False, note="整改不到位").ok
    assert refetch(repair_request).state == RepairRequest.State.REJECTED
    assert subject_for_agency(repair_request.agency).score == 95
    assert not repair_request.entry.followups.exists()


@pytest.mark.parametrize("approve", [False, True])
def test_repair_decided_once_only(approve, repair_request, supervisor):
    assert repair_services.repair_decide(request=repair_request, actor=supervisor, approve=False, note="不予").ok
    assert_refused(
        repair_request,
        Outcome.REFUSED_STATE,
        lambda: repair_services.repair_decide(request=repair_request, actor=supervisor, approve=approve, note="再审"),
    )


@pytest.mark.parametrize("approve", [False, True])
@pytest.mark.parametrize("who", ["own_staff", "outsider", "stranger"])
def test_repair_decide_refused_for_staff_outsiders_and_strangers(approve, who, request, repair_request, member):
    actor = member[2] if who == "own_staff" else request.getfixturevalue(who)
    assert_refused(
        repair_request,
        Outcome.REFUSED_PERMISSION,
        lambda: repair_services.repair_decide(request=repair_request, actor=actor, approve=approve, note="越权"),
    )
    assert subject_for_agency(repair_request.agency).score == 95
