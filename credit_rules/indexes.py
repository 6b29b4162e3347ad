"""Indexes of the cached standing (``CreditSubject``) that the public lists need, partial over the few flagged rows.

The red list in its own order (best score first, then name), and the agency directory's measure filters
(restricted, suspended); the black list and the grade filter use the model's (kind, …) indexes.
"""

from __future__ import annotations

from django.db import models

LIST_INDEXES = [
    models.Index(fields=["-score", "name", "id"], name="credit_subject_redlist", condition=models.Q(is_rewarded=True)),
    models.Index(fields=["agency"], name="credit_subject_restricted", condition=models.Q(is_restricted=True)),
    models.Index(fields=["agency"], name="credit_subject_suspended", condition=models.Q(is_suspended=True)),
]

# The ledger's: by subject and date (standing), by kind, measure and date (the lists' measures in force), by the
# entry a neutralisation refers to; and the policy what-if's rows whose meaning depends on others (``whatif_ledger.ledger_load``): measures,
# neutralisations and serious events, in time order, read by an index-only scan instead of a scan of the whole
# ledger (PostgreSQL: 0.05 s instead of 0.35 s over 1,000,000 entries; bench/README.md, bench_whatif.py).
LEDGER_INDEXES = [
    models.Index(fields=["subject", "effective_at"]),
    models.Index(fields=["kind", "measure", "effective_at"]),
    models.Index(fields=["refers_to"]),
    models.Index(
        fields=["effective_at", "id"],
        include=["subject", "kind", "measure", "expires_at", "rule_code", "refers_to", "code", "severity"],
        name="ledger_dependent_rows",
        condition=models.Q(kind__in=["measure", "neutralise"]) | models.Q(severity__in=["serious", "grave"]),
    ),
]
