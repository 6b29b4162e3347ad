"""Buyer units in name order and searched by name or USCC from an index (the buyers' record, the project search by buyer): pg_trgm for
three characters or more, characters and pairs for one or two. PostgreSQL only (``marketplace.dbops``)."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

import marketplace.dbops
from marketplace.dbops import PostgresAddIndex


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0008_agency_short_name_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="buyerunit",
            index=models.Index(fields=["name", "id"], name="buyer_name_id"),
        ),
        PostgresAddIndex(
            model_name="buyerunit",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                ),
                name="buyer_name_trgm",
            ),
        ),
        PostgresAddIndex(
            model_name="buyerunit",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("uscc"), name="gin_trgm_ops"
                ),
                name="buyer_uscc_trgm",
            ),
        ),
        PostgresAddIndex(
            model_name="buyerunit",
            index=django.contrib.postgres.indexes.GinIndex(
                marketplace.dbops.ShortGrams(django.db.models.functions.text.Upper("name")), name="buyer_name_grams"
            ),
        ),
    ]
