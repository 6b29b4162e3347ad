"""The public list pages over a large kept database: median in-process time and query count per page.

Not a test. It reads a database an earlier run left (``seed_demo --scale N`` into a database of its
own, never the one ``DATABASE_URL`` names), renders each page through Django's test client with the
cache emptied before every request (the uncached cost; a page from the cache is also timed), and
prints the median of ``--runs`` runs. See bench/README.md, "bench_public_lists.py".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_public_lists.py \\
        --database zjcs_scale_bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import benchlib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = {
    "directory page 1": "/agencies/",
    "directory page 250": "/agencies/?page=250",
    "search, 2 characters": "/agencies/?q=广正",
    "search, 4 characters": "/agencies/?q=融信工程",
    "search, part of a USCC": "/agencies/?q=MA0001",
    "grade B": "/agencies/?grade=B",
    "grade A (the base grade)": "/agencies/?grade=A",
    "red list": "/credit/redlist/",
    "black list": "/credit/blacklist/",
    "projects": "/projects/",
}


class _Counter:
    """Counts the queries run through it (a ``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a kept database on the DATABASE_URL server")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = benchlib.database_url(args.database, why="the plans are PostgreSQL's", fresh=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("ZJCS_CACHE_DIR", f"/tmp/{args.database}-cache")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    client = Client()
    print(f"{'page':28} {'uncached ms':>12} {'queries':>8} {'cached ms':>10}")
    for label, url in PAGES.items():
        times = []
        for _ in range(args.runs):
            cache.clear()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        cache.clear()
        counter = _Counter()
        with connection.execute_wrapper(counter):
            client.get(url)
        hits = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(url)
            hits.append((time.perf_counter() - started) * 1000)
        print(
            f"{label:28} {statistics.median(times):12.1f} {counter.n:8d} {statistics.median(hits):10.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
