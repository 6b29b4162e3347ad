"""``manage.py monthly_report 2026-11 [--replace]``: generate (and archive) one month's operations report."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows.services.reports import monthly_report_generate


class Command(BaseCommand):
    help = "Generate the operations report of one calendar month (YYYY-MM); an archived month is kept unless --replace."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, YYYY-MM")
        parser.add_argument("--replace", action="store_true", help="compute an archived month again")

    def handle(self, *args, month: str, replace: bool = False, **options):
        try:
            first = datetime.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise CommandError(_("月份格式应为 YYYY-MM，例如 2026-11。")) from None
        report = monthly_report_generate(first, replace=replace)
        self.stdout.write(f"{report.month:%Y-%m} {report.generated_at.isoformat()}")
