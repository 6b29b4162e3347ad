"""The public project search's indexes: its order (newest first) and, on PostgreSQL, pg_trgm for its search."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from marketplace.dbops import PostgresAddIndex


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0005_buyerunit_supervising_department"),
        ("workflows", "0010_identity_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on SQLite
        # SQLite has no NULLS LAST in an index: PostgreSQL only, like the trigram indexes.
        PostgresAddIndex(
            model_name="project",
            index=models.Index(
                models.OrderBy(models.F("published_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                name="project_published",
            ),
        ),
        PostgresAddIndex(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                name="project_name_trgm",
            ),
        ),
        PostgresAddIndex(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("code"), name="gin_trgm_ops"
                ),
                name="project_code_trgm",
            ),
        ),
    ]
