"""The bulk path for open projects writes exactly the rows the services write.

For each selection method, the same planned project (buyer, operator, terms, requirement, the moments it
was drafted, submitted and published, and its sign-ups with their quotes and moments) is taken once
through the services (``project_create``, ``project_submit``, ``project_review``, ``signup_submit``, the
notice task's publisher) with the clock at each moment, and once through ``open_projects_bulk``; each run
is rolled back after its rows are read. Every row either adds to any table is compared, ids named by
table and order of insertion, timestamps kept to the microsecond. Put aside, because they are random by
design: the draw secret and its commitment (checked instead: the commitment is the secret's hash, and the
announcement publishes it), the page's Wagtail translation key (a uuid4), and each sealed quote's Fernet token (a fresh IV each time; compared opened).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from tests.factories.people import buyer_user, operator_user
from tests.factories.procurement import agencies, project_data, requirement
from tests.workflows.test_demo_bulk import diff_print, rows_text, sequences_rewind, snapshot
from workflows import draw
from workflows.demo.bulk_projects import PlannedProject, PlannedSignup, open_projects_bulk
from workflows.models import Project, SignUp
from workflows.services.procurement import projects as project_services
from workflows.services.procurement import signups as signup_services
from workflows.services.procurement.sealing import QuoteSealed, _fernet, quote_open

pytestmark = pytest.mark.django_db

QUOTES = (Decimal("52345.67"), Decimal("61234.56"), Decimal("47123.45"))


def _plan(method: str, buyer, operator, pool) -> PlannedProject:
    unit = buyer.buyerstaff_set.get().unit
    extra = (
        {"direct_agency": pool[0][0], "direct_reason": "应急抢险，须由原评估机构续作。"} if method == "direct" else {}
    )
    created = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=2, hours=3)
    published = created + datetime.timedelta(hours=26)
    signers = pool[:1] if method == "direct" else pool
    return PlannedProject(
        buyer=unit,
        actor=buyer,
        operator=operator,
        data=project_data(method, **extra),
        requirements=[requirement()],
        created_at=created,
        submitted_at=created + datetime.timedelta(hours=1),
        published_at=published,
        signups=[
            PlannedSignup(agency=a, actor=u, quote=q, at=published + datetime.timedelta(hours=2 + i))
            for i, ((a, u), q) in enumerate(zip(signers, QUOTES, strict=False))
        ],
    )


def _through_services(plan: PlannedProject, capture) -> None:
    with time_machine.travel(plan.created_at, tick=False):
        project = project_services.project_create(
            buyer=plan.buyer, actor=plan.actor, data=plan.data, requirements=plan.requirements
        )
    with time_machine.travel(plan.submitted_at, tick=False):
        assert project_services.project_submit(project=project, actor=plan.actor).ok
    # The notice task runs when the publishing transaction commits, at the same moment.
    with time_machine.travel(plan.published_at, tick=False), capture(execute=True):
        assert project_services.project_review(project=project, actor=plan.operator, publish=True).ok
    for signup in plan.signups:
        with time_machine.travel(signup.at, tick=False):
            outcome = signup_services.signup_submit(
                project=project, agency=signup.agency, actor=signup.actor, quote=signup.quote
            )
            assert outcome.ok


def _rows(path, agency) -> tuple[str, dict[str, Any]]:
    """Run ``path`` in a savepoint, read every row it added (secrets put aside), then roll it back."""
    sequences_rewind()
    before = snapshot()
    with transaction.atomic():
        path()
        project = Project.objects.exclude(pk__in=before[Project]).get()
        # Random by design: the secret drawn at publication (its commitment must be its hash) and the seals.
        assert project.draw_commitment == draw.commitment(bytes.fromhex(project.draw_secret))
        opened = {
            s.sealed_quote: str(_fernet(project.code).decrypt(s.sealed_quote.encode()).decode())
            for s in SignUp.objects.filter(project=project)
        }
        text = rows_text(before, agency)
        facts = {"state": project.state, "signups": len(opened), "secret": project.draw_secret}
        for raw, mark in [
            (project.draw_secret, "<secret>"),
            (project.draw_commitment, "<commitment>"),
            *((token, f"<sealed {quote}>") for token, quote in opened.items()),
        ]:
            text = text.replace(raw, mark)
        transaction.set_rollback(True)
    return text, facts


@pytest.mark.parametrize("method", ["draw", "price", "scored", "direct"])
def test_bulk_open_project_equals_the_services(method, django_capture_on_commit_callbacks):
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    plan = _plan(method, buyer, operator, pool)

    by_services, served = _rows(lambda: _through_services(plan, django_capture_on_commit_callbacks), pool[0][0])
    by_bulk, bulk = _rows(lambda: open_projects_bulk([plan]), pool[0][0])

    assert served["state"] == bulk["state"] == Project.State.OPEN
    assert served["signups"] == bulk["signups"] == len(plan.signups)
    assert served["secret"] != bulk["secret"]  # each publication draws its own
    assert '"cms_noticepage"' in by_bulk and '"wagtailcore_revision"' in by_bulk  # published, as by the task
    diff_print(by_services, by_bulk)
    assert by_bulk == by_services


def test_bulk_quotes_stay_sealed_until_the_deadline():
    buyer, operator = buyer_user(), operator_user()
    pool = agencies(3)
    [project] = open_projects_bulk([_plan("price", buyer, operator, pool)])
    signup = project.signups.order_by("pk").first()
    assert signup.quote is None
    with pytest.raises(QuoteSealed):
        quote_open(project, signup.sealed_quote)
    assert quote_open(project, signup.sealed_quote, at=project.signup_deadline) == QUOTES[0]


def test_scaled_seed_opens_projects_in_proportion_with_published_announcements():
    from cms.models import NoticeRequest
    from workflows.demo.year_bulk import MARK, open_projects_seed

    buyer_user()
    operator_user(username="operator_demo")
    agencies(5)
    open_projects_seed(500, rng=random.Random(1), progress=lambda _m: None)  # 500 × 1.04 × 2 % = 10
    projects = Project.objects.filter(name__startswith=MARK)
    assert projects.count() == 10
    assert set(projects.values_list("state", flat=True)) == {Project.State.OPEN}
    assert len(set(projects.values_list("method", flat=True))) >= 3
    requests = NoticeRequest.objects.filter(
        source_key__in=[f"project:{c}:announcement" for c in projects.values_list("code", flat=True)]
    )
    assert [r.status for r in requests] == [NoticeRequest.Status.PUBLISHED] * 10
    assert SignUp.objects.filter(project__in=projects, quote__isnull=True).count() >= 10
    open_projects_seed(500, rng=random.Random(1), progress=lambda _m: None)  # idempotent
    assert Project.objects.filter(name__startswith=MARK).count() == 10
