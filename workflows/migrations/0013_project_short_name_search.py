"""A project name search of one or two characters from an index of the names' characters and pairs.

PostgreSQL only, like the trigram indexes of 0011 (``marketplace.dbops``); the function it indexes comes with
marketplace 0008.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

import marketplace.dbops
from marketplace.dbops import PostgresAddIndex


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0008_agency_short_name_search"),
        ("workflows", "0012_membership_term_indexes"),
    ]

    operations = [
        PostgresAddIndex(
            model_name="project",
            index=django.contrib.postgres.indexes.GinIndex(
                marketplace.dbops.ShortGrams(django.db.models.functions.text.Upper("name")), name="project_name_grams"
            ),
        ),
    ]
