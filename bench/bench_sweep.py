"""Benchmark: the deadline sweep closing 10,000 due projects, one worker against two worker processes.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_sweep.py``

It creates its own database (``zjcs_bench_sweep`` on the same server, dropped first), migrates it,
and bulk-loads 1,000 admitted agencies (membership rows in state active, credit subjects, a valid
licence, the service category) and 10,000 published draw projects whose sign-up deadline has passed,
each with three sign-ups holding quotes sealed by ``quote_seal``. Then, in the same run:

  (a) the baseline: one worker, ``deadlines_sweep()`` over the first 5,000 projects;
  (b) two worker processes (each with ``django.setup()`` and its own connection), released together,
      running ``deadlines_sweep()`` concurrently over the other 5,000.

The halves are told apart by their deadlines (two hours ago and one hour ago): (a) sweeps at a
moment between them, (b) at the start of the run. Each close is the real thing: the pool is re-checked
through the credit gate, quotes are opened, the draw is run and proved, the project is awarded and the
result notice requested. It prints projects closed per second for (a) and (b) and the ratio (b)/(a),
then checks that every project left the open state and that no transition ran twice on any row.

Notices: the sweep writes each result notice request in its transaction and hands the publishing
task to Celery on commit. Here Celery gets an in-memory broker, so the task is queued and not run
— in production a notice worker publishes the pages, not the sweep. ``--publish-inline`` runs the
tasks eagerly instead (as with no broker configured), so each close also builds a Wagtail page.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

from benchlib import database_url, drop_database, fail, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"

PROJECTS = 10_000
AGENCIES = 1_000
SIGNUPS_PER_PROJECT = 3
WORKERS = 2
CHUNK = 2_000
WHY = "row locks and SKIP LOCKED are what is measured; SQLite says nothing"


def django_setup(publish_inline: bool) -> None:
    """Settings for the bench: no query log (DEBUG off) and, unless asked, notices queued, not built."""
    if not publish_inline:
        os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def load(now: datetime.datetime, projects: int, agencies: int) -> None:
    """Bulk-insert admitted agencies, a buyer, and ``projects`` due draw projects with sealed sign-ups.

    The rows are the ones the entry and publishing services leave behind (membership active, credit
    subject, licence, category; project open with its draw commitment and requirement; sign-ups
    submitted with sealed quotes), inserted in bulk: the state fields are protected, so states are
    given to the constructors.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from credit_rules.models import CreditSubject
    from marketplace.models import (
        Agency,
        BuyerUnit,
        Qualification,
        QualificationLevel,
        QualificationType,
        Region,
        ServiceCategory,
    )
    from marketplace.validators import org_code_for_serial, uscc_build
    from workflows import draw
    from workflows.models import Membership, Project, ProjectQualification, SignUp
    from workflows.services.procurement.sealing import quote_seal

    region = Region.objects.get(code="441302")
    category = ServiceCategory.objects.get(code="VAL-RE")
    qtype = QualificationType.objects.get(code="Q-RE")
    top, required = (QualificationLevel.objects.get(qualification_type=qtype, rank=r) for r in (1, 2))
    with transaction.atomic():
        clerk = get_user_model().objects.create_user("bench-buyer", password=None)
        unit = BuyerUnit.objects.create(
            uscc=uscc_build(authority="1", kind="1", region_code="441300", org_code=org_code_for_serial(1, "BB")),
            name="惠州市压测局",
            region=region,
        )
        agency_rows = Agency.objects.bulk_create(
            Agency(
                uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(i, "BW")),
                name=f"惠州压测评估有限公司{i:05d}",
                region=region,
            )
            for i in range(1, agencies + 1)
        )
        Agency.categories.through.objects.bulk_create(
            Agency.categories.through(agency_id=a.pk, servicecategory_id=category.pk) for a in agency_rows
        )
        Qualification.objects.bulk_create(
            Qualification(
                agency=a,
                qualification_type=qtype,
                level=top,
                certificate_no=f"粤房估{a.pk:06d}",
                valid_until=(now + datetime.timedelta(days=365)).date(),
            )
            for a in agency_rows
        )
        Membership.objects.bulk_create(
            Membership(
                agency=a,
                state=Membership.State.ACTIVE,
                member_since=now - datetime.timedelta(days=400),
                decided_at=now - datetime.timedelta(days=400),
                term_until=(now + datetime.timedelta(days=700)).date(),
            )
            for a in agency_rows
        )
        CreditSubject.objects.bulk_create(
            CreditSubject(kind=CreditSubject.Kind.AGENCY, agency=a, uscc=a.uscc, name=a.name) for a in agency_rows
        )

    half = projects // 2
    for start in range(0, projects, CHUNK):
        with transaction.atomic():
            batch = []
            for i in range(start, min(start + CHUNK, projects)):
                secret = draw.secret_new()
                # the first half fell due two hours ago, the second one hour ago
                deadline = now - datetime.timedelta(hours=2 if i < half else 1)
                batch.append(
                    Project(
                        code=f"ZJCS-BENCH-{i + 1:06d}",
                        buyer=unit,
                        created_by=clerk,
                        state=Project.State.OPEN,
                        name=f"压测项目 {i + 1} 房地产估价服务",
                        category=category,
                        content="对安置房项目进行市场价值评估，出具估价报告。",
                        budget=Decimal("80000"),
                        quote_floor=Decimal("40000"),
                        quote_ceiling=Decimal("80000"),
                        method=Project.Method.DRAW,
                        min_signups=3,
                        signup_deadline=deadline,
                        submitted_at=deadline - datetime.timedelta(days=8),
                        published_at=deadline - datetime.timedelta(days=7),
                        draw_secret=secret.hex(),
                        draw_commitment=draw.commitment(secret),
                    )
                )
            Project.objects.bulk_create(batch)
            ProjectQualification.objects.bulk_create(
                ProjectQualification(project=p, qualification_type=qtype, min_level=required) for p in batch
            )
            signups = []
            for p in batch:
                n = int(p.code.rsplit("-", 1)[1])
                for j in range(SIGNUPS_PER_PROJECT):
                    agency = agency_rows[(n * 7 + j) % len(agency_rows)]
                    quote = Decimal(45000 + (n * 37 + j * 1000) % 30000)
                    signups.append(
                        SignUp(
                            project=p,
                            agency=agency,
                            sealed_quote=quote_seal(p.code, quote),
                            submitted_by=clerk,
                            submitted_at=p.published_at + datetime.timedelta(days=1, minutes=j),
                        )
                    )
            SignUp.objects.bulk_create(signups)
        print(f"    {min(start + CHUNK, projects):,} projects", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def worker(url: str, publish_inline: bool, at: datetime.datetime, ready, go, results) -> None:
    """A sweep worker process of its own: Django set up here, its own connection, released with the other."""
    os.environ["DATABASE_URL"] = url
    django_setup(publish_inline)
    from django.db import connection

    from credit_rules.policy import policy_at
    from workflows.services.deadlines import deadlines_sweep

    connection.ensure_connection()
    policy_at(at)  # the per-process policy cache, as a running worker has it
    ready.wait(timeout=600)
    go.wait()
    started, cpu = time.perf_counter(), time.process_time()
    counts = deadlines_sweep(at)
    results.put((os.getpid(), counts, time.perf_counter() - started, time.process_time() - cpu))
    connection.close()


def check(first: list[int], second: list[int]) -> list[str]:
    """Every project left the open state, and no transition ran twice (or was even tried twice) on a row."""
    from django.db import connection
    from django.db.models import Count

    from workflows.models import Project, SignUp, TransitionLog

    problems = []
    ids = first + second
    still_open = Project.objects.filter(pk__in=ids, state=Project.State.OPEN).count()
    if still_open:
        problems.append(f"{still_open} projects are still open")
    awarded = Project.objects.filter(pk__in=ids, state=Project.State.AWARDED).count()
    if awarded != len(ids):
        problems.append(f"{len(ids) - awarded} projects were not awarded")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content_type_id, object_id, transition, COUNT(*) FROM workflows_transitionlog"
            " GROUP BY content_type_id, object_id, transition HAVING COUNT(*) > 1 LIMIT 5"
        )
        twice = cursor.fetchall()
    if twice:
        problems.append(f"transitions logged more than once on a row, e.g. {twice}")
    refused = TransitionLog.objects.exclude(outcome=TransitionLog.Outcome.DONE).count()
    if refused:
        problems.append(f"{refused} refused transition attempts (a row acted on by both workers?)")
    for name in ("close_signup", "award"):
        logged = TransitionLog.objects.filter(content_type__model="project", transition=name).count()
        if logged != len(ids):
            problems.append(f"{logged} {name} transitions logged for {len(ids)} projects")
    winners = (
        SignUp.objects.filter(project_id__in=ids, state=SignUp.State.SELECTED)
        .values("project_id")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .count()
    )
    if winners != len(ids):
        problems.append(f"{len(ids) - winners} projects without exactly one winner")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench_sweep"))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 10,000 projects, for a quick try")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--publish-inline", action="store_true", help="build each notice page inside the sweep")
    args = parser.parse_args()
    projects = max(2, int(PROJECTS * args.scale)) // 2 * 2
    agencies = max(SIGNUPS_PER_PROJECT, int(AGENCIES * min(1.0, args.scale * 10)))

    url = database_url(args.database, why=WHY)
    os.environ["DATABASE_URL"] = url
    django_setup(args.publish_inline)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from workflows.models import Project
    from workflows.services.deadlines import deadlines_sweep

    print(
        f"bench_sweep: {projects:,} due projects x {SIGNUPS_PER_PROJECT} sign-ups, {agencies:,} agencies, "
        f"database {args.database!r}, notices {'built inline' if args.publish_inline else 'queued'}"
    )
    now = timezone.now()
    timed("migrate", lambda: call_command("migrate", verbosity=0))
    timed("load (bulk insert + sealed quotes + ANALYZE)", lambda: load(now, projects, agencies))
    ids = list(Project.objects.order_by("code").values_list("pk", flat=True))
    first, second = ids[: projects // 2], ids[projects // 2 :]

    print("measuring:", flush=True)
    # (a) one worker: a moment between the two halves' deadlines, so only the first half is due
    between = now - datetime.timedelta(minutes=90)
    load_a = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    counts_a = deadlines_sweep(between)
    t_a, cpu_a = time.perf_counter() - started, time.process_time() - cpu
    rate_a = counts_a["signup_closed"] / t_a
    print(
        f"  (a) one worker:          {counts_a['signup_closed']:,} closed in {t_a:.1f}s = {rate_a:.1f} projects/s"
        f" (worker CPU {1000 * cpu_a / counts_a['signup_closed']:.0f} ms/project, busy {cpu_a / t_a:.0%};"
        f" load average {load_a:.1f} on {os.cpu_count()} CPUs)"
    )
    if counts_a["signup_closed"] != len(first):
        fail(f"(a) closed {counts_a['signup_closed']} projects, expected {len(first)}")

    # (b) two processes, released together, over the second half
    connection.close()
    context = multiprocessing.get_context("spawn")
    ready, go = context.Barrier(WORKERS + 1), context.Event()
    results = context.Queue()
    procs = [
        context.Process(target=worker, args=(url, args.publish_inline, now, ready, go, results)) for _ in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    ready.wait(timeout=600)
    load_b = os.getloadavg()[0]
    started = time.perf_counter()
    go.set()
    finished = [results.get() for _ in procs]
    t_b = time.perf_counter() - started
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            fail(f"a worker process exited with {proc.exitcode}")
    closed_b = sum(c["signup_closed"] for _pid, c, _t, _cpu in finished)
    rate_b = closed_b / t_b
    cpu_b = sum(cpu for _pid, _c, _t, cpu in finished)
    shares = ", ".join(f"{c['signup_closed']:,} in {t:.1f}s, busy {cpu / t:.0%}" for _pid, c, t, cpu in finished)
    print(
        f"  (b) {WORKERS} worker processes: {closed_b:,} closed in {t_b:.1f}s = {rate_b:.1f} projects/s"
        f" (worker CPU {1000 * cpu_b / closed_b:.0f} ms/project; {shares}; load average {load_b:.1f})"
    )
    if closed_b != len(second):
        fail(f"(b) closed {closed_b} projects, expected {len(second)}")

    problems = check(first, second)
    if problems:
        fail("; ".join(problems))
    print(f"  checked: all {len(ids):,} projects awarded once, each with one winner; no transition ran twice")
    print()
    print(f"ratio (b) {WORKERS} processes / (a) one worker: {rate_b / rate_a:.2f}x  (projects per second)")
    print(
        "(the workers never wait for each other's rows — SKIP LOCKED — so where they show busy well under 100%,\n"
        " they were waiting for a CPU or for PostgreSQL on a busy machine, not for each other)"
    )

    if not args.keep:
        connection.close()
        drop_database(url)


if __name__ == "__main__":
    main()
