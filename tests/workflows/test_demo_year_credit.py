"""The scaled year's credit side: warnings and honours in proportion, through the services, at their moments."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from cms.models import NoticeRequest
from credit_rules.models import LedgerEntry
from credit_rules.verify import ledger_verify
from tests.factories.people import supervisor_user
from tests.factories.procurement import agencies
from workflows.demo.year_credit import MARK, credit_seed

pytestmark = pytest.mark.django_db


def test_the_year_s_findings_are_recorded_in_proportion_dated_over_the_year_and_published():
    supervisor_user(username="supervisor_demo")
    pool = agencies(6)
    spared = pool[0][0]
    now = timezone.now()

    # 200 agencies' year: 208 projects, so 62 warnings and 5 honours
    recorded = credit_seed(200, rng=random.Random(3), spare=[spared.pk])

    assert recorded == 67
    seeded = LedgerEntry.objects.filter(evidence__summary__startswith=MARK)
    warnings = seeded.filter(code="CREDIT_WARNING")
    assert warnings.count() == 62 and seeded.filter(code="HONOUR_RED_LIST").count() == 5
    # dated over the past year, on working days, never in the future
    dates = list(seeded.values_list("effective_at", flat=True))
    assert min(dates) < now - timezone.timedelta(days=60) and max(dates) < now
    assert all(timezone.localtime(d).weekday() < 5 for d in dates)
    # the demo's own agency is left alone; the others carry the findings
    assert not seeded.filter(subject__agency=spared).exists()
    # the rules did the rest: with 62 warnings over 5 agencies some escalated to a measure
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEASURE).exists()
    # every warning was published, as the service publishes it
    assert NoticeRequest.objects.filter(kind="warning").count() == 62
    assert ledger_verify().ok
    # and a second run adds nothing
    assert credit_seed(200, rng=random.Random(3), spare=[spared.pk]) == 0
    assert LedgerEntry.objects.filter(evidence__summary__startswith=MARK).count() == 67
