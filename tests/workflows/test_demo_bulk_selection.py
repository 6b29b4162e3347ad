"""The bulk path for selection writes exactly the rows the services write, and changes the same rows alike.

Each case opens one project with its sign-ups (``open_projects_bulk``, itself held equal to the services),
then takes it on from the same starting rows twice, each run rolled back after its rows are read: once
through the services with the clock at each moment (the deadline sweep closing sign-up and running
selection, the buyer's marks and ``scored_finish``, the winner's ``winner_confirm``, or the buyer's
``project_cancel``; the on-commit callbacks executed as the tasks would: the notices published, the winner
told), and once through ``selection_bulk`` or ``cancel_bulk``. Every row either adds to any table is
compared, and the project and its sign-ups as each leaves them, ids named by table and order of insertion,
timestamps kept to the microsecond. The draw secret is the same for both runs (it was drawn when the
project opened), so the proof and its ranking are compared as they are.
"""

from __future__ import annotations

import datetime
import json
import random
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import DecisionRecord
from tests.factories.people import buyer_user, operator_user
from tests.factories.procurement import agencies
from tests.workflows.test_demo_bulk import diff_print, rows_text, sequences_rewind, snapshot
from tests.workflows.test_demo_bulk_projects import _plan
from workflows import draw
from workflows.demo.bulk_cancel import PlannedCancel, cancel_bulk
from workflows.demo.bulk_projects import PlannedSignup, open_projects_bulk
from workflows.demo.bulk_selection import PlannedClose, PlannedMark, selection_bulk
from workflows.models import Project, ProposalMark, SignUp, TransitionLog
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import award as award_services
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import selection as selection_services

pytestmark = pytest.mark.django_db

CANCEL_REASON = "项目所涉地块规划调整，采购需求取消。"
STATES = {
    "draw": Project.State.AWARDED,
    "price": Project.State.AWARDED,
    "price_tie": Project.State.AWARDED,
    "direct": Project.State.AWARDED,
    "scored": Project.State.AWARDED,
    "scored_awaiting_marks": Project.State.SELECTING,
    "failed": Project.State.FAILED,
    "cancelled": Project.State.CANCELLED,
}


def _opened(case: str) -> tuple[Project, Any, list]:
    """The case's project open with its sign-ups (rows both runs start from); its buyer and its bidders."""
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    method = {"failed": "draw", "cancelled": "price", "price_tie": "price"}.get(case, case)
    method = method.removesuffix("_awaiting_marks")
    plan = _plan(method, buyer, operator, pool)
    if case == "failed":  # two sign-ups for a draw that needs three: 流标
        plan.signups = plan.signups[:2]
    if case == "price_tie":  # the two lowest quotes equal: the service breaks the tie by a draw
        first, second, third = plan.signups
        plan.signups = [first, PlannedSignup(second.agency, second.actor, third.quote, second.at), third]
    [project] = open_projects_bulk([plan])
    return project, buyer, pool


def _close_plan(case: str, project: Project, buyer, pool) -> PlannedClose | PlannedCancel:
    """What happens to the project: the sweep closes it a few minutes after the deadline, then the people act."""
    if case == "cancelled":
        return PlannedCancel(project, buyer, CANCEL_REASON, project.published_at + datetime.timedelta(hours=30))
    closed = project.signup_deadline + datetime.timedelta(minutes=7, microseconds=4321)
    plan = PlannedClose(project=project, closed_at=closed)
    if case == "scored":
        plan.scorer = buyer
        plan.marks = [
            PlannedMark(agency, Decimal(mark), closed + datetime.timedelta(days=1, minutes=i))
            for i, ((agency, _user), mark) in enumerate(zip(pool, ("86.50", "72", "91.25"), strict=True))
        ]
        plan.finished_at = closed + datetime.timedelta(days=1, hours=2)
    award_at = plan.finished_at or closed
    if case in ("draw", "price", "scored"):
        plan.confirmed_at = award_at + datetime.timedelta(hours=3, seconds=17)
    return plan


def _award_moment(plan: PlannedClose | PlannedCancel) -> datetime.datetime:
    """When the services' last on-commit work runs for the award (the winner told): the bulk's deliveries too."""
    if isinstance(plan, PlannedCancel):
        return plan.at
    return plan.finished_at or plan.closed_at


def _through_services(plan: PlannedClose | PlannedCancel, capture) -> None:
    if isinstance(plan, PlannedCancel):
        with time_machine.travel(plan.at, tick=False), capture(execute=True):
            assert project_services.project_cancel(project=plan.project, actor=plan.actor, reason=plan.reason).ok
        return
    with time_machine.travel(plan.closed_at, tick=False), capture(execute=True):
        assert deadlines_sweep(plan.closed_at)["signup_closed"] == 1
    for mark in plan.marks:
        signup = SignUp.objects.get(project=plan.project, agency=mark.agency)
        with time_machine.travel(mark.at, tick=False):
            selection_services.proposal_mark(signup=signup, actor=plan.scorer, mark=mark.mark)
    if plan.finished_at is not None:
        with time_machine.travel(plan.finished_at, tick=False), capture(execute=True):
            project = Project.objects.get(pk=plan.project.pk)
            assert selection_services.scored_finish(project=project, actor=plan.scorer).ok
    if plan.confirmed_at is not None:
        winner = SignUp.objects.get(project=plan.project, state=SignUp.State.SELECTED)
        with time_machine.travel(plan.confirmed_at, tick=False), capture(execute=True):
            assert award_services.winner_confirm(signup=winner, actor=winner.submitted_by).ok


def _through_bulk(plan: PlannedClose | PlannedCancel, capture) -> None:
    # Outside a test the path runs in autocommit, where what a task leaves for after its commit (the
    # notification's deliveries) runs at once, within the path's own clock; here the test's transaction
    # holds it back until this capture ends, at the moment the services ran it.
    with time_machine.travel(_award_moment(plan), tick=False), capture(execute=True):
        if isinstance(plan, PlannedCancel):
            cancel_bulk([plan])
        else:
            selection_bulk([plan])


def _rows(path, project: Project, agency) -> tuple[str, dict[str, Any]]:
    """Run ``path`` in a savepoint, read every row it added and the project and sign-ups it changed, roll back."""
    sequences_rewind()
    before = snapshot()
    with transaction.atomic():
        path()
        fresh = Project.objects.get(pk=project.pk)
        signups = list(SignUp.objects.filter(project=fresh).order_by("pk"))
        text = rows_text(before, agency, changed=[fresh, *signups])
        facts = {
            "state": fresh.state,
            "proof": fresh.draw_proof,
            "states": [s.state for s in signups],
            "notices": list(NoticeRequest.objects.exclude(pk__in=before[NoticeRequest]).values_list("kind", "status")),
            "decisions": DecisionRecord.objects.exclude(pk__in=before[DecisionRecord]).count(),
            "logs": list(
                TransitionLog.objects.exclude(pk__in=before[TransitionLog])
                .order_by("pk")
                .values_list("transition", flat=True)
            ),
            "marks": ProposalMark.objects.filter(signup__project=fresh).count(),
        }
        transaction.set_rollback(True)
    return text, facts


@pytest.mark.parametrize("case", list(STATES))
def test_bulk_selection_equals_the_services(case, django_capture_on_commit_callbacks):
    project, buyer, pool = _opened(case)
    plan = _close_plan(case, project, buyer, pool)

    by_services, served = _rows(
        lambda: _through_services(plan, django_capture_on_commit_callbacks), project, pool[0][0]
    )
    by_bulk, bulk = _rows(lambda: _through_bulk(plan, django_capture_on_commit_callbacks), project, pool[0][0])

    assert served["state"] == bulk["state"] == STATES[case]
    published = [("result" if STATES[case] == Project.State.AWARDED else "termination", NoticeRequest.Status.PUBLISHED)]
    assert served["notices"] == bulk["notices"] == ([] if case == "scored_awaiting_marks" else published)
    if case in ("draw", "price_tie"):
        proof = bulk["proof"]
        assert draw.proof_verify(proof, project.draw_commitment, expected_project_code=project.code).ok
        assert len(proof["pool"]) == (3 if case == "draw" else 2)  # a tie is drawn among the tied only
    if case in ("draw", "price", "scored"):
        assert bulk["logs"][-1] == "confirm" and SignUp.State.CONFIRMED in bulk["states"]
    if case == "scored":
        assert bulk["marks"] == 3
    if STATES[case] == Project.State.AWARDED:  # the winner told, as the notification task does
        assert '"workflows_notification"' in by_bulk and '"workflows_notificationdelivery"' in by_bulk
    diff_print(by_services, by_bulk)
    assert json.loads(by_bulk) == json.loads(by_services)
    assert by_bulk == by_services


def test_bulk_leaves_a_close_the_gate_refuses_to_the_services(django_capture_on_commit_callbacks):
    """An agency under suspension by the close is rejected there: the services do it, with its reasons."""
    from credit_rules.models import MeasureKind
    from credit_rules.services import measure_record, subject_for_agency

    project, buyer, pool = _opened("draw")
    plan = _close_plan("draw", project, buyer, pool)
    plan.confirmed_at = None
    measure_record(
        subject=subject_for_agency(pool[1][0]),
        kind=MeasureKind.SUSPEND,
        ends_at=plan.closed_at + datetime.timedelta(days=30),
        rule_code="CR-ESC-001",
        basis="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        selection_bulk([plan])

    fresh = Project.objects.get(pk=project.pk)
    assert fresh.state == Project.State.FAILED  # two eligible of three: 流标
    rejected = SignUp.objects.get(project=fresh, agency=pool[1][0])
    assert rejected.state == SignUp.State.REJECTED and rejected.note
    assert not DecisionRecord.objects.get(target=f"workflows.signup:{rejected.pk}", transition="signup.admit").allowed


def test_scaled_seed_seeds_the_past_states_in_proportion():
    from workflows.demo.year_bulk import PAST_MARKS, past_projects_seed

    buyer_user()
    operator_user(username="operator_demo")
    agencies(5)
    # 100 agencies × 1.04 projects: 1 % selecting, 4 % awarded, 5 % cancelled, 6 % failed, 82 % awarded earlier
    # and taken through delivery
    past_projects_seed(100, rng=random.Random(1), progress=lambda _m: None)
    now = timezone.now()
    seeded = {state: Project.objects.filter(name__startswith=mark) for state, mark in PAST_MARKS.items()}
    assert {state: projects.count() for state, projects in seeded.items()} == {
        "selecting": 1,
        "awarded": 4,
        "cancelled": 5,
        "failed": 6,
        "delivered": 85,
    }
    delivered = seeded.pop("delivered")
    for state, projects in seeded.items():
        assert set(projects.values_list("state", flat=True)) == {state}
    # the earlier awards went on as far as their dates allow: most closed, some still in service or accepted
    states = list(delivered.values_list("state", flat=True))
    assert states.count(Project.State.CLOSED) >= 40
    assert set(states) <= {
        Project.State.CONTRACTING,
        Project.State.IN_SERVICE,
        Project.State.RESULT_SUBMITTED,
        Project.State.ACCEPTED,
        Project.State.RATED,
        Project.State.CLOSED,
    }
    assert len(set(states)) >= 2
    # Every deadline the state rests on has passed; the publicity of the awarded ones is still running.
    assert not Project.objects.filter(name__startswith="【演示", signup_deadline__gt=now).exclude(
        state=Project.State.CANCELLED
    )
    assert set(seeded["selecting"].values_list("method", flat=True)) == {Project.Method.SCORED}
    awarded = seeded["awarded"]
    assert not awarded.filter(publicity_ends_at__lte=now) and not awarded.filter(awarded_at__gte=now)
    assert len(set(awarded.values_list("method", flat=True))) >= 3
    winners = SignUp.objects.filter(project__in=awarded, state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
    assert winners.count() == 4
    for project in awarded.filter(method=Project.Method.DRAW):
        assert draw.proof_verify(project.draw_proof, project.draw_commitment).ok
    assert not seeded["cancelled"].filter(closed_at__gte=F("signup_deadline"))  # cancelled while open
    requests = NoticeRequest.objects.filter(source_key__startswith="project:")
    assert requests.filter(kind="result").count() == 4 + 85
    assert requests.filter(kind="termination").count() == 5 + 6
    assert set(requests.values_list("status", flat=True)) == {NoticeRequest.Status.PUBLISHED}
    past_projects_seed(100, rng=random.Random(1), progress=lambda _m: None)  # idempotent
    assert Project.objects.filter(name__startswith="【演示").count() == 1 + 4 + 5 + 6 + 85
