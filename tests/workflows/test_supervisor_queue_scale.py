"""The supervisor's queue and header counts as the membership grows: the renewals come from an index.

Every page a supervisor signs in to counts the renewals due (the header) and ``/supervisor/`` and
``/me/`` list them. Without an index on the term, each request read every membership of the province
(measured at 100,000 agencies: 75–90 ms of a 110–220 ms page, the only part that grew with N).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from marketplace.models import Agency, SupervisorProfile
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import AgencyFactory, supervisor_user
from tests.helpers import explained
from workflows.models import Membership
from workflows.selectors.supervisor import supervisor_queue
from workflows.selectors.workspace import header_counts_for_user

pytestmark = pytest.mark.django_db

BULK = 20_000
DUE = 30  # terms ending within the notice period
ASKED = 2  # renewals asked for, far from their term's end


def _bulk_members() -> None:
    """``BULK`` admitted agencies, terms spread over three years; a few due soon, two asked to renew; ANALYZE."""
    region = AgencyFactory().region
    now, today = timezone.now(), timezone.localdate()
    agencies = Agency.objects.bulk_create(
        [
            Agency(
                uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(i, "RN")),
                name=f"惠州续期测试咨询有限公司（{i}）",
                region=region,
                identity_verified_at=now,
            )
            for i in range(BULK)
        ],
        batch_size=5_000,
    )

    def term(i: int) -> datetime.date:
        return today + datetime.timedelta(days=(5 + i) if i < DUE else 200 + i % 900)

    Membership.objects.bulk_create(
        [
            Membership(
                agency=a,
                state=Membership.State.ACTIVE,
                member_since=today - datetime.timedelta(days=400),
                term_until=term(i),
                renewal_requested_at=now if DUE <= i < DUE + ASKED else None,
            )
            for i, a in enumerate(agencies)
        ],
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        for model in (Agency, Membership):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


@pytest.mark.postgres
def test_the_renewals_due_are_found_by_the_term_index_not_by_reading_every_membership():
    _bulk_members()
    user = supervisor_user()
    profile = SupervisorProfile.objects.get(user=user)

    queue, queue_plans = explained(lambda: supervisor_queue(profile))
    counts, count_plans = explained(lambda: header_counts_for_user(user))

    # the queue lists exactly the terms ending within the notice period and the renewals asked for
    assert len(queue.renewals) == DUE + ASKED
    assert counts.todo_count == DUE + ASKED
    table = Membership._meta.db_table
    renewal_plans = [p for p in queue_plans if "term_until" in p] + count_plans
    assert renewal_plans
    for plan in queue_plans + count_plans:
        assert f"Seq Scan on {table}" not in plan, plan
    for plan in renewal_plans:
        if "term_until" in plan:
            assert "membership_term_running" in plan, plan
            assert "membership_renewal_asked" in plan, plan
