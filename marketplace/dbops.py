"""Migration operations for indexes only PostgreSQL has (pg_trgm's GIN indexes for substring search).

The default test run and the embedded project use SQLite, which has no GIN: there the operation
records the index in the migration state and creates nothing, and ``icontains`` stays a scan — of a
database small enough for a scan (the documented fallback). On PostgreSQL it creates the index.
"""

from __future__ import annotations

from django.db import migrations


class PostgresAddIndex(migrations.AddIndex):
    """``AddIndex`` that creates (and drops) the index on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
