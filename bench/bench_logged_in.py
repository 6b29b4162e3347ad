"""Benchmark: every role's main logged-in pages, in-process — median milliseconds and queries per page.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_logged_in.py``

It creates its own database (``zjcs_bench_logged_in`` on the same server, dropped first), migrates it and
runs ``seed_demo`` (the demo's six projects and its logins), then adds ``--rows`` open projects in the
demo agency's field, so the list pages show more than a handful of rows. Each page is requested by the
Django test client signed in as the role's demo login: twice to warm the per-process caches (the policy,
content types, templates), once with the queries captured, then ``--requests`` times timed; the median
counts. Nothing else runs in the process; ``uptime`` is printed with the table, for the machine's load. The
baseline is measured in the same run the same way: ``bench/urls.py``'s bare view through the whole middleware
stack, signed in; "÷ bare" is its median time over the page's, the share of the bare view's throughput one
process could serve the page at (the issue's goal for logged-in pages under gunicorn is 0.1).

``--baseline DIR`` measures the same pages with the code of another checkout (``git worktree add`` or
``git archive … | tar -x``) in a subprocess against the same database, page by page interleaved with this
checkout's runs, and prints before and after side by side — same run, same database, same load.

PostgreSQL by default; ``--sqlite`` runs on a throwaway SQLite file instead (in-process milliseconds of a
logged-in page are mostly Python, so SQLite gives comparable ratios; the absolute numbers are not
PostgreSQL's). Options: ``--keep`` (leave the database), ``--reuse`` (measure a kept one without
seeding), ``--profile PATH`` (cProfile one page, the top functions by cumulative time), ``--demo``
(demo mode on: the banner and the clock middleware, as ``make demo`` runs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import database_url, drop_database, timed

ROOT = Path(__file__).resolve().parent.parent
NAME = "zjcs_bench_logged_in"
WHY = "in-process page times on the production engine (or pass --sqlite for a quick try)"

# (login, page label, path or a "{...}" placeholder filled from the seeded data)
BARE = "/bench/bare/"
PAGES: list[tuple[str, str]] = [
    ("agency_demo", BARE),  # the baseline: a trivial view through the whole middleware stack (bench/urls.py)
    ("agency_demo", "/me/"),
    ("agency_demo", "/me/inbox/"),
    ("agency_demo", "/me/notifications/"),
    ("agency_demo", "/agency/projects/"),
    ("agency_demo", "/agency/projects/?all=1"),
    ("agency_demo", "/agency/projects/mine/"),
    ("agency_demo", "/agency/projects/{agency_project}/"),
    ("agency_demo", "/agency/membership/"),
    ("agency_demo", "/agency/credit/"),
    ("agency_demo", "/agency/cases/"),
    ("agency_demo", "/agency/complaints/"),
    ("buyer_demo", "/me/"),
    ("buyer_demo", "/buyer/projects/"),
    ("buyer_demo", "/buyer/projects/{buyer_project}/"),
    ("supervisor_demo", "/me/"),
    ("supervisor_demo", "/supervisor/"),
    ("supervisor_demo", "/supervisor/cases/{supervisor_case}/"),
    ("operator_demo", "/me/"),
    ("operator_demo", "/operator/"),
    ("operator_demo", "/operator/lockouts/"),
    ("operator_demo", "/operator/projects/{operator_project}/"),
]


def settings_env(url: str, demo: bool, cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        ZJCS_CACHE_DIR=cache_dir,
        ZJCS_DEMO="1" if demo else "0",
    )
    env.pop("CELERY_BROKER_URL", None)  # eager tasks: seed_demo publishes its notices in-process
    env.pop("CACHE_URL", None)
    return env


def django_setup(code: Path) -> None:
    sys.path.insert(0, str(code))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log kept between requests
    settings.ROOT_URLCONF = "bench.urls"  # the site's URLs and the bare baseline view
    # One connection for the whole run, as with a persistent connection (DB_CONN_MAX_AGE): closing it after each
    # request would also lose the query capture.
    from django.db import connections

    connections["default"].settings_dict["CONN_MAX_AGE"] = None


def seed(rows: int) -> None:
    """Migrate, seed the demo, then publish ``rows`` more open projects in the demo agency's field."""
    from django.core.management import call_command

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    timed("seed_demo", lambda: call_command("seed_demo", verbosity=0, stdout=io.StringIO()))
    if rows:
        timed(f"{rows} more open projects", lambda: _more_projects(rows))


def _more_projects(rows: int) -> None:
    """Projects like the demo's open draw, through the services: a third left waiting for the operator's
    review, the rest published; agency_demo signs up for every other published one."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from marketplace.models import Agency
    from workflows.models import Project
    from workflows.services.procurement import projects as project_services
    from workflows.services.procurement import signups as signup_services
    from workflows.services.procurement.projects import Requirement

    template = Project.objects.filter(state=Project.State.OPEN, method=Project.Method.DRAW).order_by("pk").first()
    assert template is not None, "seed_demo left no open draw project"
    req = template.requirements.select_related("qualification_type", "min_level").first()
    users = get_user_model().objects
    buyer, operator, clerk = (users.get(username=u) for u in ("buyer_demo", "operator_demo", "agency_demo"))
    agency = Agency.objects.get(staff__user=clerk)
    fields = ("category", "content", "budget", "quote_kind", "quote_floor", "quote_ceiling", "method")
    for n in range(rows):
        data = {f: getattr(template, f) for f in fields} | {"name": f"基准测试项目 {n + 1:03d}（随机抽取）"}
        requirements = [Requirement(req.qualification_type, req.min_level)] if req else []
        project = project_services.project_create(
            buyer=template.buyer, actor=buyer, data=data, requirements=requirements
        )
        project_services.project_submit(project=project, actor=buyer)
        if n % 3 == 0:
            continue
        project_services.project_review(project=project, actor=operator, publish=True)
        if n % 2 == 0:
            project = Project.objects.get(pk=project.pk)
            outcome = signup_services.signup_submit(project=project, agency=agency, actor=clerk, quote=Decimal("50000"))
            assert outcome.ok, outcome.refusals


def placeholders() -> dict[str, str]:
    from django.db.models import Count

    from workflows.models import CreditCase, Project

    agency_open = Project.objects.filter(state=Project.State.OPEN).order_by("pk").first()
    busiest = (
        Project.objects.filter(buyer__staff__user__username="buyer_demo")
        .annotate(n=Count("signups"))
        .order_by("-n", "pk")
        .first()
    )
    case = CreditCase.objects.order_by("pk").first()
    review = Project.objects.order_by("-pk").first()
    return {
        "agency_project": agency_open.code if agency_open else "",
        "buyer_project": busiest.code if busiest else "",
        "supervisor_case": str(case.pk) if case else "",
        "operator_project": review.code if review else "",
    }


def measure(requests: int, only: str | None = None, profiler=None) -> dict[str, dict]:
    """Median ms and queries of every page (or of the one ``only`` names)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    filled = placeholders()
    clients: dict[str, Client] = {}
    out: dict[str, dict] = {}
    for login, pattern in PAGES:
        key = f"{login} {pattern}"
        if only is not None and key != only:
            continue
        path = pattern.format(**filled)
        if login not in clients:
            clients[login] = Client()
            clients[login].force_login(get_user_model().objects.get(username=login))
        client = clients[login]
        for _ in range(2):
            client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        queries = len(ctx.captured_queries)
        times = []
        if profiler is not None:
            profiler.enable()
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        if profiler is not None:
            profiler.disable()
        out[key] = {"status": response.status_code, "queries": queries, "ms": times}
    return out


def profile(path_key: str, requests: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    measure(requests, only=path_key, profiler=profiler)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"(workflows|credit_rules|marketplace|cms|config)/", 40)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_callees(
        r"(workflows|credit_rules|marketplace)/.*(selectors|views|context_processors)", 12
    )


def child(args: argparse.Namespace) -> None:
    """Measure with the code of ``--code`` (this checkout by default) and print JSON on stdout."""
    django_setup(Path(args.code))
    if args.profile:
        profile(args.profile, args.requests)
        return
    print(json.dumps(measure(args.requests, only=args.only)))


def run_child(code: Path, env: dict[str, str], requests: int, only: str) -> dict[str, dict]:
    cmd = [sys.executable, __file__, "--child", "--code", str(code), "--requests", str(requests), "--only", only]
    # In that folder: Celery's Django fix-up puts the working directory first on sys.path.
    done = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"measuring {only} with {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(after: dict[str, dict], before: dict[str, dict] | None) -> str:
    """The table in Markdown; "÷ bare" is the page's median time over the bare view's (same run): the share of
    the bare view's throughput one process could serve the page at."""

    def median(rows: dict[str, dict], key: str) -> float:
        return statistics.median(rows[key]["ms"])

    bare_key = f"agency_demo {BARE}"
    lines = []
    if before is not None:
        lines.append("| page | login | before ms | before queries | after ms | after queries | after ÷ bare |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
    else:
        lines.append("| page | login | ms (median) | queries | ÷ bare |")
        lines.append("|---|---|---:|---:|---:|")
    for login, pattern in PAGES:
        key = f"{login} {pattern}"
        if key not in after:
            continue
        a = after[key]
        ms = median(after, key)
        ratio = f"{median(after, bare_key) / ms:.3f}" if bare_key in after else "—"
        flag = "" if a["status"] == 200 else f" ({a['status']})"
        if before is not None:
            b = before[key]
            lines.append(
                f"| `{pattern}` | {login} | {median(before, key):.1f} | {b['queries']} "
                f"| {ms:.1f}{flag} | {a['queries']} | {ratio} |"
            )
        else:
            lines.append(f"| `{pattern}` | {login} | {ms:.1f}{flag} | {a['queries']} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=25, help="timed requests per page (median counts)")
    parser.add_argument("--rows", type=int, default=30, help="open projects added to the demo's")
    parser.add_argument("--baseline", help="another checkout's folder: measure its code too, interleaved")
    parser.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file instead of PostgreSQL")
    parser.add_argument("--demo", action="store_true", help="demo mode on (banner, clock middleware)")
    parser.add_argument("--keep", action="store_true", help="leave the database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database without seeding")
    parser.add_argument("--profile", metavar="KEY", help='cProfile one page, e.g. "agency_demo /agency/projects/"')
    parser.add_argument("--database", default=NAME)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    cache_dir = tempfile.mkdtemp(prefix="zjcs-bench-cache-")
    if args.sqlite:
        sqlite_path = Path(tempfile.gettempdir()) / f"{args.database}.sqlite3"
        if not args.reuse and sqlite_path.exists():
            sqlite_path.unlink()
        url = f"sqlite:///{sqlite_path}"
    else:
        url = database_url(args.database, why=WHY, fresh=not args.reuse)
    env = settings_env(url, args.demo, cache_dir)
    os.environ.update(env)
    django_setup(ROOT)
    if not args.reuse:
        print(f"Seeding {args.database} ({'SQLite' if args.sqlite else 'PostgreSQL'}):", flush=True)
        seed(args.rows)
    if args.profile:
        profile(args.profile, args.requests)
        return

    from django.db import connection

    connection.close()
    after: dict[str, dict] = {}
    before: dict[str, dict] | None = {} if args.baseline else None
    for login, pattern in PAGES:
        key = f"{login} {pattern}"
        if before is not None:
            before.update(run_child(Path(args.baseline), env, args.requests, key))
        after.update(run_child(ROOT, env, args.requests, key))
        print(f"  measured {key}", flush=True)
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"\nLogged-in pages, in-process, median of {args.requests} requests ({engine}, demo + {args.rows} rows)")
    print(f"machine: {load}\n")
    print(table(after, before))
    if not args.keep:
        if args.sqlite:
            sqlite_path.unlink(missing_ok=True)
        else:
            drop_database(url)


if __name__ == "__main__":
    main()
