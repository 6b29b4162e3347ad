"""The monthly operations report (运营报告): its figures equal those computed by hand from seeded projects; it is
archived once per month (idempotent); the beat task generates the previous month on the first working day of a
month and on no other day; a management command generates a given month; supervisors and the operator read the
archive (within its query budget), the report with its SVG charts and its PDF."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from credit_rules.models import Source
from credit_rules.services import event_record, subject_for_agency
from marketplace.models import CalendarDay
from tests.factories import (
    agencies,
    agency_user,
    buyer_user,
    operator_user,
    published_project,
    signups_submit,
    supervisor_user,
    winner_confirmed,
)
from tests.helpers import after, logged_in, query_count, refetch
from tests.query_budgets import BUDGETS
from workflows import tasks
from workflows.models import Engagement, MonthlyReport, Project
from workflows.services.deadlines import deadlines_sweep
from workflows.services.reports import first_working_day, monthly_report_due, monthly_report_generate

pytestmark = pytest.mark.django_db


MARCH = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)  # a Monday: every deadline below falls in March


@pytest.fixture
def seeded():
    """In March 2026: draw projects with budgets 80,000 (quotes 60,000) and 100,000 (quotes 90,000), a draw project
    with no sign-up (failed), a lowest-price project with budget 80,000 (quotes 52,000 / 61,000 / 47,000); the
    three awarded ones past publicity; one credit warning. The sweeps are given the moments just past each
    deadline (nothing sleeps); the clock stays in March for the test."""
    with time_machine.travel(MARCH, tick=True):
        pool = agencies(3)
        buyer, operator = buyer_user(), operator_user()
        draw_a = published_project("draw", buyer=buyer, operator=operator)
        draw_b = published_project(
            "draw", buyer=buyer, operator=operator, budget=Decimal("100000"), quote_ceiling=Decimal("100000")
        )
        failed = published_project("draw", buyer=buyer, operator=operator)
        price = published_project("price", buyer=buyer, operator=operator)
        signups_submit(draw_a, pool, ["60000"] * 3)
        signups_submit(draw_b, pool, ["90000"] * 3)
        signups_submit(price, pool, ["52000", "61000", "47000"])
        deadlines_sweep(after(max(p.signup_deadline for p in (draw_a, draw_b, failed, price))))
        awarded = [draw_a, draw_b, price]
        for project in awarded:
            winner_confirmed(project, pool)
        deadlines_sweep(after(max(refetch(p).publicity_ends_at for p in awarded)))
        assert Project.objects.get(pk=failed.pk).state == Project.State.FAILED
        assert sorted(Engagement.objects.values_list("amount", flat=True)) == [47000, 60000, 90000]
        assert {p.awarded_at.month for p in Project.objects.filter(awarded_at__isnull=False)} == {3}
        event_record(subject=subject_for_agency(pool[0][0]), code="CREDIT_WARNING", source=Source.SUPERVISOR)
        yield pool


def this_month() -> datetime.date:
    return datetime.date(2026, 3, 1)


def test_the_figures_equal_the_hand_computed_ones(seeded):
    # when this month's report is generated
    figures = monthly_report_generate(this_month()).figures
    # then per method: projects, sign-ups, amounts and savings against budget
    draw, price, total = figures["methods"]["draw"], figures["methods"]["price"], figures["total"]
    assert (draw["published"], draw["closed"], draw["signups"], draw["failed"], draw["awarded"]) == (3, 3, 6, 1, 2)
    assert draw["signups_per_project"] == 2.0
    assert (draw["budget"], draw["amount"], draw["saving"]) == ("180000.00", "150000.00", "30000.00")
    assert draw["saving_rate"] == round(30000 / 180000, 4)
    assert (price["published"], price["signups"], price["awarded"], price["signups_per_project"]) == (1, 3, 1, 3.0)
    assert (price["budget"], price["amount"], price["saving_rate"]) == ("80000.00", "47000.00", 0.4125)
    assert figures["methods"]["scored"]["published"] == 0 and figures["methods"]["scored"]["saving_rate"] is None
    assert (total["published"], total["closed"], total["signups"], total["awarded"]) == (4, 4, 9, 3)
    assert total["signups_per_project"] == 2.25
    assert (total["budget"], total["amount"], total["saving"]) == ("260000.00", "197000.00", "63000.00")
    assert total["saving_rate"] == round(63000 / 260000, 4)
    # and the award concentration, from the amounts each agency won
    won: dict[str, Decimal] = {}
    for e in Engagement.objects.select_related("agency"):
        won[e.agency.uscc] = won.get(e.agency.uscc, Decimal(0)) + e.amount
    shares = sorted((float(a / Decimal(197000)) for a in won.values()), reverse=True)
    concentration = figures["concentration"]
    assert concentration["agencies"] == len(won) and concentration["total"] == "197000.00"
    assert concentration["top_share"] == 1.0  # fewer than five agencies won
    assert concentration["hhi"] == round(sum((s * 100) ** 2 for s in shares), 1)
    assert [t["share"] for t in concentration["top"]] == [round(s, 4) for s in shares]
    # and the ladder: one warning, no measure; no complaint, objection or dormancy
    assert figures["ladder"] == {"warning": 1, "reward": 0, "restrict": 0, "suspend": 0, "expel": 0, "revoke": 0}
    assert figures["complaints"]["challenges"] == {"filed": 0, "complained": 0, "upheld": 0, "dismissed": 0}
    assert figures["complaints"]["response_days"] == {
        "challenge_answer": None,
        "complaint_decision": None,
        "objection_decision": None,
    }
    assert figures["dormancy"] == {"prompted": 0, "exited": 0}
    # and last month had none of it
    last = monthly_report_generate(this_month() - datetime.timedelta(days=1)).figures
    assert last["total"]["published"] == 0 and last["concentration"]["hhi"] is None


def test_generating_a_month_again_keeps_the_archived_report(seeded):
    # given this month's report archived
    first = monthly_report_generate(this_month())
    # when it is generated again after more projects were published
    published_project("price")
    again = monthly_report_generate(this_month())
    # then it is the same archived row, as it was
    assert again.pk == first.pk and again.generated_at == first.generated_at
    assert again.figures == first.figures and MonthlyReport.objects.count() == 1
    # unless a replacement is asked for (the management command's --replace)
    call_command("monthly_report", f"{this_month():%Y-%m}", "--replace")
    replaced = MonthlyReport.objects.get()
    assert replaced.figures["methods"]["price"]["published"] == 2 and replaced.generated_at > first.generated_at


def test_the_scheduled_task_generates_the_previous_month_on_the_first_working_day_only():
    # given the beat schedule asks the task
    assert django_settings.CELERY_BEAT_SCHEDULE["monthly-report"]["task"] == "workflows.tasks.monthly_report"
    # when the task runs on 2 December 2026 (a Wednesday, not the first working day)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, tzinfo=datetime.UTC)):
        assert tasks.monthly_report.delay().get() == ""
    assert not MonthlyReport.objects.exists()
    # when it runs on 1 December 2026 (a Tuesday, the first working day): November's report
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)):
        assert tasks.monthly_report.delay().get() == "2026-11"
        assert tasks.monthly_report.delay().get() == "2026-11"  # again the same day: nothing new
    assert list(MonthlyReport.objects.values_list("month", flat=True)) == [datetime.date(2026, 11, 1)]
    # and in January 2027, with New Year's Day a holiday and the weekend after it, on the 4th only
    CalendarDay.objects.update_or_create(date=datetime.date(2027, 1, 1), defaults={"kind": CalendarDay.Kind.HOLIDAY})
    assert first_working_day(datetime.date(2027, 1, 1)) == datetime.date(2027, 1, 4)
    for day in (1, 2, 3, 5):
        assert monthly_report_due(datetime.date(2027, 1, day)) is None
    assert monthly_report_due(datetime.date(2027, 1, 4)).month == datetime.date(2026, 12, 1)
    # and a make-up working day on a Saturday that opens a month is its first working day
    CalendarDay.objects.update_or_create(date=datetime.date(2027, 5, 1), defaults={"kind": CalendarDay.Kind.WORKDAY})
    assert monthly_report_due(datetime.date(2027, 5, 1)).month == datetime.date(2027, 4, 1)


def test_the_command_generates_a_given_month():
    call_command("monthly_report", "2026-10")
    assert MonthlyReport.objects.get().month == datetime.date(2026, 10, 1)


def test_supervisors_and_the_operator_read_the_report_and_its_pdf(seeded):
    report = monthly_report_generate(this_month())
    month = f"{report.month:%Y-%m}"
    for user in (supervisor_user(), operator_user()):
        client = logged_in(user)
        archive = client.get(reverse("supervisor-reports")).content.decode()
        assert reverse("supervisor-report", kwargs={"month": month}) in archive
        page = client.get(reverse("supervisor-report", kwargs={"month": month}))
        body = page.content.decode()
        assert page.status_code == 200 and body.count("<svg") == 3  # drawn on the server, no script
        assert "260,000.00" in body and "197,000.00" in body
        pdf = client.get(reverse("supervisor-report-pdf", kwargs={"month": month}))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
        assert month.encode() in pdf.content and b"STSong-Light" in pdf.content
    # and an agency may not
    assert logged_in(agency_user()).get(reverse("supervisor-reports")).status_code == 403
    assert (
        logged_in(supervisor_user()).get(reverse("supervisor-report", kwargs={"month": "2001-01"})).status_code == 404
    )


def test_the_archive_costs_the_same_for_3_and_30_reports():
    client = logged_in(supervisor_user())
    url = reverse("supervisor-reports")
    start = datetime.date(2020, 1, 1)

    def add(n: int) -> None:
        done = MonthlyReport.objects.count()
        for i in range(done, done + n):
            monthly_report_generate(datetime.date(start.year + i // 12, i % 12 + 1, 1))

    add(3)
    three = query_count(client, url, warm=True)
    add(27)
    thirty = query_count(client, url)
    assert len(client.get(url).context["reports"]) == 30
    assert three == thirty <= BUDGETS["supervisor-reports"]
