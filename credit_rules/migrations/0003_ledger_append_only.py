"""The database itself refuses to change a ledger entry (and, on PostgreSQL, to delete one).

SQLite gets the UPDATE trigger only: Django's test flush empties tables with DELETE there, while
PostgreSQL flushes with TRUNCATE, which row triggers do not see. The model layer refuses deletes
on both.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION credit_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credit ledger is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE ON credit_rules_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();
CREATE TRIGGER credit_ledger_no_delete BEFORE DELETE ON credit_rules_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS credit_ledger_no_update ON credit_rules_ledgerentry;
DROP TRIGGER IF EXISTS credit_ledger_no_delete ON credit_rules_ledgerentry;
DROP FUNCTION IF EXISTS credit_ledger_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER IF NOT EXISTS credit_ledger_no_update BEFORE UPDATE ON credit_rules_ledgerentry
BEGIN
    SELECT RAISE(ABORT, 'credit ledger is append-only (UPDATE refused)');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS credit_ledger_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the PL/pgSQL body's '%' is a RAISE placeholder, not a query parameter.
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("credit_rules", "0002_default_policy")]

    operations = [migrations.RunPython(forward, backward)]
