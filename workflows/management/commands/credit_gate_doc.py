"""``python manage.py credit_gate_doc > docs/credit-gate.md`` — the gate inventory as a document."""

from django.core.management.base import BaseCommand

from workflows.gating import gate_table_markdown


class Command(BaseCommand):
    help = "Print docs/credit-gate.md: every transition, its gate stage or exemption, the rules and what they may do."

    def handle(self, *args, **options):
        self.stdout.write(gate_table_markdown(), ending="")
