"""The agency directory's indexes: its order (name, id) and, on PostgreSQL, pg_trgm for its search.

The trigram indexes are created on PostgreSQL only (``marketplace.dbops.PostgresAddIndex``); on SQLite the
search stays a scan (see the README, "Scale").
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from marketplace.dbops import PostgresAddIndex


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_agency_identity_verified_at"),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on SQLite
        migrations.AddIndex(
            model_name="agency",
            index=models.Index(fields=["name", "id"], name="agency_name_id"),
        ),
        PostgresAddIndex(
            model_name="agency",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                name="agency_name_trgm",
            ),
        ),
        PostgresAddIndex(
            model_name="agency",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("uscc"), name="gin_trgm_ops"
                ),
                name="agency_uscc_trgm",
            ),
        ),
    ]
