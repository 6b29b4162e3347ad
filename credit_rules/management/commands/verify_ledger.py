"""``manage.py verify_ledger [--subject USCC]``: prove the credit ledger's hash chains are intact."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from credit_rules.models import CreditSubject
from credit_rules.verify import ledger_verify
from marketplace.validators import normalise_uscc


class Command(BaseCommand):
    help = "Verify every credit subject's hash-chained ledger; exits non-zero naming the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subject", action="append", metavar="USCC", help="Only this subject (repeat for several)."
        )

    def handle(self, *args, subject=None, **options):
        ids = None
        if subject:
            usccs = [normalise_uscc(u) for u in subject]
            found = dict(CreditSubject.objects.filter(uscc__in=usccs).values_list("uscc", "pk"))
            unknown = [u for u in usccs if u not in found]
            if unknown:
                raise CommandError(f"No credit subject with USCC {', '.join(unknown)}.")
            ids = list(found.values())
        report = ledger_verify(ids)
        summary = f"{report.subjects} subjects, {report.entries} entries checked in {report.seconds:.2f}s."
        if report.problem is not None:
            self.stderr.write(summary)
            raise CommandError(f"Ledger verification FAILED at {report.problem}")
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {summary}"))
