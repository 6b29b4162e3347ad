"""``python manage.py seed_demo [--scale N]`` — idempotent demo data; prints one login per role."""

import time

from django.core.management.base import BaseCommand

from workflows import clock
from workflows.demo.people import DEMO_PASSWORD
from workflows.demo.seed import AGENCIES_PER_SCALE, demo_seed


class Command(BaseCommand):
    """Seed the demo data set and print one login per role."""

    help = "Seed realistic demo data (idempotent). --scale N multiplies the agencies for benchmarks."

    def add_arguments(self, parser):
        """``--scale N``: how many times the base number of agencies to seed."""
        parser.add_argument("--scale", type=int, default=1, help=f"agencies = {AGENCIES_PER_SCALE} × N")

    def handle(self, *args, scale: int, **options):
        """Seed, then print how long it took and the logins with their shared password."""
        started = time.monotonic()
        clock.process_sync()  # in demo mode, seed at the demo time the running demo has reached
        logins = demo_seed(scale=scale, progress=lambda m: self.stdout.write(m))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.role:<22} {login.username:<18} {login.note}")
