"""The scaled year's credit side: supervisors' warnings and honours, through the real services, over the past year.

``seed_demo --scale N`` (N ≥ 2) seeds the year's projects in bulk (``year_bulk``); what supervisors find in
the same year is seeded here, in the README's proportion per project (as in the simulated year, whose
ladder has Huizhou's shape): 191 credit warnings and 15 honours for 645 projects. Each is recorded by the
service a supervisor's form calls (``warning_issue``, ``credit_event_record``) with the clock at its moment,
spread over the past year's working days, oldest first; the credit rules do the rest — escalation to
restriction or suspension, the red list — and every warning and honour is published as a notice, as it
would be. Finally the credit sweep runs at the present, as the platform's hourly job would have, so
measures whose time ran out have ended.

The services are the path, not a copy of them: a warning writes its ledger entry, escalation, measures,
membership transitions (through the runner) and notice, which no bulk writer should imitate. They cost
tens of milliseconds each (the notice most of it): a few seconds per thousand agencies.

Seeded after the projects, the events are appended after the rows the projects' paths wrote, though dated
within the same year: a sign-up's gate decision saw the ledger as it stood when it was seeded, without a
warning seeded later and dated earlier.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable

import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from credit_rules.models import LedgerEntry, Source
from credit_rules.services import subject_for_agency
from marketplace.models import Agency

from ..models import Membership
from ..services.credit import events as event_services
from ..services.credit.sweeps import credit_sweep
from .year_bulk import PROJECTS_PER_AGENCY

# Per project of the year, as in the simulated year (README, "A realistic year per agency").
WARNINGS_PER_PROJECT = 191 / 645
HONOURS_PER_PROJECT = 15 / 645
# What a seeded finding says (a supervisor's words, as on the warning form).
WARNING_FACTS = "服务成果逾期且未按约定说明理由，经核查属实。"
WARNING_EVIDENCE = "项目业主投诉，经核查逾期交付属实。"
HONOUR_SUMMARY = "获评市级诚信示范单位。"
# Marks the seeded findings, so a second run finds them and adds none.
MARK = "【演示·年度监管】"


def _moments(count: int, rng: random.Random, now: datetime.datetime) -> list[datetime.datetime]:
    """``count`` moments on working days of the past year, in office hours, oldest first."""
    moments: list[datetime.datetime] = []
    while len(moments) < count:
        day = timezone.localtime(now) - datetime.timedelta(days=rng.randrange(1, 366))
        if day.weekday() < 5:
            moments.append(day.replace(hour=rng.randrange(9, 17), minute=rng.randrange(60), second=0, microsecond=0))
    return sorted(moments)


def credit_seed(
    agencies: int,
    *,
    rng: random.Random,
    spare: Iterable[int] = (),
    progress: Callable[[str], None] = lambda _m: None,
) -> int:
    """The year's warnings and honours for ``agencies`` agencies (idempotent); ``spare``: agencies to leave
    alone (the demo's own stories). Returns how many findings were recorded."""
    if LedgerEntry.objects.filter(evidence__summary__startswith=MARK).exists():
        return 0
    projects = agencies * PROJECTS_PER_AGENCY
    warnings, honours = round(projects * WARNINGS_PER_PROJECT), round(projects * HONOURS_PER_PROJECT)
    members = list(
        Agency.objects.filter(memberships__state=Membership.State.ACTIVE)
        .exclude(pk__in=list(spare))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not members or not warnings + honours:
        return 0
    supervisor = get_user_model().objects.get(username="supervisor_demo")
    now = timezone.now()
    findings = [("warning", m) for m in _moments(warnings, rng, now)] + [
        ("honour", m) for m in _moments(honours, rng, now)
    ]
    findings.sort(key=lambda f: f[1])
    for done, (kind, moment) in enumerate(findings, start=1):
        agency = Agency.objects.get(pk=rng.choice(members))
        with time_machine.travel(moment, tick=False):
            if kind == "warning":
                event_services.warning_issue(
                    agency=agency, actor=supervisor, facts=WARNING_FACTS, evidence_summary=f"{MARK}{WARNING_EVIDENCE}"
                )
            else:
                event_services.credit_event_record(
                    subject=subject_for_agency(agency),
                    code="HONOUR_RED_LIST",
                    source=Source.SUPERVISOR,
                    actor=supervisor,
                    evidence={"summary": f"{MARK}{HONOUR_SUMMARY}"},
                    publish="red_list",
                )
        if done % 200 == 0 or done == len(findings):
            progress(f"  credit findings {done}/{len(findings)}")
    # The platform's hourly sweep at the present: measures whose time ran out end, rewards are reviewed.
    credit_sweep(timezone.now())
    return len(findings)
