"""Benchmark: publishing 1,000 notice requests one at a time (the real publisher) against in bulk.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_publish.py``

It creates its own database (``zjcs_pub_bench`` on the same server, dropped first), migrates it, and
writes 2,000 pending, non-moderated notice requests (credit warnings and project announcements, as the
scaled year's seeding leaves them). Then, in the same run:

  (a) the baseline: ``cms.publishing.notice_request_publish(pk)`` for each of the first 1,000, with the
      clock at its moment (``time_machine.travel(at, tick=False)``), as ``workflows/demo/bulk_projects.py``
      seeds them today;
  (b) ``cms.bulk.notice_requests_publish_bulk`` over the other 1,000, with their moments.

It prints, for each, the calls to the database (an ``executemany`` counts once), the statements the
server runs (an ``executemany`` counts once per parameter set) and the seconds per 1,000 notices, and
the ratios (a)/(b). ``tests/cms/test_bulk_publish.py`` proves that (b)
writes the rows (a) writes.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

from benchlib import database_url, drop_database, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"

NOTICES = 1_000
WHY = "the seeding it speeds up runs on PostgreSQL; SQLite says nothing"
DATABASE = "zjcs_pub_bench"


def requests_write(count: int, start: datetime.datetime) -> list[tuple[int, datetime.datetime]]:
    """Pending requests with snapshots shaped like the services', each with the moment it is published at."""
    from cms.models import NoticeRequest

    rows = []
    for n in range(count):
        if n % 2:
            name = f"惠州基准测试评估咨询有限公司{n:05d}"
            payload = {
                "title": f"信用警告：{name}",
                "agency": {"name": name, "uscc": f"91441302BN{n:07d}X"[:18]},
                "entry_title": "信用警告",
                "points": -5,
                "rule_code": "CR-ESC-001",
                "evidence_summary": "测绘成果精度不达标，经复核属实。",
                "starts_at": start.date().isoformat(),
                "ends_at": "",
            }
            rows.append(NoticeRequest(kind="warning", source_key=f"bench:warning:{n}", payload=payload))
        else:
            code = f"ZJCS-2026-{n:06d}"
            name = f"惠州市第{n}号道路工程造价咨询"
            payload = {
                "title": f"{name}采购公告",
                "project": {"code": code, "name": name, "category": "工程造价咨询", "budget": "120000.00"},
                "buyer": {"name": "惠州市住房和城乡建设局", "uscc": "11441300MB2C12345X"},
                "draw": {},
            }
            rows.append(NoticeRequest(kind="announcement", source_key=f"project:{code}:announcement", payload=payload))
    made = NoticeRequest.objects.bulk_create(rows, batch_size=1000)
    return [(r.pk, start + datetime.timedelta(minutes=n, microseconds=n)) for n, r in enumerate(made)]


def measured(label: str, func) -> tuple[int, float]:
    """Run ``func`` counting the statements it sends; print and return (statements, seconds)."""
    from django.db import connection

    count = statements = 0

    def counter(execute, sql, params, many, context):
        nonlocal count, statements
        count += 1
        statements += len(params) if many else 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        func()
        seconds = time.perf_counter() - started
    print(f"  {label}: {count:,} calls, {statements:,} statements, {seconds:.1f}s for {NOTICES:,} notices", flush=True)
    return count, statements, seconds


def main() -> None:
    url = database_url(DATABASE, why=WHY)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    try:
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        import time_machine

        from cms.bulk import notice_requests_publish_bulk
        from cms.models import NoticePage, NoticeRequest
        from cms.publishing import notice_index, notice_request_publish

        start = timezone.now() - datetime.timedelta(days=200)
        notice_index()
        requests = timed("write 2,000 pending requests", lambda: requests_write(2 * NOTICES, start))
        one, bulk = requests[:NOTICES], requests[NOTICES:]

        def one_at_a_time():
            for pk, at in one:
                with time_machine.travel(at, tick=False):
                    notice_request_publish(pk)

        def in_bulk():
            with transaction.atomic():
                notice_requests_publish_bulk(bulk)

        print("publishing", flush=True)
        a_count, a_statements, a_seconds = measured("(a) one at a time, notice_request_publish", one_at_a_time)
        b_count, b_statements, b_seconds = measured("(b) in bulk, notice_requests_publish_bulk", in_bulk)
        print(
            f"ratio (a)/(b): calls {a_count / b_count:.0f}×, statements {a_statements / b_statements:.0f}×,"
            f" time {a_seconds / b_seconds:.1f}× ({a_statements / NOTICES:.1f} vs {b_statements / NOTICES:.2f}"
            " statements a notice)"
        )
        published = NoticeRequest.objects.filter(status=NoticeRequest.Status.PUBLISHED).count()
        live = NoticePage.objects.live().count()
        assert published == live == 2 * NOTICES, (published, live)
    finally:
        connection.close()
        drop_database(url)


if __name__ == "__main__":
    main()
