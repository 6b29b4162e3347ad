"""A year of the marketplace, simulated through the real services (``manage.py simulate_year``).

A population of agencies and buyers lives through the past year day by day: buyers post projects
that the operator publishes, agencies sign up, win, confirm or give up, sign, deliver on time or
late, are rated and paid; supervisors warn, record verified complaints, honours and the rare false
materials, and propose cases; new agencies apply to enter, some of them on a court's list. Every
step is a service call a user (or the platform's sweep) would make; the clock is moved to each
simulated moment (``time_machine``) so records carry the dates they would have had. What people do
is drawn from the probabilities of ``Behaviour``, stated below; the credit rules do the rest.

The simulated population is its own (its own agencies, buyers and officials, named ``sim``), so the
demo's accounts and stories are left as they are.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from credit_rules.models import LedgerEntry, MeasureKind
from marketplace import services as market
from marketplace.models import Agency, AgencyStaff, BuyerUnit, Region, ServiceCategory
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build

from ..models import Membership, Project
from ..services.credit.sweeps import credit_sweep
from ..services.deadlines import deadlines_sweep
from .agencies import agencies_insert, agency_rows
from .bulk import members_bulk_admit
from .identity import identities_verify
from .people import account
from .year_steps import Day, applicant_arrives

# Serial numbers of simulated agencies start here, far from the demo's (which count from 0).
FIRST_SERIAL = 700_000
# When the simulated day starts and when the platform's sweeps run (local time).
MORNING = datetime.time(9, 30)
EVENING = datetime.time(18, 0)


@dataclass(frozen=True)
class Behaviour:
    """What people do in the simulated year, as probabilities (per event, or per agency and year)."""

    members: int = 300  # admitted agencies at the start of the year
    applicants: int = 40  # agencies applying to enter during the year
    applicant_listed: float = 0.3  # an applicant is on a court's list of judgment debtors
    buyers: int = 15
    projects_per_weekday: float = 2.5
    methods: tuple[tuple[str, float], ...] = (("draw", 0.5), ("price", 0.3), ("scored", 0.1), ("direct", 0.1))
    bidders: tuple[int, int] = (3, 7)  # how many members of the category sign up
    winner_declines: float = 0.02  # the winner gives up the win, with a reason
    winner_silent: float = 0.03  # the winner lets publicity end without confirming
    contract_missed: float = 0.02  # the winner never uploads the contract
    delivers_late: float = 0.07  # the result comes after the service end date
    rework: float = 0.08  # the buyer returns the result once
    rating: tuple[tuple[str, float], ...] = (("excellent", 0.45), ("fair", 0.5), ("poor", 0.05))
    pays_late: float = 0.05  # the buyer pays after the due date
    warnings: float = 0.6  # credit warnings per agency and year (a supervisor's finding)
    complaints: float = 0.08  # verified quality complaints per agency and year
    false_materials: float = 0.008  # per agency and year: false materials found (expulsion)
    honours: float = 0.05  # per agency and year: an honour (red list, tax grade A)
    restrict_cases: float = 0.02  # per agency and year: a supervisor proposes a restriction (due process)

    def scaled(self, factor: float) -> Behaviour:
        """The same behaviour for a population ``factor`` times as large."""
        from dataclasses import replace

        return replace(
            self,
            members=max(20, round(self.members * factor)),
            applicants=max(4, round(self.applicants * factor)),
            buyers=max(3, round(self.buyers * factor)),
            projects_per_weekday=self.projects_per_weekday * factor,
        )


# The reference year (Huizhou 中介超市): what the ladder produced there. Not a legal citation.
HUIZHOU = {
    "refused_entry": 53,
    "green_channel": 1031,
    "warnings": 323,
    "revocations": 200,
    "suspensions": 60,
    "expulsions": 10,
}


@dataclass
class Report:
    """What the simulated year produced, counted from the ledger and the decision records."""

    members: int
    projects: int
    counts: dict[str, int] = field(default_factory=dict)
    suspension_months: dict[int, int] = field(default_factory=dict)

    def table(self) -> str:
        """The counts beside the reference year's, as the README shows them."""
        labels = {
            "refused_entry": "refused entry (入驻被拒)",
            "green_channel": "green channel (绿色通道, reward)",
            "warnings": "credit warnings (信用警告)",
            "restrictions": "restrictions (限制)",
            "revocations": "selections revoked (撤销中选资格)",
            "suspensions": "suspensions (暂停)",
            "expulsions": "expulsions (清退, blacklist)",
        }
        lines = ["| rung | simulated year | Huizhou, one year |", "|---|---:|---:|"]
        for key, label in labels.items():
            lines.append(f"| {label} | {self.counts.get(key, 0)} | {HUIZHOU.get(key, '—')} |")
        lengths = ", ".join(f"{months} month(s): {n}" for months, n in sorted(self.suspension_months.items()))
        lines.append("")
        lines.append(
            f"Population: {self.members} agencies, {self.projects} projects. Suspension lengths: {lengths or '—'}."
        )
        return "\n".join(lines)


@dataclass
class Cast:
    """The simulated people: officials, buyers and their officers, member agencies and their clerks."""

    supervisor: Any
    operator: Any
    office: Any
    buyers: list[tuple[BuyerUnit, Any]]
    members: list[tuple[Agency, Any]]
    categories: list[ServiceCategory]


def _cast(behaviour: Behaviour, rng: random.Random, fake: Faker, progress: Callable[[str], None]) -> Cast:
    """Create the simulated officials, buyers and member agencies (admitted as the entry services would)."""
    supervisor = account("sim_supervisor", None, full_name="模拟监管员")
    if not hasattr(supervisor, "supervisor"):
        market.supervisor_create(user=supervisor, authority="模拟监管部门", all_regions=True, all_categories=True)
    operator = account("sim_operator", Role.OPERATOR, full_name="模拟运营员")
    office = account("sim_credit_office", None, full_name="模拟信用管理员")
    market.credit_office_add(user=office)
    regions = list(Region.objects.filter(code__startswith="4413"))
    buyers = []
    for i in range(behaviour.buyers):
        region = regions[i % len(regions)]
        uscc = uscc_build(authority="1", kind="1", region_code=region.code, org_code=org_code_for_serial(i + 1, "QY"))
        unit, _ = BuyerUnit.objects.get_or_create(
            uscc=uscc, defaults={"name": f"模拟采购单位{i + 1:02d}（{region.name}）", "region": region}
        )
        user = account(f"sim_buyer_{i + 1:02d}", Role.BUYER, full_name=fake.name())
        if not unit.staff.filter(user=user).exists():
            market.buyer_staff_add(unit=unit, user=user, is_admin=True, position="采购受托人")
        buyers.append((unit, user))
    rows = agency_rows(FIRST_SERIAL, FIRST_SERIAL + behaviour.members, fake, rng)
    agencies_insert(rows, first=FIRST_SERIAL)
    fresh = Agency.objects.filter(uscc__in=[a.uscc for a, _ in rows])
    identities_verify(fresh, reviewer=operator, progress=progress)
    members_bulk_admit(fresh, reviewer=supervisor, progress=progress)
    members = [
        (link.agency, link.user)
        for link in AgencyStaff.objects.filter(agency__in=fresh, is_admin=True).select_related("agency", "user")
    ]
    categories = list(ServiceCategory.objects.filter(agencies__in=fresh).distinct())
    return Cast(supervisor, operator, office, buyers, members, categories)


def _moment(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


class HistoryInTheWay(Exception):
    """The database already holds records dated inside the year to simulate."""


def history_in_the_way(since: datetime.datetime) -> bool:
    """Whether records dated after ``since`` exist: the platform's sweeps, run at each simulated evening,
    would act on them at moments before they happened."""
    return (
        LedgerEntry.objects.filter(effective_at__gt=since).exists()
        or Membership.objects.filter(created_at__gt=since).exists()
        or Project.objects.filter(created_at__gt=since).exists()
    )


def year_simulate(
    *, behaviour: Behaviour, seed: int = 2026, days: int = 365, progress: Callable[[str], None] = lambda _m: None
) -> Report:
    """Live through the last ``days`` days with ``behaviour``, through the services; returns the counts.

    It runs on a database with no history inside those days (before ``seed_demo``, say): refused with
    ``HistoryInTheWay`` otherwise, so it never rewrites what the demo or an earlier run holds.
    """
    rng, fake = random.Random(seed), Faker("zh_CN")
    fake.seed_instance(seed)
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=days)
    if history_in_the_way(_moment(first_day, datetime.time.min)):
        raise HistoryInTheWay(
            f"the database already holds records after {first_day}: simulate the year on a fresh database, "
            "before seed_demo (make demo YEAR=1 does it in that order)"
        )
    # Periods run in real calendar time here, whatever the demo's time acceleration.
    with override_settings(ZJCS_TIME_SCALE=1), time_machine.travel(_moment(first_day, MORNING), tick=False) as clock:
        cast = _cast(behaviour, rng, fake, progress)
        applicants_on = sorted(rng.randrange(days) for _ in range(behaviour.applicants))
        day = Day(cast=cast, behaviour=behaviour, rng=rng, fake=fake)
        for offset in range(days):
            date = first_day + datetime.timedelta(days=offset)
            clock.move_to(_moment(date, MORNING))
            for serial in [n for n, on in enumerate(applicants_on) if on == offset]:
                applicant_arrives(day, FIRST_SERIAL + behaviour.members + serial)
            day.live(date)
            clock.move_to(_moment(date, EVENING))
            deadlines_sweep()
            credit_sweep()
            if offset % 30 == 29:
                progress(f"  day {offset + 1}/{days}: {day.projects} projects so far")
    return _report(cast, day.projects, first_day)


def _report(cast: Cast, projects: int, since: datetime.date) -> Report:
    """Count the year's rungs on the simulated population's records."""
    start = _moment(since, datetime.time.min)
    agencies = [a.pk for a, _ in cast.members] + list(
        Agency.objects.filter(staff__user__username__startswith="sim_applicant_").values_list("pk", flat=True)
    )
    ledger = LedgerEntry.objects.filter(subject__agency_id__in=agencies, effective_at__gte=start)
    # Measures on members; an applicant on a court's list is refused entry (counted there), though the
    # listing rule also records a suspension against it.
    members = Membership.objects.filter(member_since__isnull=False).values("agency_id")
    measures = ledger.filter(kind=LedgerEntry.Kind.MEASURE, subject__agency_id__in=members)
    suspension_months: dict[int, int] = {}
    for entry in measures.filter(measure=MeasureKind.SUSPEND).exclude(expires_at=None):
        months = max(1, round((entry.expires_at - entry.effective_at).days / 30))
        suspension_months[months] = suspension_months.get(months, 0) + 1
    from credit_rules.models import DecisionRecord

    refused = (
        DecisionRecord.objects.filter(
            subject__agency_id__in=agencies, transition="membership.submit", allowed=False, at__gte=start
        )
        .values("subject_id")
        .distinct()
        .count()
    )
    return Report(
        members=len(cast.members),
        projects=projects,
        counts={
            "refused_entry": refused,
            "green_channel": measures.filter(measure=MeasureKind.REWARD).values("subject_id").distinct().count(),
            "warnings": ledger.filter(kind=LedgerEntry.Kind.EVENT, is_warning=True).count(),
            "restrictions": measures.filter(measure=MeasureKind.RESTRICT).count(),
            "revocations": measures.filter(measure=MeasureKind.REVOKE).count(),
            "suspensions": measures.filter(measure=MeasureKind.SUSPEND).count(),
            "expulsions": measures.filter(measure=MeasureKind.EXPEL).count(),
        },
        suspension_months=suspension_months,
    )
