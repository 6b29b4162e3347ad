"""Benchmark: recomputing credit standing for 100,000 agencies over a 1,000,000-entry ledger.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_standing.py``

It creates its own database (``zjcs_bench`` on the same server, dropped first), migrates it, bulk
loads agencies, credit subjects and real hash-chained ledger entries with COPY, then times, in the
same run and against the same data:

  (a) the baseline: one raw SQL aggregate of the points in force per subject;
  (b) ``standing_refresh_all()``: recompute and write every subject's cached standing;
  (c) ``standing_compute_many()`` over every subject, without writing.

Each is run three times and the best time is kept; the figures that matter are the ratios of (b)
and (c) to (a), which do not depend on the machine. The goal is a ratio within 2×.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from benchlib import database_url, drop_database, fail, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"

AGENCIES = 100_000
ENTRIES = 1_000_000
REPEAT = 3
GOAL = 2.0
WHY = "the ratios are meaningless on SQLite"
CHUNK_SUBJECTS = 5_000

BASELINE_SQL = """
SELECT subject_id, SUM(points)
FROM credit_rules_ledgerentry
WHERE effective_at <= %(at)s
  AND (expires_at IS NULL OR expires_at > %(at)s)
  AND kind IN ('event', 'neutralise')
GROUP BY subject_id
"""

# Event codes and how often they occur (an ordinary market: mostly good ratings).
EVENT_MIX = [
    ("RATING_EXCELLENT", 40),
    ("RATING_POOR", 14),
    ("DELIVERY_LATE", 10),
    ("CREDIT_WARNING", 9),
    ("QUALITY_COMPLAINT", 8),
    ("HONOUR_TAX_A", 7),
    ("CONTRACT_LATE", 6),
    ("DECLINE_WIN", 5),
    ("HONOUR_RED_LIST", 1),
]


def entry_counts(rng: random.Random, subjects: int, total: int) -> list[int]:
    """How many entries each subject gets: 0–20, summing to exactly ``total``."""
    counts = [rng.randint(0, 20) for _ in range(subjects)]
    diff = total - sum(counts)
    step = 1 if diff > 0 else -1
    while diff:
        i = rng.randrange(subjects)
        if 0 <= counts[i] + step <= 40:
            counts[i] += step
            diff -= step
    return counts


ENTRY_COLUMNS = [
    "id", "subject_id", "seq", "kind", "code", "title", "points", "severity", "source", "measure", "reason",
    "refers_to_id", "rule_code", "basis", "evidence", "is_warning", "is_quality_complaint", "public",
    "repairable_after", "effective_at", "expires_at", "policy_id", "recorded_at", "recorded_by_id",
    "prev_hash", "hash",
]  # fmt: skip
SUBJECT_COLUMNS = [
    "id", "kind", "agency_id", "buyer_unit_id", "uscc", "name", "head_seq", "head_hash", "score", "grade",
    "is_rewarded", "is_restricted", "is_suspended", "is_expelled", "warning_count",
]  # fmt: skip
# LedgerEntry.canonical(): hash key -> column, and which ones are timestamps.
CANONICAL = {
    "subject": "subject_id", "seq": "seq", "kind": "kind", "code": "code", "title": "title", "points": "points",
    "severity": "severity", "source": "source", "measure": "measure", "reason": "reason",
    "refers_to": "refers_to_id", "rule_code": "rule_code", "basis": "basis", "evidence": "evidence",
    "is_warning": "is_warning", "is_quality_complaint": "is_quality_complaint", "public": "public",
    "repairable_after": "repairable_after", "effective_at": "effective_at", "expires_at": "expires_at",
    "policy": "policy_id", "recorded_at": "recorded_at", "recorded_by": "recorded_by_id", "prev_hash": "prev_hash",
}  # fmt: skip
TIMESTAMPS = {"repairable_after", "effective_at", "expires_at", "recorded_at"}
ENTRY_DEFAULTS = {
    "measure": "", "reason": "", "refers_to_id": None, "rule_code": "", "basis": "", "evidence": {}, "points": 0,
    "is_warning": False, "is_quality_complaint": False, "public": True, "repairable_after": None,
    "expires_at": None, "recorded_by_id": None,
}  # fmt: skip


def add_months(value: datetime.datetime, months: int) -> datetime.datetime:
    """``value + relativedelta(months=months)``, without relativedelta's cost per call."""
    years, month0 = divmod(value.month - 1 + months, 12)
    year, month = value.year + years, month0 + 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


def entry_hash(row: dict[str, Any]) -> str:
    """The hash ``LedgerEntry.compute_hash`` gives the same entry (checked against it while loading)."""
    canonical = {}
    for key, column in CANONICAL.items():
        value = row[column]
        if column in TIMESTAMPS and value is not None:
            value = value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        canonical[key] = value
    payload = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load(now: datetime.datetime, seed: int) -> None:
    """COPY agencies, subjects and hash-chained ledger entries into the bench database."""
    from django.db import connection, transaction
    from psycopg.types.json import Jsonb

    from credit_rules.defaults import MEASURE_CLASS
    from credit_rules.models import GENESIS_HASH, LedgerEntry, MeasureKind
    from credit_rules.policy import policy_at
    from credit_rules.services import MEASURE_TITLES
    from marketplace.models import Region
    from marketplace.validators import org_code_for_serial, uscc_build

    rng = random.Random(seed)
    policy = policy_at(now)
    catalogue = policy.catalogue
    codes = [code for code, _ in EVENT_MIX]
    weights = [w for _, w in EVENT_MIX]
    window = policy.event_window_months
    region_id = Region.objects.get(code="441302").pk
    counts = entry_counts(rng, AGENCIES, ENTRIES)
    span = 40 * 30 * 86_400  # about 40 months of history
    history_start = now - datetime.timedelta(seconds=span)
    measure_ends = {MeasureKind.SUSPEND: 1, MeasureKind.RESTRICT: None, MeasureKind.REWARD: 12}
    measure_rules = {
        MeasureKind.SUSPEND: "CR-ESC-001",
        MeasureKind.RESTRICT: "CR-ESC-004",
        MeasureKind.REWARD: "CR-ONB-005",
    }
    next_entry_id = 1
    checked = 0

    def chain(subject_id: int, n: int) -> list[dict[str, Any]]:
        """One subject's entries with their hash chain, as ``ledger_append`` would write them."""
        nonlocal next_entry_id, checked
        moments = sorted(history_start + datetime.timedelta(seconds=rng.randrange(span)) for _ in range(n))
        entries: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        prev = GENESIS_HASH
        for seq, at in enumerate(moments, start=1):
            at = at.replace(microsecond=rng.randrange(1_000_000))
            roll = rng.random()
            if roll < 0.07 and events:  # an objection upheld or a repair: neutralise an earlier event
                target = events.pop(rng.randrange(len(events)))
                reason = rng.choice([LedgerEntry.Reason.OVERTURNED, LedgerEntry.Reason.REPAIRED])
                fields = {
                    "kind": LedgerEntry.Kind.NEUTRALISE, "code": reason.upper(), "title": f"{reason.label}：{target['title']}",
                    "points": -target["points"], "severity": "info", "source": "supervisor", "reason": reason,
                    "refers_to_id": target["id"], "basis": "异议成立" if reason == "overturned" else "已完成整改",
                    "public": target["public"], "expires_at": target["expires_at"],
                }  # fmt: skip
            elif roll < 0.13:  # a measure of the ladder
                kind = rng.choice(list(measure_ends))
                months = measure_ends[kind]
                fields = {
                    "kind": LedgerEntry.Kind.MEASURE, "code": f"MEASURE_{kind.upper()}", "title": MEASURE_TITLES[kind],
                    "measure": kind, "severity": MEASURE_CLASS[kind], "source": "rule",
                    "rule_code": measure_rules[kind], "expires_at": add_months(at, months) if months else None,
                }  # fmt: skip
            elif roll < 0.16 and events:  # an objection lodged
                target = events[rng.randrange(len(events))]
                fields = {
                    "kind": LedgerEntry.Kind.DISPUTE, "code": "DISPUTE_OPENED", "title": f"提出异议：{target['title']}",
                    "severity": "info", "source": "rule", "reason": LedgerEntry.Reason.DISPUTE_OPENED,
                    "refers_to_id": target["id"], "public": target["public"],
                }  # fmt: skip
            else:
                item = catalogue[rng.choices(codes, weights)[0]]
                repair = policy.periods(item.severity).repair_months if item.repairable else None
                fields = {
                    "kind": LedgerEntry.Kind.EVENT, "code": item.code, "title": item.name, "points": item.points,
                    "severity": item.severity, "source": "rating" if item.code.startswith("RATING") else "supervisor",
                    "basis": item.basis, "evidence": {"project": f"ZJCS-{at.year}-{rng.randrange(10**6):06d}"},
                    "is_warning": item.is_warning, "is_quality_complaint": item.is_quality_complaint, "public": item.public,
                    "repairable_after": add_months(at, repair) if repair is not None else None,
                    "expires_at": add_months(at, window),
                }  # fmt: skip
            row = {
                **ENTRY_DEFAULTS, "id": next_entry_id, "subject_id": subject_id, "seq": seq, "effective_at": at,
                "recorded_at": at, "policy_id": policy.version.pk, "prev_hash": prev, **fields,
            }  # fmt: skip
            row["hash"] = prev = entry_hash(row)
            if checked < 2_000:  # the fast path must hash exactly as the model does
                model = LedgerEntry(**{k: v for k, v in row.items() if k != "hash"})
                if model.compute_hash() != row["hash"]:
                    fail(f"the loader's hash differs from LedgerEntry.compute_hash for {row}")
                checked += 1
            next_entry_id += 1
            entries.append(row)
            if row["kind"] == LedgerEntry.Kind.EVENT:
                events.append(row)
        return entries

    with transaction.atomic():
        cursor = connection.cursor().cursor  # the psycopg cursor, for COPY
        with cursor.copy(
            "COPY marketplace_agency (id, uscc, name, region_id, address, contact_name, contact_phone, created_at, "
            "legal_representative, introduction) FROM STDIN"
        ) as copy:
            for i in range(1, AGENCIES + 1):
                uscc = uscc_build(region_code="441302", org_code=org_code_for_serial(i, "BN"))
                copy.write_row((i, uscc, f"惠州压测咨询有限公司{i:06d}", region_id, "", "", "", now, "", ""))

        for start in range(0, AGENCIES, CHUNK_SUBJECTS):
            subjects, entries = [], []
            for i in range(start + 1, min(start + CHUNK_SUBJECTS, AGENCIES) + 1):
                own = chain(i, counts[i - 1])
                entries.extend(own)
                head = (own[-1]["seq"], own[-1]["hash"]) if own else (0, GENESIS_HASH)
                uscc = uscc_build(region_code="441302", org_code=org_code_for_serial(i, "BN"))
                subjects.append(
                    (i, "agency", i, None, uscc, f"惠州压测咨询有限公司{i:06d}", *head, 100, "A", False, False, False, False, 0)
                )  # fmt: skip
            with cursor.copy(f"COPY credit_rules_creditsubject ({', '.join(SUBJECT_COLUMNS)}) FROM STDIN") as copy:
                for row in subjects:
                    copy.write_row(row)
            with cursor.copy(f"COPY credit_rules_ledgerentry ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
                for entry in entries:
                    entry["evidence"] = Jsonb(entry["evidence"])
                    copy.write_row([entry[c] for c in ENTRY_COLUMNS])
            done = min(start + CHUNK_SUBJECTS, AGENCIES)
            if done % 20_000 == 0:
                print(f"    {done:,} subjects, {next_entry_id - 1:,} entries", flush=True)
        for table in ("marketplace_agency", "credit_rules_creditsubject", "credit_rules_ledgerentry"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    with connection.cursor() as c:
        c.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench"))
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size, for a quick try")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by an earlier --keep run")
    parser.add_argument("--load-only", action="store_true", help="create and load the database, measure nothing")
    parser.add_argument("--verify", action="store_true", help="also time ledger_verify over the whole ledger")
    args = parser.parse_args()
    global AGENCIES, ENTRIES
    AGENCIES, ENTRIES = int(AGENCIES * args.scale), int(ENTRIES * args.scale)

    os.environ["DATABASE_URL"] = database_url(args.database, why=WHY, fresh=not args.reuse)
    import django

    django.setup()
    from django.conf import settings

    # dev settings turn DEBUG on, which would keep every query of the run in memory.
    settings.DEBUG = False
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from credit_rules.models import CreditSubject, LedgerEntry
    from credit_rules.policy import policy_at
    from credit_rules.standing import standing_compute_many, standing_refresh_all
    from credit_rules.verify import ledger_verify
    from marketplace.models import Agency

    if args.reuse:
        now = Agency.objects.order_by("pk").values_list("created_at", flat=True).first()
        if now is None:
            fail(f"database {args.database!r} holds no bench data: run once with --keep first")
        print(
            f"bench_standing: reusing {args.database!r}: {CreditSubject.objects.count():,} subjects, "
            f"{LedgerEntry.objects.count():,} ledger entries"
        )
        # Back to the cache the loader leaves, so the first refresh below rewrites as much as after a load.
        CreditSubject.objects.update(
            score=100, grade="A", warning_count=0, standing_at=None, standing_valid_until=None,
            is_rewarded=False, is_restricted=False, is_suspended=False, is_expelled=False,
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE credit_rules_creditsubject")
    else:
        print(f"bench_standing: {AGENCIES:,} agencies, {ENTRIES:,} ledger entries, database {args.database!r}")
        now = timezone.now().replace(microsecond=0)
        timed("migrate", lambda: call_command("migrate", verbosity=0))
        timed("load (hash chains + COPY + ANALYZE)", lambda: load(now, args.seed))
        sample = random.Random(args.seed).sample(range(1, AGENCIES + 1), min(1_000, AGENCIES))
        report = ledger_verify(sample)
        if not report.ok:
            fail(f"the loaded ledger does not verify: {report.problem}")
        print(f"  ledger_verify on {report.subjects:,} sampled subjects: {report.entries:,} entries intact")
        if args.load_only:
            return

    at = now
    policy = policy_at(at)
    ids = list(CreditSubject.objects.order_by("pk").values_list("pk", flat=True))

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, {"at": at})
            return cursor.fetchall()

    # The first refresh after loading rewrites nearly every cached row: timed on its own.
    started = time.perf_counter()
    written = standing_refresh_all(at=at)
    first_b = time.perf_counter() - started
    # Then (a), (b), (c) take turns, so that each sees the same conditions on a busy machine.
    print(f"measuring (best of {REPEAT}, interleaved):", flush=True)
    times: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    jobs = {
        "a": baseline,
        "b": lambda: standing_refresh_all(at=at),
        "c": lambda: standing_compute_many(None, at=at),
    }
    results: dict[str, Any] = {}
    for _ in range(REPEAT):
        for name, job in jobs.items():
            started = time.perf_counter()
            results[name] = job()
            times[name].append(time.perf_counter() - started)
    t_a, t_b, t_c = (min(times[name]) for name in "abc")
    sums, standings = results["a"], results["c"]
    runs = {name: " ".join(f"{t:.2f}" for t in values) for name, values in times.items()}
    print(f"  (a) raw SQL aggregate of points in force: {t_a:.3f}s  [{runs['a']}] ({len(sums):,} subjects with points)")
    print(f"  (b) standing_refresh_all():               {t_b:.3f}s  [{runs['b']}] (rewrote {results['b']:,} rows)")
    print(f"      first run after loading:              {first_b:.3f}s (rewrote {written:,} cached rows)")
    print(f"  (c) standing_compute_many(all):           {t_c:.3f}s  [{runs['c']}]", flush=True)

    # The three must agree, or the timings mean nothing.
    points = dict(sums)
    wrong = [sid for sid in ids if standings[sid].score != policy.base_score + (points.get(sid) or 0)]
    fields = ["pk", "score", "grade", "warning_count", "standing_valid_until", "is_rewarded", "is_restricted"]
    fields += ["is_suspended", "is_expelled"]
    for pk, *cached in CreditSubject.objects.values_list(*fields):
        s = standings[pk]
        if cached != [s.score, s.grade, s.warning_count, s.valid_until, *s.flags().values()]:
            wrong.append(pk)
    if wrong:
        fail(f"results disagree for {len(wrong)} subjects, e.g. {wrong[:5]}")
    grades: dict[str, int] = {}
    for s in standings.values():
        grades[str(s.grade)] = grades.get(str(s.grade), 0) + 1
    measures = sum(len(s.measures) for s in standings.values())
    print(f"  (a), (b) and (c) agree; grades {dict(sorted(grades.items()))}, {measures:,} measures in force")

    if args.verify:
        report = timed("ledger_verify (every chain, streamed)", ledger_verify)
        if not report.ok:
            fail(f"the loaded ledger does not verify: {report.problem}")
        print(f"    {report.subjects:,} subjects, {report.entries:,} entries intact")

    ratio_b, ratio_c = t_b / t_a, t_c / t_a
    print()
    print(f"ratio (b) standing_refresh_all / (a) raw aggregate:   {ratio_b:.2f}x")
    print(f"ratio (c) standing_compute_many / (a) raw aggregate:  {ratio_c:.2f}x")
    print(f"goal: within {GOAL:.0f}x — {'met' if max(ratio_b, ratio_c) <= GOAL else 'NOT met'}")

    if not args.keep and not args.reuse:
        connection.close()
        drop_database(os.environ["DATABASE_URL"])


if __name__ == "__main__":
    main()
