"""The policy what-if's dependent ledger rows (measures, neutralisations, serious events) as a covering partial index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credit_rules", "0015_basis_cites_listed_documents"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(
                    ("kind__in", ["measure", "neutralise"]), ("severity__in", ["serious", "grave"]), _connector="OR"
                ),
                fields=["effective_at", "id"],
                include=("subject", "kind", "measure", "expires_at", "rule_code", "refers_to", "code", "severity"),
                name="ledger_dependent_rows",
            ),
        ),
    ]
