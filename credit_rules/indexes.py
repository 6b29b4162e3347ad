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
