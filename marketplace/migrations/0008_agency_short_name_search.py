"""A name search of one or two characters served by an index: the names' characters and pairs (GIN).

On PostgreSQL only, like the trigram indexes (``marketplace.dbops``); on SQLite such a search stays a scan.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

import marketplace.dbops
from marketplace.dbops import PostgresAddIndex


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0007_agency_directory_indexes"),
    ]

    operations = [
        migrations.RunPython(marketplace.dbops.short_grams_function_create, marketplace.dbops.short_grams_function_drop),
        PostgresAddIndex(
            model_name="agency",
            index=django.contrib.postgres.indexes.GinIndex(
                marketplace.dbops.ShortGrams(django.db.models.functions.text.Upper("name")), name="agency_name_grams"
            ),
        ),
    ]
