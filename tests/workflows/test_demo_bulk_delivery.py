"""The bulk path for delivery writes exactly the rows the services write.

An awarded project is made through the services (published, three sign-ups, the sweep closes the sign-up
and draws). Then the same plan — the winner confirming, publicity ending, the contract uploaded and
signed, the result delivered and accepted, the rating, the payment found late by the sweep and paid —
is taken once through the services (``winner_confirm``, ``deadlines_sweep``, ``contract_upload``,
``contract_sign``, ``result_submit``, ``result_review``, ``rating_submit``, ``payment_record``) with the clock
at each moment, and once through ``delivery_bulk``; each run is rolled back after its rows are read.
Every row either adds to any table is compared, ids named by table and order of insertion, timestamps
kept to the microsecond (``KeepTimes``). Put aside, because they are random by design: the notice page's
Wagtail translation key (a uuid4) and, on PostgreSQL, the search vectors (their texts are compared). The
ledger's hash chains must verify after the bulk path.
"""

from __future__ import annotations

import datetime
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from credit_rules.models import LedgerEntry
from credit_rules.verify import ledger_verify
from tests.factories.people import buyer_user
from tests.factories.procurement import awarded_project, winner_of
from tests.helpers import refetch
from tests.workflows.test_demo_bulk import diff_print, rows_text, sequences_rewind, snapshot
from workflows.demo.bulk_delivery import delivery_bulk
from workflows.demo.delivery_plan import CONTRACT_FILE, RESULT_FILE, PlannedDelivery
from workflows.demo.year_steps import PDF
from workflows.models import Engagement, Payment, Project, Rating, SignUp
from workflows.services.deadlines import deadlines_sweep
from workflows.services.delivery import engagements as engagement_services
from workflows.services.delivery import payments as payment_services
from workflows.services.periods import after_days
from workflows.services.procurement import award as award_services

pytestmark = pytest.mark.django_db

MARKS = {
    "excellent": dict.fromkeys(Rating.MARKS, 5),
    "fair": {"quality": 3, "timeliness": 4, "attitude": 3, "fees": 4, "conformity": 3},
    "poor": dict.fromkeys(Rating.MARKS, 1),
}
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)


def _plan(
    project: Project, clerk, officer, stage: str, *, rating: str = "", late: bool = False, confirmed: bool = False
) -> PlannedDelivery:
    """A plan for ``project`` (awarded): moments a few days apart, in order; ``confirmed``: the winner has already."""
    assert project.awarded_at and project.publicity_ends_at
    ended = project.publicity_ends_at.replace(microsecond=123456) + HOUR
    signed = ended + 2 * DAY
    accepted = signed + 24 * DAY
    due = after_days(accepted, project.payment_days)
    return PlannedDelivery(
        project=project,
        clerk=clerk,
        officer=officer,
        stage=stage,
        confirmed_at=None if confirmed else project.awarded_at + 2 * HOUR,
        publicity_end_at=ended,
        uploaded_at=ended + DAY,
        signed_at=signed,
        submitted_at=signed + 20 * DAY,
        accepted_at=accepted,
        rated_at=accepted + 2 * DAY,
        marks=MARKS[rating] if rating else {},
        late_at=due + 3 * HOUR if late else None,
        paid_at=due + 5 * DAY if late else accepted + 10 * DAY,
    )


def _through_services(plan: PlannedDelivery, capture) -> None:
    """What the parties and the sweeps do, each at its moment; notices published as the task would."""
    project = plan.project
    if plan.confirmed_at:
        with time_machine.travel(plan.confirmed_at, tick=False), capture(execute=True):
            winner = SignUp.objects.get(project=project, state=SignUp.State.SELECTED)
            assert award_services.winner_confirm(signup=winner, actor=plan.clerk).ok
    with time_machine.travel(plan.publicity_end_at, tick=False), capture(execute=True):
        assert deadlines_sweep(plan.publicity_end_at)["publicity_ended"] == 1
    engagement = Engagement.objects.get(project=project)
    with time_machine.travel(plan.uploaded_at, tick=False):
        engagement_services.contract_upload(
            engagement=engagement, actor=plan.clerk, file=ContentFile(PDF, CONTRACT_FILE)
        )
    with time_machine.travel(plan.signed_at, tick=False), capture(execute=True):
        assert engagement_services.contract_sign(engagement=engagement, actor=plan.officer, amount=engagement.amount)
    if plan.reaches("accepted"):
        with time_machine.travel(plan.submitted_at, tick=False), capture(execute=True):
            file = ContentFile(PDF, RESULT_FILE)
            assert engagement_services.result_submit(engagement=engagement, actor=plan.clerk, file=file)
        with time_machine.travel(plan.accepted_at, tick=False), capture(execute=True):
            assert engagement_services.result_review(engagement=refetch(engagement), actor=plan.officer, accept=True)
    if plan.reaches("rated"):
        with time_machine.travel(plan.rated_at, tick=False), capture(execute=True):
            engagement_services.rating_submit(engagement=refetch(engagement), actor=plan.officer, marks=plan.marks)
    if plan.reaches("rated") and plan.late_at:
        with time_machine.travel(plan.late_at, tick=False), capture(execute=True):
            assert deadlines_sweep(plan.late_at)["payment_late"] == 1
    if plan.reaches("closed"):
        with time_machine.travel(plan.paid_at, tick=False), capture(execute=True):
            payment_services.payment_record(
                payment=Payment.objects.get(engagement=engagement),
                actor=plan.officer,
                reference="",
                provider="sandbox",
                key=plan.payment_key,
            )


def _files_remove(project: Project) -> None:
    """The uploads of the rolled-back run: gone, so the next run stores its files under the same names."""
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "contracts" / str(project.pk), ignore_errors=True)


def _rows(path, plan: PlannedDelivery, agency) -> tuple[str, dict[str, Any]]:
    """Run ``path`` in a savepoint, read every row it added, then roll it back."""
    sequences_rewind()
    _files_remove(plan.project)
    before = snapshot()
    with transaction.atomic():
        path()
        project = Project.objects.get(pk=plan.project.pk)
        engagement = Engagement.objects.get(project=project)
        facts = {
            "project": project.state,
            "engagement": engagement.state,
            "payment": Payment.objects.filter(engagement=engagement).values_list("state", flat=True).first(),
            "ledger": list(
                LedgerEntry.objects.exclude(pk__in=before[LedgerEntry]).order_by("pk").values_list("code", flat=True)
            ),
            "verified": ledger_verify().ok,
        }
        text = rows_text(before, agency)
        transaction.set_rollback(True)
    _files_remove(plan.project)
    return text, facts


def _same(by_services: str, by_bulk: str) -> None:
    """The rows are the same; if not, the difference is shown."""
    diff_print(by_services, by_bulk)
    assert by_bulk == by_services


CASES = {
    "in service": {"stage": "in_service"},
    "accepted, the winner had confirmed": {"stage": "accepted", "confirmed": True},
    "rated excellent, unpaid": {"stage": "rated", "rating": "excellent"},
    "closed excellent, paid on time": {"stage": "closed", "rating": "excellent"},
    "closed fair, paid late": {"stage": "closed", "rating": "fair", "late": True},
    "closed poor, paid on time": {"stage": "closed", "rating": "poor"},
    "closed poor, paid late": {"stage": "closed", "rating": "poor", "late": True},
    "rated fair, found late, unpaid": {"stage": "rated", "rating": "fair", "late": True},
}


@pytest.mark.parametrize("case", list(CASES))
def test_bulk_delivery_equals_the_services(case, django_capture_on_commit_callbacks):
    buyer = buyer_user()
    project, pool = awarded_project("price", buyer=buyer)
    assert project.state == Project.State.AWARDED
    winner, clerk = winner_of(project, pool)
    options = dict(CASES[case])
    if options.get("confirmed"):
        assert award_services.winner_confirm(signup=winner, actor=clerk).ok
    plan = _plan(refetch(project), clerk, buyer, **options)
    capture = django_capture_on_commit_callbacks

    by_services, served = _rows(lambda: _through_services(plan, capture), plan, winner.agency)

    def bulk() -> None:
        with capture(execute=True):
            delivery_bulk([plan])

    by_bulk, bulked = _rows(bulk, plan, winner.agency)

    assert served == bulked
    assert bulked["verified"]
    stage = options["stage"]
    assert bulked["project"] == {"in_service": "in_service", "accepted": "accepted", "rated": "rated"}.get(
        stage, "closed"
    )
    assert '"cms_noticepage"' in by_bulk  # the contract notice, published
    if options.get("rating") in ("excellent", "poor"):
        assert bulked["ledger"], "an excellent or poor rating is a credit event"
    if options.get("rating") == "fair" and not options.get("late"):
        assert not bulked["ledger"]
    _same(by_services, by_bulk)


def test_bulk_delivery_takes_a_batch_to_its_stages_with_a_verified_ledger():
    buyer = buyer_user()
    plans = []
    for stage, rating, late in [("in_service", "", False), ("closed", "excellent", True), ("closed", "poor", False)]:
        project, pool = awarded_project("draw", buyer=buyer)
        _winner, clerk = winner_of(project, pool)
        plans.append(_plan(refetch(project), clerk, buyer, stage, rating=rating, late=late))

    delivery_bulk(plans)

    assert [refetch(p.project).state for p in plans] == ["in_service", "closed", "closed"]
    assert Payment.objects.filter(state=Payment.State.PAID).count() == 2
    assert Payment.objects.get(engagement__project=plans[1].project).late_recorded
    assert ledger_verify().ok
    assert LedgerEntry.objects.filter(evidence__project=plans[1].project.code).exists()


def test_delivery_seed_takes_the_awarded_projects_through_delivery():
    from workflows.demo.year_bulk import delivery_seed

    buyer = buyer_user()
    for _ in range(3):
        awarded_project("draw", buyer=buyer)
    # The awarded projects' publicity ends days from now: seeded from a day long enough after for each to close.
    latest = max(Project.objects.values_list("publicity_ends_at", flat=True))
    with time_machine.travel(latest + 200 * DAY, tick=False):
        assert delivery_seed(1000, rng=random.Random(3), progress=lambda _m: None) == 3
        assert list(Project.objects.values_list("state", flat=True)) == ["closed"] * 3
        assert Rating.objects.count() == Payment.objects.filter(state=Payment.State.PAID).count() == 3
        assert ledger_verify().ok
        assert delivery_seed(1000, rng=random.Random(3), progress=lambda _m: None) == 0  # nothing left awarded


def test_delivery_plans_spread_over_a_year_fall_in_the_readme_shares():
    """Publicity ends spread over the year: in service 8 %, accepted (awaiting rating or payment) 5 %, the
    rest of those contracted closed; ratings 45 / 50 / 5 %, 5 % paid late (README, rounded)."""
    from workflows.demo.delivery_plan import delivery_plan

    rng, now = random.Random(7), datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)
    stages: dict[str, int] = {}
    ratings: dict[str, int] = {}
    late = 0
    n = 4000
    for i in range(n):
        ends = now - datetime.timedelta(days=365) * (i / n)
        project = Project(publicity_ends_at=ends, awarded_at=ends - 3 * DAY, code=f"ZJCS-2026-{i:06d}")
        plan = delivery_plan(project, SignUp(state=SignUp.State.CONFIRMED), None, None, now=now, rng=rng)
        if plan is not None:
            plan.check()
        stage = plan.stage if plan else "not yet"
        stages[stage] = stages.get(stage, 0) + 1
        if plan and plan.stage in ("rated", "closed"):
            average = sum(plan.marks.values()) / 5
            kind = "excellent" if average >= 5 else "poor" if average <= 2 else "fair"
            ratings[kind] = ratings.get(kind, 0) + 1
        late += bool(plan and plan.late_at)
    share = {k: v / n for k, v in stages.items()}
    assert 0.065 <= share["in_service"] <= 0.095
    assert 0.035 <= share["accepted"] + share["rated"] <= 0.065
    assert share["closed"] >= 0.8
    rated = sum(ratings.values())
    assert abs(ratings["excellent"] / rated - 0.45) < 0.03 and abs(ratings["poor"] / rated - 0.05) < 0.015
    assert 0.03 <= late / stages["closed"] <= 0.07


def test_a_step_the_gate_refuses_goes_through_its_service(django_capture_on_commit_callbacks):
    """The winner's term lapses before the buyer signs: the gate refuses the contract, the win is revoked
    and the alternate steps up — written by ``contract_sign`` itself on both paths, row for row."""
    from workflows.models import Membership

    buyer = buyer_user()
    project, pool = awarded_project("price", buyer=buyer)
    winner, clerk = winner_of(project, pool)
    plan = _plan(refetch(project), clerk, buyer, "in_service")
    # Stored directly: a term that ends between the publicity's end and the signing (no sweep runs between).
    lapse = (plan.signed_at - DAY).date()
    assert lapse >= (plan.uploaded_at).date()
    Membership.objects.filter(agency=winner.agency).update(term_until=lapse)
    capture = django_capture_on_commit_callbacks

    def services() -> None:
        with time_machine.travel(plan.confirmed_at, tick=False), capture(execute=True):
            assert award_services.winner_confirm(signup=refetch(winner), actor=clerk).ok
        with time_machine.travel(plan.publicity_end_at, tick=False), capture(execute=True):
            assert deadlines_sweep(plan.publicity_end_at)["publicity_ended"] == 1
        engagement = Engagement.objects.get(project=project)
        with time_machine.travel(plan.uploaded_at, tick=False):
            engagement_services.contract_upload(
                engagement=engagement, actor=clerk, file=ContentFile(PDF, CONTRACT_FILE)
            )
        with time_machine.travel(plan.signed_at, tick=False), capture(execute=True):
            result = engagement_services.contract_sign(engagement=engagement, actor=buyer, amount=engagement.amount)
            assert not result.ok and result.refusals

    def bulk() -> None:
        with capture(execute=True):
            delivery_bulk([plan])

    by_services, served = _rows(services, plan, winner.agency)
    by_bulk, bulked = _rows(bulk, plan, winner.agency)

    assert served == bulked
    assert bulked["engagement"] == Engagement.State.TERMINATED and bulked["project"] == Project.State.AWARDED
    _same(by_services, by_bulk)
