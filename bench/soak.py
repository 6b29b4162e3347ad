"""A mixed-load soak on the real stack: gunicorn, PostgreSQL, Redis, a Celery worker and beat, driven by locust.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/soak.py [--minutes 10]``

Needs PostgreSQL, Redis on 127.0.0.1:6379 (the cache, and the Celery broker on a database of its own,
``--broker``) and locust (requirements-dev.txt). It creates its own database (``zjcs_bench_soak``, dropped
first), migrates and seeds it (``seed_demo --scale``), gives the accounts of some admitted real-estate
appraisal agencies the demo password, then starts on production settings (``config.settings.bench``):

  * gunicorn (``--workers``), the Redis cache;
  * a Celery worker and beat on Redis: the deadline sweep (closing sign-ups, drawing, ending publicity), the
    credit sweep, the notice re-send and the reminders, on the schedule of ``CELERY_BEAT_SCHEDULE``, every
    ``ZJCS_SWEEP_SECONDS`` (10 here);
  * procurement deadlines compressed (``ZJCS_TIME_SCALE=86400``: a day to a second, none under
    ``--min-seconds``), so a project a buyer posts during the soak closes, is drawn and awarded within it;

and runs locust headless with ``bench/locustfile_soak.py`` for ``--minutes``: anonymous visitors browsing and
searching, agencies signing up and confirming wins, buyers posting projects and confirming winners, the
operator publishing them, agencies uploading contracts and buyers confirming them, supervisors issuing credit
warnings — all through the pages, with CSRF tokens.

Afterwards it waits for the worker to publish what was queued and checks the invariants: one award per
project (one award transition, at most one selected or confirmed sign-up and one open engagement: a winner
who does not sign in time is revoked and the award reopened to the next in line, by design), the ledger
verifies (``verify_ledger``), every notice request published, no sign-up after its project's sign-up closed.
It prints p50/p95/p99 per page, the error count, the invariants, and the goals of issue 13: zero errors, zero
violations, p95 under 300 ms for every page.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    cache_prefix_drop,
    database_url,
    drop_database,
    fail,
    gunicorn_start,
    process_group_stop,
    redis_answers,
    seed,
    site_env,
    static_collect,
)

sys.path.insert(0, str(ROOT))

WHY = "production runs on it: row locks, SKIP LOCKED and real concurrency"
REDIS = "redis://127.0.0.1:6379/0"
GOAL_P95_MS = 300.0
AGENCY_ACCOUNTS = 30  # admitted appraisal agencies that sign up (several simulated people may share one)
BUYERS = ["buyer_demo", "buyer_fgj", "buyer_zrzy", "buyer_sthj", "buyer_jyj", "buyer_hccz", "buyer_hyjt"]


# --- child phases on the soak database (``--phase people`` and ``--phase check``) -----------------------------


def phase_people(out: Path) -> None:
    """Accounts for locust: the demo password on the staff of admitted appraisal agencies; whom to warn; terms."""
    import random

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from marketplace.models import Agency
    from workflows.demo.people import DEMO_PASSWORD
    from workflows.models import Membership, Project

    User = get_user_model()
    appraisal = (
        Agency.objects.filter(
            memberships__state=Membership.State.ACTIVE,
            qualifications__qualification_type__name__startswith="房地产估价",
            staff__isnull=False,
        )
        .distinct()
        .order_by("pk")
    )
    chosen = list(appraisal[:AGENCY_ACCOUNTS])
    usernames = []
    with transaction.atomic():
        for agency in chosen:
            user = User.objects.get(pk=agency.staff.order_by("pk").values_list("user_id", flat=True)[0])
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)  # a login for the test: the seed gave bulk members none
                user.save(update_fields=["password"])
            usernames.append(user.get_username())
    # Supervisors warn other admitted agencies, so the agencies signing up are not suspended out of the soak.
    others = Agency.objects.filter(memberships__state=Membership.State.ACTIVE).exclude(pk__in=[a.pk for a in chosen])
    warn = list(others.order_by("pk").values_list("uscc", flat=True)[:500])
    rng = random.Random(2026)
    names = list(Agency.objects.order_by("?").values_list("name", flat=True)[:100])
    names += list(Project.objects.order_by("?").values_list("name", flat=True)[:100])
    terms = [n[s : s + 2] for n in names for s in [rng.randrange(max(1, len(n) - 2))]]
    people = {
        "password": DEMO_PASSWORD,
        "accounts": {
            "agency": usernames or ["agency_demo"],
            "buyer": BUYERS,
            "operator": ["operator_demo"],
            "supervisor": ["supervisor_demo"],
        },
        "warn": warn,
        "terms": terms,
    }
    out.write_text(json.dumps(people, ensure_ascii=False))


def phase_check(out: Path, since: str) -> None:
    """The invariants after the soak, written as JSON to ``out``; ``since`` is when the load started (ISO)."""
    import io

    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import CommandError, call_command
    from django.db.models import Count, F, Min, Q

    from cms.models import NoticeRequest
    from credit_rules.models import LedgerEntry
    from workflows.models import Engagement, Project, SignUp, TransitionLog

    started = datetime.datetime.fromisoformat(since)
    project_type = ContentType.objects.get_for_model(Project)
    violations: dict[str, list[str]] = {}
    winners = (
        SignUp.objects.filter(state__in=[SignUp.State.SELECTED, SignUp.State.CONFIRMED])
        .values("project__code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    violations["more than one selected or confirmed sign-up in a project"] = [
        f"{w['project__code']}: {w['n']}" for w in winners
    ]
    # A winner who does not sign in time is revoked and the award reopened to the next in line (``reopen_award``):
    # its engagement ends as terminated. Open engagements and awards made by a draw or ranking must stay one.
    engagements = (
        Engagement.objects.exclude(state=Engagement.State.TERMINATED)
        .values("project__code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    violations["more than one open engagement in a project"] = [f"{e['project__code']}: {e['n']}" for e in engagements]
    awards = (
        TransitionLog.objects.filter(content_type=project_type, transition="award", outcome="done")
        .values("object_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    violations["more than one award transition in a project"] = [f"project {a['object_id']}: {a['n']}" for a in awards]
    ledger = io.StringIO()
    try:
        call_command("verify_ledger", stdout=ledger, stderr=ledger)
        violations["ledger verification"] = []
    except CommandError as exc:
        violations["ledger verification"] = [f"{exc} {ledger.getvalue()}"]
    unpublished = NoticeRequest.objects.exclude(status=NoticeRequest.Status.PUBLISHED)
    violations["notice requests not published"] = [
        f"{r.source_key} ({r.status})" for r in unpublished.exclude(status=NoticeRequest.Status.MODERATION)
    ]
    # The soak's own sign-ups: the seed moves the stored deadlines of its projects to "just now" after the fact.
    soaked = SignUp.objects.filter(submitted_at__gte=started)
    late = soaked.filter(project__signup_deadline__isnull=False, submitted_at__gt=F("project__signup_deadline"))
    closes = dict(
        TransitionLog.objects.filter(content_type=project_type, transition="close_signup", outcome="done")
        .values("object_id")
        .annotate(at=Min("at"))
        .values_list("object_id", "at")
    )
    after_close = [
        s
        for s in soaked.filter(project_id__in=list(closes)).select_related("project")
        if s.submitted_at > closes[s.project_id]
    ]
    violations["sign-ups after the sign-up deadline"] = [f"{s.project.code}: signup {s.pk}" for s in late]
    violations["sign-ups after the sign-up closed"] = [f"{s.project.code}: signup {s.pk}" for s in after_close]
    activity = {
        "projects posted": Project.objects.filter(created_at__gte=started).count(),
        "projects published": Project.objects.filter(published_at__gte=started).count(),
        "projects awarded": Project.objects.filter(awarded_at__gte=started).count(),
        "sign-ups": SignUp.objects.filter(submitted_at__gte=started).count(),
        "wins confirmed by agencies": SignUp.objects.filter(
            state=SignUp.State.CONFIRMED, selected_at__gte=started
        ).count(),
        "engagements (winners confirmed by buyers)": Engagement.objects.filter(created_at__gte=started).count(),
        "contracts confirmed": Engagement.objects.filter(created_at__gte=started)
        .exclude(state__in=[Engagement.State.AWAITING_CONTRACT, Engagement.State.TERMINATED])
        .count(),
        "awards reopened to the next in line (the winner did not sign in time)": TransitionLog.objects.filter(
            content_type=project_type, transition="reopen_award", outcome="done", at__gte=started
        ).count(),
        "sign-ups closed by the sweep": TransitionLog.objects.filter(
            content_type=project_type, transition="close_signup", outcome="done", at__gte=started
        ).count(),
        "transitions logged": TransitionLog.objects.filter(at__gte=started, outcome="done").count(),
        "transitions refused (state, permission, credit)": TransitionLog.objects.filter(at__gte=started)
        .filter(~Q(outcome="done"))
        .count(),
        "notice requests": NoticeRequest.objects.count(),
        "notice requests awaiting a moderator": unpublished.filter(status=NoticeRequest.Status.MODERATION).count(),
        "ledger entries recorded": LedgerEntry.objects.filter(recorded_at__gte=started).count(),
        "ledger": ledger.getvalue().strip(),
    }
    out.write_text(json.dumps({"violations": violations, "activity": activity}, ensure_ascii=False, default=str))


def phase_pending() -> int:
    """How many notice requests wait to be published (not counting those awaiting a moderator)."""
    import django

    django.setup()
    from cms.models import NoticeRequest

    return NoticeRequest.objects.filter(status=NoticeRequest.Status.PENDING).count()


def child(env: dict[str, str], *args: str) -> dict:
    """Run this script's ``--phase`` in a child process on the soak database; its JSON answer."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        run = subprocess.run([sys.executable, __file__, *args, "--out", out.name], cwd=ROOT, env=env)
        if run.returncode:
            fail(f"phase {args} failed (see above)")
        return json.loads(Path(out.name).read_text() or "{}")


# --- the soak -----------------------------------------------------------------------------------------------


def broker_purge(env: dict[str, str]) -> None:
    """Drop every message waiting on the soak's broker (``celery purge``)."""
    celery = str(Path(sys.executable).parent / "celery")
    subprocess.run([celery, "-A", "config", "purge", "-f"], cwd=ROOT, env=env, capture_output=True, check=False)


def stats_read(prefix: str) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def failures_read(prefix: str) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def main() -> None:
    """Seed, start the stack, run locust, check the invariants, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=30, help="simulated people at once")
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="people started per second")
    parser.add_argument("--scale", type=int, default=1, help="seed_demo --scale (1667: about 100,000 agencies)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/11", help="Celery broker (a Redis database)")
    parser.add_argument("--min-seconds", type=int, default=30, help="shortest compressed deadline (real seconds)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench_soak"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep (skip seeding)")
    parser.add_argument("--phase", choices=["people", "check", "pending"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "people":
        return phase_people(Path(args.out))
    if args.phase == "check":
        return phase_check(Path(args.out), args.since)
    if args.phase == "pending":
        Path(args.out).write_text(json.dumps({"pending": phase_pending()}))
        return None

    locust = Path(sys.executable).parent / "locust"
    if not locust.exists():
        fail("needs locust: .venv/bin/pip install -r requirements-dev.txt")
    if not redis_answers():
        fail("needs Redis on 127.0.0.1:6379 (the cache and the Celery broker)")

    url = database_url(args.database, why=WHY, fresh=not args.reuse)
    work = tempfile.mkdtemp(prefix="zjcs-soak-")
    env = site_env(
        url, static_root=f"{work}/static", cache_prefix=f"{args.database}-{os.urandom(4).hex()}", cache_url=REDIS
    )
    print(f"database {args.database}, scale {args.scale}", flush=True)
    if not args.reuse:
        seed(env, args.scale)  # calendar time: the seed's periods are real whatever the time scale
    static_collect(env)
    env.update(
        {
            "CELERY_BROKER_URL": args.broker,
            "ZJCS_TIME_SCALE": "86400",
            "ZJCS_SCALED_MIN_SECONDS": str(args.min_seconds),
            "ZJCS_SWEEP_SECONDS": "10",
            "ZJCS_REMINDER_SECONDS": "60",
            "MEDIA_ROOT": f"{work}/media",
        }
    )
    people_file = Path(work) / "people.json"
    people_file.write_text(json.dumps(child(env, "--phase", "people")))
    celery = str(Path(sys.executable).parent / "celery")
    beat_schedule = f"{work}/beat"
    # The broker database is the soak's own: messages an interrupted run left would name rows of another world.
    broker_purge(env)
    stack: dict[str, subprocess.Popen] = {}
    try:
        stack["web"], base = gunicorn_start(env, workers=args.workers)
        worker = [celery, "-A", "config", "--quiet", "worker", "-c", "1", "-l", "WARNING", "-n", f"soak-{os.getpid()}"]
        beat = [celery, "-A", "config", "--quiet", "beat", "-l", "WARNING", "--pidfile", f"{beat_schedule}.pid"]
        for name, command in (("worker", worker), ("beat", beat)):
            stack[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        since = datetime.datetime.now(datetime.UTC).isoformat()
        prefix = f"{work}/locust"
        print(f"locust: {args.users} people for {args.minutes:g} minutes against {base}", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [
                str(locust),
                "-f",
                str(ROOT / "bench" / "locustfile_soak.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{int(args.minutes * 60)}s",
                "--host",
                base,
                "--csv",
                prefix,
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "30",
            ],
            cwd=ROOT,
            env={**env, "SOAK_PEOPLE": str(people_file)},
        )
        # Deadlines keep falling due (compressed time): beat stops first, so no sweep starts new work; the
        # worker then publishes what is queued and stops after its task at hand; the checks read a still world.
        print(f"  load ran {time.perf_counter() - started:.0f}s; beat stopped, the worker draining", flush=True)
        process_group_stop(stack.pop("beat"), gently=True)
        process_group_stop(stack.pop("web"))
        deadline = time.monotonic() + 180
        time.sleep(10)  # a sweep that beat started just before stopping
        while (pending := child(env, "--phase", "pending")["pending"]) and time.monotonic() < deadline:
            time.sleep(5)
        print(f"  {pending} notice requests still pending", flush=True)
        process_group_stop(stack.pop("worker"), timeout=120, gently=True)
        checked = child(env, "--phase", "check", "--since", since)
    finally:
        for process in stack.values():
            process_group_stop(process)
        broker_purge(env)
        cache_prefix_drop(REDIS, env["ZJCS_BENCH_CACHE_PREFIX"])
    rows = stats_read(prefix)
    failures = failures_read(prefix)
    shutil.rmtree(work, ignore_errors=True)
    if not args.keep and not args.reuse:
        drop_database(url)
    report(rows, failures, checked, args)


def report(rows: list[dict[str, str]], failures: list[dict[str, str]], checked: dict, args) -> None:
    """Print the latency table, the errors, what happened and the invariants, and the goals."""
    print()
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    rate = f", {float(total['Requests/s']):.1f} requests/s in all" if total else ""
    print(f"Latency per page (ms; {args.users} people, {args.minutes:g} minutes, scale {args.scale}{rate})")
    head = f"{'page':<52} {'requests':>8} {'fails':>5} {'p50':>6} {'p95':>6} {'p99':>6}  p95 goal"
    print(head)
    print("-" * len(head))
    slow = []
    total_failures = 0
    for row in rows:
        name = f"{row['Type']} {row['Name']}" if row["Name"] != "Aggregated" else "all pages"
        p95 = float(row["95%"] or 0)
        if row["Name"] != "Aggregated":
            total_failures += int(row["Failure Count"])
            if p95 >= GOAL_P95_MS:
                slow.append(row["Name"])
        goal = "" if row["Name"] == "Aggregated" else ("met" if p95 < GOAL_P95_MS else "NOT met")
        print(
            f"{name:<52} {row['Request Count']:>8} {row['Failure Count']:>5} {row['50%']:>6} {row['95%']:>6} "
            f"{row['99%']:>6}  {goal}"
        )
    if failures:
        print()
        print("Errors:")
        for row in failures:
            print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error'][:200]}")
    print()
    print("What happened during the soak:")
    for name, value in checked["activity"].items():
        print(f"  {name}: {value}")
    print()
    print("Invariants:")
    broken = 0
    for name, found in checked["violations"].items():
        broken += len(found)
        print(f"  {name}: {'none' if not found else len(found)}" + (f" — {', '.join(found[:5])}" if found else ""))
    print()
    print(f"goal — zero errors: {total_failures} — {'met' if not total_failures else 'NOT met'}")
    print(f"goal — zero invariant violations: {broken} — {'met' if not broken else 'NOT met'}")
    print(
        f"goal — p95 under {GOAL_P95_MS:.0f} ms for every page: "
        + ("met" if not slow else f"NOT met ({len(slow)} pages: {', '.join(slow)})")
    )


if __name__ == "__main__":
    main()
