"""``python manage.py simulate_year [--scale F] [--days N] [--seed S]`` — a year of the marketplace, through
the services, then the counts of every rung beside the reference year's."""

import time

from django.core.management.base import BaseCommand, CommandError

from workflows.demo.year import Behaviour, HistoryInTheWay, year_simulate


class Command(BaseCommand):
    help = (
        "Simulate the past year through the real services (agencies, buyers, supervisors acting by stated "
        "probabilities) and print what the credit ladder produced beside the Huizhou reference year."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="population size relative to the default (300)")
        parser.add_argument("--days", type=int, default=365, help="how many past days to live through")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (the same seed, the same year)")

    def handle(self, *args, scale: float, days: int, seed: int, **options):
        started = time.monotonic()
        behaviour = Behaviour().scaled(scale)
        try:
            report = year_simulate(behaviour=behaviour, seed=seed, days=days, progress=lambda m: self.stdout.write(m))
        except HistoryInTheWay as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Simulated {days} days in {time.monotonic() - started:.0f}s."))
        self.stdout.write(report.table())
