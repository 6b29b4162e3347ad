"""Benchmark: the bulk delivery path (``workflows.demo.bulk_delivery``) over about 1,000 awarded projects.

Run on a database you can spare, seeded first with ``seed_demo --scale N`` (N ≥ 2, for members to sign up):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<yours> .venv/bin/python manage.py seed_demo --scale 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<yours> .venv/bin/python bench/bench_delivery.py --projects 1000

It opens ``--projects`` projects 100 days ago (``open_projects_bulk``, under its own mark), lets the deadline
sweep close their sign-ups 85 days ago (the real selection: draws, price comparisons; scored comparisons
wait for marks and stay out), then times ``delivery_seed`` taking the awarded ones from publicity end to
today: with 85 days behind them nearly all close (rated and paid). It prints the projects taken, the
seconds, the seconds per 1,000, and how much of it was publishing the contract notices (Wagtail pages).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--run", default="1", help="names this run's projects: a new name, a new set")
    parser.add_argument("--profile", help="write a cProfile of the delivery to this file")
    args = parser.parse_args()

    import django

    django.setup()
    import time_machine
    from django.test.utils import override_settings
    from django.utils import timezone

    from workflows.demo import bulk_delivery, year_bulk
    from workflows.models import Project
    from workflows.services.deadlines import deadlines_sweep

    now = timezone.now()
    year_bulk.MARK = f"【基准·交付{args.run}】"  # its own projects, beside the demo's open ones
    # A second run reuses the awarded projects a first run left (the setup takes a while).
    reuse = Project.objects.filter(name__startswith=year_bulk.MARK).exists()
    with override_settings(ZJCS_TIME_SCALE=1):
        with time_machine.travel(now - datetime.timedelta(days=100), tick=False):
            agencies = round(args.projects / (year_bulk.PROJECTS_PER_AGENCY * year_bulk.OPEN_SHARE))
            year_bulk.open_projects_seed(agencies, rng=random.Random(1), progress=print)
        with time_machine.travel(now - datetime.timedelta(days=85), tick=False):
            if reuse:
                print("reusing the awarded projects of an earlier run")
            started = time.monotonic()
            deadlines_sweep()
            print(f"sign-ups closed and selected in {time.monotonic() - started:.1f} s", flush=True)
        awarded = Project.objects.filter(name__startswith=year_bulk.MARK, state=Project.State.AWARDED).count()
        print(f"awarded: {awarded}")

        publishing = [0.0]
        publish = bulk_delivery.notice_requests_publish_bulk

        def timed_publish(requests):
            began = time.monotonic()
            try:
                return publish(requests)
            finally:
                publishing[0] += time.monotonic() - began

        bulk_delivery.notice_requests_publish_bulk = timed_publish
        import cProfile

        profile = cProfile.Profile() if args.profile else None
        started = time.monotonic()
        if profile:
            profile.enable()
        taken = year_bulk.delivery_seed(10**9, rng=random.Random(2), progress=print)
        seconds = time.monotonic() - started
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
    states = dict(
        Project.objects.filter(name__startswith=year_bulk.MARK)
        .values_list("state")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("state", "n")
    )
    from credit_rules.verify import ledger_verify

    print(f"states: {states}")
    print(f"delivery: {taken} projects in {seconds:.1f} s, {seconds / max(taken, 1) * 1000:.1f} s per 1,000")
    print(f"of which publishing the contract notices: {publishing[0]:.1f} s")
    print(f"ledger verifies: {ledger_verify().ok}")


if __name__ == "__main__":
    main()
