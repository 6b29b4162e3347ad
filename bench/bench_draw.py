"""Benchmark the verifiable draw over a 10,000-agency pool, against a baseline measured in the same run.

    .venv/bin/python bench/bench_draw.py [--pool 10000] [--repeat 5]

Times (best of N) ``proof_build`` (pool hash, seed, one HMAC per agency, sort) and ``proof_verify``
(format checks including each USCC's check character, then the same recomputation), and a baseline:
hashing every USCC once with SHA-256 and sorting by that hash. The ratios to the baseline are what
to compare between machines; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _django_setup() -> None:
    # proof_verify words its problems through Django's gettext, which needs settings; no database is used.
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        import django

        django.setup()


def best_of(repeat: int, fn) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=10_000, help="agencies in the pool")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    args = parser.parse_args()
    _django_setup()

    from marketplace.validators import org_code_for_serial, uscc_build
    from workflows import draw

    usccs = [uscc_build(region_code="441302", org_code=org_code_for_serial(n, "BN")) for n in range(args.pool)]
    pool = [(uscc, f"惠州市第{n}号评估咨询有限公司") for n, uscc in enumerate(usccs)]
    secret = bytes(range(32))
    proof = draw.proof_build("ZJCS-2026-000123", pool, secret)
    assert draw.proof_verify(proof, proof["commitment"]).ok
    assert sorted(proof["ranking"]) == sorted(usccs)

    baseline = best_of(args.repeat, lambda: sorted(usccs, key=lambda u: hashlib.sha256(u.encode("utf-8")).hexdigest()))
    build = best_of(args.repeat, lambda: draw.proof_build("ZJCS-2026-000123", pool, secret))
    verify = best_of(args.repeat, lambda: draw.proof_verify(proof, proof["commitment"]))

    print(f"verifiable draw v1, pool of {args.pool:,} agencies, best of {args.repeat}")
    print(f"  baseline: sha256 each USCC once + sort   {baseline * 1000:9.2f} ms   1.00x")
    print(f"  proof_build (HMAC ranking)              {build * 1000:9.2f} ms   {build / baseline:5.2f}x")
    print(f"  proof_verify (format + recompute)       {verify * 1000:9.2f} ms   {verify / baseline:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
