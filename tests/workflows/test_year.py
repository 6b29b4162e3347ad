"""A simulated stretch of the marketplace, through the services: every rung of the ladder happens,
and the public statistics and lists show it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from credit_rules.models import LedgerEntry, MeasureKind
from workflows.demo.year import Behaviour, year_simulate

pytestmark = pytest.mark.django_db(transaction=False)

# A small, eventful population: the rates are raised so that a short stretch shows every rung.
BUSY = Behaviour(
    members=36,
    applicants=10,
    applicant_listed=0.6,
    buyers=4,
    projects_per_weekday=1.5,
    winner_silent=0.15,
    contract_missed=0.1,
    warnings=3.0,
    complaints=1.0,
    false_materials=0.4,
    honours=0.5,
    restrict_cases=0.6,
)


def test_a_simulated_stretch_shows_every_rung_in_the_records_and_the_public_pages(client):
    # when four months are lived through the services
    report = year_simulate(behaviour=BUSY, seed=7, days=120)

    # then the ledger holds every rung, counted in the report
    counts = report.counts
    for rung in (
        "refused_entry",
        "green_channel",
        "warnings",
        "restrictions",
        "revocations",
        "suspensions",
        "expulsions",
    ):
        assert counts[rung] > 0, (rung, counts)
    assert report.projects > 20
    # and the public statistics count the measures, the blacklist names the expelled, the red list the rewarded
    stats = client.get(reverse("statistics")).content.decode()
    assert "撤销中选资格" in stats and "暂停" in stats
    rewarded = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE, measure=MeasureKind.REWARD).last()
    assert rewarded is not None
    expelled = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE, measure=MeasureKind.EXPEL).first()
    assert expelled is not None
    assert expelled.subject.name in client.get(reverse("blacklist")).content.decode()
