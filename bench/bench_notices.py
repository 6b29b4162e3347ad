"""Benchmark: the public notice list over 10,000 published notices, against a bare Django view.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_notices.py``

Needs PostgreSQL and the ``wrk`` load generator (Debian: ``apt-get install -y wrk``). It creates its
own database (``zjcs_bench_notices`` on the server DATABASE_URL points at, dropped first), migrates
it, imports 10,000 live notice pages under the notice index in bulk (``cms.bulk``), collects the
static files into a temporary folder, and starts gunicorn (2 workers, ``--no-control-socket``) on
production settings with DEBUG off (``config.settings.bench`` = ``config.settings.production`` routed
through ``bench.urls``: the site's URLs plus the bare view at ``/bench/bare/``, which only this
benchmark routes). Then, in the same run and against the same server, ``wrk`` drives:

  (a) the baseline: ``/bench/bare/``, a view returning a few bytes through the whole middleware stack;
  (b) ``/notices/``: the public notice list, page 1 of 500, with its type tabs and counts.

Each is run several times, interleaved; the figure that matters is the ratio (b)/(a), taken per
round (runs seconds apart, under the same load) and reported as the median over the rounds — it
does not depend on the machine. The goal is at least 0.5. A returning visitor (who sends cookies
back: a CSRF cookie from a form page elsewhere) is measured as well; the public list sets none. The list's
content is cached (``cms.caching``) in Redis when ``--cache redis`` (the default when Redis answers
on 127.0.0.1:6379, as in production) — the uncached render time is measured and printed too.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchlib import database_url, drop_database, fail, free_port, redis_answers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOTICES = 10_000
BATCH = 1_000
GOAL = 0.5
SETTINGS = "config.settings.bench"
WHY = "production runs on it, and the page cache and query plans differ on SQLite"
KINDS = [  # a year on the platform: mostly procurement notices, a share of credit notices
    ("announcement", 30),
    ("result", 25),
    ("contract", 20),
    ("termination", 5),
    ("warning", 12),
    ("suspension", 3),
    ("expulsion", 1),
    ("red_list", 3),
    ("repair", 1),
]

CREDIT_TITLES = {
    "warning": "信用警告",
    "suspension": "暂停入驻",
    "expulsion": "清退出市场",
    "red_list": "列入红名单",
    "repair": "信用修复",
}


def notices_load(count: int, seed: int = 2026) -> float:
    """Import ``count`` live notices with realistic snapshots in batches; returns the seconds it took."""
    import random

    from django.utils import timezone

    from cms.bulk import ImportedNotice, notice_pages_import
    from credit_rules.defaults import MEASURE_BASIS
    from marketplace.validators import org_code_for_serial, uscc_build

    rng = random.Random(seed)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    now = timezone.now()
    span = 365 * 86_400
    credit = set(CREDIT_TITLES)
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        batch = []
        for n in range(first, min(first + BATCH, count)):
            kind = rng.choices(kinds, weights)[0]
            at = now - datetime.timedelta(seconds=rng.randrange(span))
            agency = {
                "name": f"惠州{rng.choice('明正公信立信致远华粤海岳长青融信')}评估咨询有限公司{n % 500:03d}",
                "uscc": uscc_build(region_code="441302", org_code=org_code_for_serial(n % 500, "BN")),
            }
            if kind in credit:
                payload = {
                    "title": f"{CREDIT_TITLES[kind]}：{agency['name']}",
                    "agency": agency,
                    "entry_title": CREDIT_TITLES[kind],
                    "points": -5,
                    "rule_code": "CR-ESC-001",
                    "basis": MEASURE_BASIS["suspend"],
                    "evidence_summary": "成果文件逾期提交，经核实。",
                    "starts_at": at.date().isoformat(),
                }
            else:
                code = f"ZJCS-2025-{n:06d}"
                name = f"惠州市第{n}号项目工程造价咨询"
                payload = {
                    "title": f"{name}公告",
                    "project": {"code": code, "name": name, "category": "工程造价咨询", "budget": "120000.00"},
                    "buyer": {"name": "惠州市住房和城乡建设局", "uscc": "11441300MB0000001X"},
                    "winner": agency if kind in ("result", "contract") else {},
                }
            batch.append(ImportedNotice(kind=kind, source_key=f"bench:{n}", payload=payload, published_at=at))
        notice_pages_import(batch)
        print(f"  imported {min(first + BATCH, count):,} notices", flush=True)
    return time.perf_counter() - started


def render_times(path: str, repeat: int = 15) -> tuple[float, float]:
    """Median in-process render time of a page, uncached (version bumped each time) and cached."""
    from django.test import Client

    from cms.caching import notice_cache_bump

    client = Client(HTTP_HOST="127.0.0.1")
    uncached, cached = [], []
    for _ in range(repeat):
        notice_cache_bump()
        started = time.perf_counter()
        response = client.get(path)
        uncached.append(time.perf_counter() - started)
        if response.status_code != 200:
            fail(f"{path} answered {response.status_code} in-process")
        started = time.perf_counter()
        client.get(path)
        cached.append(time.perf_counter() - started)
    return statistics.median(uncached), statistics.median(cached)


def wrk(url: str, *, seconds: int, connections: int, threads: int, cookie: str = "") -> float:
    """Requests per second wrk measured at ``url``; fails on errors or non-2xx answers."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    run = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = run.stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        fail(f"wrk saw errors at {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        fail(f"cannot read wrk's output:\n{out}")
    return float(match.group(1))


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET to ``url``."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def main() -> None:
    """Load the notices, start gunicorn, drive wrk at both URLs in rounds, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=NOTICES)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench_notices"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved wrk runs per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", choices=["redis", "locmem"], default="redis" if redis_answers() else "locmem")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep (skip the load)")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        fail("needs the wrk load generator: apt-get install -y wrk")
    if args.cache == "redis" and not redis_answers():
        fail("--cache redis, but no Redis answers on 127.0.0.1:6379")

    static_root = tempfile.mkdtemp(prefix="zjcs-bench-static-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "ZJCS_BENCH_STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "DATABASE_URL": database_url(args.database, why=WHY, fresh=not args.reuse),
    }
    if args.cache == "redis":
        env["CACHE_URL"] = "redis://127.0.0.1:6379/0"
    else:
        env.pop("CACHE_URL", None)
        os.environ.pop("CACHE_URL", None)
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from cms.caching import notice_cache_bump

    assert not settings.DEBUG and settings.ROOT_URLCONF == "bench.urls"
    print(f"database {args.database}, cache {args.cache}, {args.workers} gunicorn workers", flush=True)
    if args.reuse:
        from cms.models import NoticePage

        args.notices = NoticePage.objects.live().filter(withdrawn=False).count()
        print(f"  reusing {args.notices:,} notices", flush=True)
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"  migrated in {time.perf_counter() - started:.1f}s", flush=True)
        seconds = notices_load(args.notices)
        print(f"  {args.notices:,} notices imported in {seconds:.1f}s ({args.notices / seconds:,.0f}/s)", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    uncached, cached = render_times("/notices/")
    print(f"  /notices/ in-process: {uncached * 1000:.1f} ms uncached, {cached * 1000:.1f} ms cached (median)")
    notice_cache_bump()  # the server starts from an empty cache too
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            # The gunicorn installed beside this Python: the project's virtualenv, wherever it lives.
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                fail("gunicorn did not come up")
            time.sleep(0.2)
        status, body = get(f"{base}/notices/")
        if status != 200 or f"共 {args.notices} 条公告" not in body:
            fail(f"/notices/ does not list the {args.notices:,} notices (status {status})")
        if get(f"{base}/bench/bare/") != (200, "ok"):
            fail("/bench/bare/ is not the bare view")

        # The public list sets no cookie (its language switch is a GET form), but a visitor who has
        # met a form elsewhere on the site sends a CSRF cookie back. Both are measured; wrk keeps none.
        returning = f"csrftoken={secrets.token_hex(16)}"
        targets = {
            "bare": (f"{base}/bench/bare/", ""),
            "list": (f"{base}/notices/", ""),
            "list-returning": (f"{base}/notices/", returning),
        }
        for url, cookie in targets.values():  # warm every worker (imports, connections, cache)
            wrk(url, seconds=2, connections=args.connections, threads=args.threads, cookie=cookie)
        best = dict.fromkeys(targets, 0.0)
        # Each round's ratio compares runs made seconds apart, under the same load on the machine;
        # the median of those is the figure, steadier than a ratio of bests from different moments.
        ratios: dict[str, list[float]] = {"list": [], "list-returning": []}
        print(f"wrk: {args.rounds} interleaved runs of {args.seconds}s, {args.connections} connections:", flush=True)
        for round_no in range(1, args.rounds + 1):
            measured = {}
            for name, (url, cookie) in targets.items():
                rps = wrk(url, seconds=args.seconds, connections=args.connections, threads=args.threads, cookie=cookie)
                measured[name] = rps
                best[name] = max(best[name], rps)
                label = url.removeprefix(base) + (" (cookie)" if cookie else "")
                print(f"  round {round_no}: {label:<24} {rps:9.1f} req/s", flush=True)
            for name in ratios:
                ratios[name].append(measured[name] / measured["bare"])
            print(f"  round {round_no}: ratio list/bare {ratios['list'][-1]:.2f}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)

    ratio = statistics.median(ratios["list"])
    ratio_returning = statistics.median(ratios["list-returning"])
    print()
    print(f"(a) bare Django view  /bench/bare/  {best['bare']:9.1f} req/s (best run)")
    print(
        f"(b) notice list       /notices/     {best['list']:9.1f} req/s (best run; {args.notices:,} notices, 20 a page)"
    )
    print(
        f"(c) the same, returning visitor     {best['list-returning']:9.1f} req/s (best run; sends its csrftoken cookie)"
    )
    print(
        f"ratio (b)/(a), median of rounds: {ratio:.2f} — goal at least {GOAL} — {'met' if ratio >= GOAL else 'NOT met'}"
    )
    print(f"ratio (c)/(a), median of rounds: {ratio_returning:.2f}")
    if not args.keep and not args.reuse:
        drop_database(env["DATABASE_URL"])


if __name__ == "__main__":
    main()
