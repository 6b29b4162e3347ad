"""Migration operations for indexes only PostgreSQL has (GIN indexes for substring search: pg_trgm's, and
one over single characters and pairs for searches too short for a trigram).

The default test run and the embedded project use SQLite, which has no GIN: there the operation
records the index in the migration state and creates nothing, and ``icontains`` stays a scan — of a
database small enough for a scan (the documented fallback). On PostgreSQL it creates the index.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import migrations
from django.db.models import Func, TextField


class PostgresAddIndex(migrations.AddIndex):
    """``AddIndex`` that creates (and drops) the index on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# Searches shorter than a trigram (one or two characters: "广正", "测") have no trigram to look up: pg_trgm
# walks every name. A GIN index over each name's single characters and character pairs serves them; this
# function makes them (immutable, so an index may be built on it). PostgreSQL only, like the indexes above.
SHORT_GRAMS_SQL = """
CREATE OR REPLACE FUNCTION zjcs_short_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT substr(t, i, 1) AS g FROM generate_series(1, char_length(t)) AS i
    UNION ALL
    SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i
  ) AS grams
$$
"""


class ShortGrams(Func):
    """``zjcs_short_grams(text)``: the distinct single characters and pairs of a text, as an array."""

    function = "zjcs_short_grams"
    output_field = ArrayField(TextField())


def short_grams_function_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SHORT_GRAMS_SQL)


def short_grams_function_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS zjcs_short_grams(text)")
