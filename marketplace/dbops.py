"""Migration operations for indexes only PostgreSQL has (GIN indexes for substring search: pg_trgm's, and
one over single characters and pairs for searches too short for a trigram).

The default test run and the embedded project use SQLite, which has no GIN: there the operation
records the index in the migration state and creates nothing, and ``icontains`` stays a scan — of a
database small enough for a scan (the documented fallback). On PostgreSQL it creates the index.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection, migrations
from django.db.models import Func, Q, TextField, Value
from django.db.models.functions import Upper


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


# A search this long has trigrams for pg_trgm's indexes; a shorter one is served by the characters and pairs.
TRIGRAM = 3


def text_contains(field: str, q: str) -> Q:
    """``field`` contains ``q`` (any case), in the form its PostgreSQL index serves: pg_trgm's for a term of three
    characters or more (``UPPER(field) LIKE``), the characters-and-pairs GIN for one or two (the same rows).
    On SQLite both are ``LIKE`` over the table."""
    like = Q(**{f"{field}__icontains": q})
    if len(q) < TRIGRAM and connection.vendor == "postgresql":
        # Both: the index answers the pairs; where the planner walks a list's order instead (a term many rows
        # share), the cheap LIKE is what each row is checked by (quals run cheapest first), not the function.
        grams = Value([q.upper()], output_field=ArrayField(TextField()))
        return Q(DataContains(ShortGrams(Upper(field)), grams)) & like
    return like


def planner_statistics_refresh() -> None:
    """ANALYZE the database after a bulk load (PostgreSQL; nothing on SQLite, whose planner keeps no statistics
    it would need refreshed). Until then the planner believes the tables as small as before the load and picks
    nested loops over them: the red list took 1.1 s at 1,200 agencies with a year of credit records, 1 ms after
    ANALYZE. Autovacuum would catch up, when and if it runs (it is off on some machines, CI's included)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def uscc_contains(q: str) -> Q:
    """The USCC contains ``q`` — only when ``q`` could be part of one (letters and digits, three or more): a
    Chinese term is in no USCC, and its trigram, absent from the USCC index, would cost that index a full read."""
    if len(q) >= TRIGRAM and q.isascii() and q.isalnum():
        return text_contains("uscc", q.upper())
    return Q(pk__in=[])
