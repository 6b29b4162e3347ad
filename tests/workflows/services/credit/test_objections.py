"""Every transition of Objection (workflows.services.credit.objections): submitting flags the entry
disputed; upholding closes the dispute, overturning reverses the points; decided once, by a supervisor in
scope only, and only the agency's own staff may object.

Every refusal leaves the row as it was, writes no measure and asks for no notice, and is kept in the
transition log (and, for credit, as a decision record): ``tests.helpers.assert_refused`` checks all of it.
The people acting (supervisor, outsider, stranger, buyer, member) are fixtures of tests/workflows/services/conftest.py.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from credit_rules.services import subject_for_agency
from marketplace.errors import NotPermitted
from tests.factories import record_event
from tests.helpers import assert_refused, refetch
from workflows.models import Objection, TransitionLog
from workflows.services.credit import objections as objection_services

pytestmark = pytest.mark.django_db

Outcome = TransitionLog.Outcome


@pytest.fixture
def objection(member, supervisor):
    """An open objection to a poor rating of the member."""
    agency, membership, user = member
    entry = record_event(agency, "RATING_POOR", actor=supervisor)
    return objection_services.objection_submit(entry=entry, actor=user, reason="评价人未实际验收，评价有误。")


def test_objection_submit_flags_the_entry_disputed(objection):
    assert objection.state == Objection.State.SUBMITTED
    assert objection.entry.followups.filter(kind="dispute", reason="dispute_opened").count() == 1
    assert objection.due_on > timezone.localdate()


def test_objection_uphold_allowed_closes_the_dispute(objection, supervisor):
    score = subject_for_agency(objection.agency).score
    assert objection_services.objection_decide(
        objection=objection, actor=supervisor, overturn=False, note="评价属实"
    ).ok
    stored = refetch(objection)
    assert (stored.state, stored.decided_by) == (Objection.State.UPHELD, supervisor)
    assert objection.entry.followups.filter(kind="dispute", reason="dispute_closed").count() == 1
    assert subject_for_agency(objection.agency).score == score


def test_objection_overturn_allowed_reverses_the_points(objection, supervisor):
    subject = subject_for_agency(objection.agency)
    assert subject.score == 95
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=True, note="评价有误").ok
    assert refetch(objection).state == Objection.State.OVERTURNED
    assert subject_for_agency(objection.agency).score == 100
    [reversal] = objection.entry.followups.filter(kind="neutralise")
    assert (reversal.reason, reversal.points) == ("overturned", 5)


@pytest.mark.parametrize("overturn", [False, True])
def test_objection_decided_once_only(overturn, objection, supervisor):
    assert objection_services.objection_decide(objection=objection, actor=supervisor, overturn=False, note="维持").ok
    assert_refused(
        objection,
        Outcome.REFUSED_STATE,
        lambda: objection_services.objection_decide(
            objection=objection, actor=supervisor, overturn=overturn, note="再议"
        ),
    )


@pytest.mark.parametrize("overturn", [False, True])
@pytest.mark.parametrize("who", ["own_staff", "outsider", "buyer"])
def test_objection_decide_refused_for_staff_outsiders_and_buyers(overturn, who, request, objection, member):
    actor = member[2] if who == "own_staff" else request.getfixturevalue(who)
    score = subject_for_agency(objection.agency).score
    assert_refused(
        objection,
        Outcome.REFUSED_PERMISSION,
        lambda: objection_services.objection_decide(objection=objection, actor=actor, overturn=overturn, note="越权"),
    )
    assert subject_for_agency(objection.agency).score == score


def test_objection_by_another_agency_is_refused_and_writes_nothing(member, stranger):
    agency, membership, user = member
    entry = record_event(agency, "RATING_POOR")
    with pytest.raises(NotPermitted):
        objection_services.objection_submit(entry=entry, actor=stranger, reason="代为异议")
    assert not Objection.objects.exists()
