"""The whole demo data set in order: people, agencies, credit stories, bulk members, projects.

The seed computes every period in calendar time, whatever ``ZJCS_TIME_SCALE`` the process runs with: a
seeded project's sign-up, publicity or contract period is the real one, so nothing seeded falls due (and
nobody is charged for a deadline they could not have met) before a person acts or the demo clock moves.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from faker import Faker

from marketplace.dbops import planner_statistics_refresh
from marketplace.models import Agency

from .agencies import agencies_seed
from .bulk import members_bulk_admit
from .bulk_buyers import buyer_units_seed
from .identity import identities_verify
from .people import DEMO_PASSWORD, DemoLogin, buyers_seed, officials_seed
from .projects import pool_logins, projects_seed
from .scenarios import SCENARIOS, agency_logins_seed, scenarios_seed
from .year_bulk import open_projects_seed, past_projects_seed
from .year_credit import credit_seed

AGENCIES_PER_SCALE = 60


def demo_seed(*, scale: int = 1, progress: Callable[[str], None] = lambda _m: None) -> list[DemoLogin]:
    """Seed the demo data set (idempotent: rows are keyed by USCC or username) and return one login per role."""
    with override_settings(ZJCS_TIME_SCALE=1):
        return _seed(scale, progress)


def _seed(scale: int, progress: Callable[[str], None]) -> list[DemoLogin]:
    # One seeded generator for every name and address, so each run produces the same people in the same order.
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    rng = random.Random(2026)
    logins = buyers_seed(fake)
    agencies_seed(AGENCIES_PER_SCALE * max(1, scale), fake, rng, progress)
    accounts = agency_logins_seed(fake)
    logins += officials_seed(fake)
    supervisor = get_user_model().objects.get(username="supervisor_demo")
    # Every agency proved control of its USCC before anything else: the operator verified its licence.
    operator = get_user_model().objects.get(username="operator_demo")
    identities_verify(Agency.objects.all(), reviewer=operator, progress=progress)
    scenarios_seed(accounts, supervisor)
    # Every other agency is an admitted member; the scenario agencies keep their own stories.
    others = Agency.objects.exclude(pk__in=[agency.pk for _u, agency, _user in accounts])
    members_bulk_admit(others, reviewer=supervisor, progress=progress)
    projects_seed(password=DEMO_PASSWORD, progress=progress)
    if scale > 1:
        # The year in proportion to the agencies (README): for benchmarks; make demo keeps its own stories.
        buyer_units_seed(AGENCIES_PER_SCALE * scale, fake, progress=progress)
        open_projects_seed(AGENCIES_PER_SCALE * scale, rng=random.Random(2026), progress=progress)
        past_projects_seed(AGENCIES_PER_SCALE * scale, rng=random.Random(2027), progress=progress)
        # What supervisors found in that year; the agencies whose logins the demo prints keep their stories.
        demo_agencies = [agency.pk for _u, agency, _user in accounts] + [a.pk for _u, a, _n in pool_logins()]
        credit_seed(AGENCIES_PER_SCALE * scale, rng=random.Random(2028), spare=demo_agencies, progress=progress)
    # Rows written in bulk: the planner must learn the tables' new sizes before the first page is served.
    planner_statistics_refresh()
    notes = {username: note for username, _field, note in SCENARIOS}
    agency_logins = [
        DemoLogin("中介机构 Agency", username, f"{agency.name} — {notes[username]}")
        for username, agency, _u in accounts
    ]
    agency_logins += [
        DemoLogin("中介机构 Agency", username, f"{agency.name} — {note}") for username, agency, note in pool_logins()
    ]
    logins[1:1] = agency_logins
    return logins
