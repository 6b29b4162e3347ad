"""Benchmark: the policy what-if (试算) over 100,000 agencies and a 1,000,000-entry ledger.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_whatif.py [--quick]``

It loads the same data as ``bench_standing.py`` (its loader: agencies, credit subjects, real hash-chained ledger
entries, COPY) into a database of its own (``zjcs_bench_whatif``, dropped first), drafts a policy version raising
every grade band by ten points, and times, in the same run and against the same data:

  (a) the baseline: one raw SQL ``SELECT subject_id, SUM(points) … GROUP BY subject_id`` over the ledger;
  (w) ``credit_rules.whatif.whatif_run``: every agency's score, grade, the review's measures and the entry and
      sign-up refusals under the policy in force and under the draft, the grade matrix and the changed agencies
      — every agency a member (``active``, one in ten with an engagement open), so the rules run for all.

Each is run three times, interleaved, and the best time kept; the figure that matters is the ratio (w)/(a),
which does not depend on the machine. The goal is a ratio within 2×.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import bench_standing
from benchlib import database_exists, database_url, drop_database, fail, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"

REPEAT = 3
GOAL = 2.0
QUICK_SCALE = 0.02
WHY = "the ratio is meaningless on SQLite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench_whatif"))
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size, for a quick try")
    parser.add_argument("--quick", action="store_true", help=f"scale {QUICK_SCALE}: a try, not a figure")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again without reloading it")
    args = parser.parse_args()
    scale = QUICK_SCALE if args.quick else args.scale
    agencies = int(bench_standing.AGENCIES * scale)
    bench_standing.AGENCIES, bench_standing.ENTRIES = agencies, int(bench_standing.ENTRIES * scale)

    if args.reuse and not database_exists(args.database, why=WHY):
        fail(f"--reuse: no database {args.database!r} (run once with --keep, at the same --scale)")
    os.environ["DATABASE_URL"] = database_url(args.database, why=WHY, fresh=not args.reuse)
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # dev settings would keep every query of the run in memory
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from credit_rules.policy import policy_at, policy_draft_from
    from credit_rules.standing import standing_refresh_all
    from credit_rules.whatif import whatif_run
    from workflows.services.credit.prior_notice import needs_notice

    print(f"bench_whatif: {agencies:,} agencies, {bench_standing.ENTRIES:,} ledger entries, database {args.database!r}")
    now = timezone.now().replace(microsecond=0)
    if not args.reuse:
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        timed("load (bench_standing's loader)", lambda: bench_standing.load(now, args.seed))
        timed("standing_refresh_all (the cached standing the pages read)", lambda: standing_refresh_all(at=now))
        with connection.cursor() as cursor:  # what autovacuum does after a bulk insert: index-only scans need it
            timed("VACUUM ANALYZE of the ledger", lambda: cursor.execute("VACUUM ANALYZE credit_rules_ledgerentry"))

    current = policy_at(now)
    draft = policy_draft_from(base=current.version, note="bench: every band ten points higher")
    draft.grade_a_min, draft.grade_b_min, draft.grade_c_min = (
        current.grade_a_min + 10,
        current.grade_b_min + 10,
        current.grade_c_min + 10,
    )
    draft.save()
    rng = random.Random(args.seed)
    contexts = {
        i: {"member_state": "active", "open_engagements": int(rng.random() < 0.1)} for i in range(1, agencies + 1)
    }

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(bench_standing.BASELINE_SQL, {"at": now})
            return cursor.fetchall()

    jobs = {"a": baseline, "w": lambda: whatif_run(draft, at=now, told_first=needs_notice, contexts=contexts)}
    print(f"measuring (best of {REPEAT}, interleaved):", flush=True)
    times: dict[str, list[float]] = {name: [] for name in jobs}
    results: dict = {}
    for _ in range(REPEAT):
        for name, job in jobs.items():
            started = time.perf_counter()
            results[name] = job()
            times[name].append(time.perf_counter() - started)
    t_a, t_w = min(times["a"]), min(times["w"])
    runs = {name: " ".join(f"{t:.2f}" for t in values) for name, values in times.items()}
    shown = results["w"]
    print(f"  (a) raw SQL aggregate of points in force: {t_a:.3f}s  [{runs['a']}] ({len(results['a']):,} subjects)")
    print(f"  (w) whatif_run(draft):                    {t_w:.3f}s  [{runs['w']}]")

    # The what-if must agree with the baseline's sums, or the timing means nothing.
    points = dict(results["a"])
    wrong = [r.subject_id for r in shown.rows if r.before.score != current.base_score + (points.get(r.subject_id) or 0)]
    if wrong or sum(shown.matrix.values()) != shown.subjects:
        fail(f"the what-if disagrees with the raw aggregate for {len(wrong)} subjects, e.g. {wrong[:5]}")
    print(f"  {shown.subjects:,} agencies; changes {shown.counts()}")
    print(f"  grade matrix (old → new): {dict(sorted(shown.matrix.items()))}")

    ratio = t_w / t_a
    print()
    print(f"ratio (w) whatif_run / (a) raw aggregate: {ratio:.2f}x")
    print(f"goal: within {GOAL:.0f}x — {'met' if ratio <= GOAL else 'NOT met'}")

    if not (args.keep or args.reuse):
        connection.close()
        drop_database(os.environ["DATABASE_URL"])


if __name__ == "__main__":
    main()
