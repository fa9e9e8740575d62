from django.db import migrations

from rehab.migration_operations import postgresql_only

FORBID = """
CREATE OR REPLACE FUNCTION rehab_audit_not_emptied() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail cannot be emptied';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rehab_auditevent_not_emptied
    BEFORE TRUNCATE ON rehab_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION rehab_audit_not_emptied();
"""
ALLOW = """
DROP TRIGGER IF EXISTS rehab_auditevent_not_emptied ON rehab_auditevent;
DROP FUNCTION IF EXISTS rehab_audit_not_emptied();
"""


class Migration(migrations.Migration):
    """On PostgreSQL the database refuses to empty the audit trail with TRUNCATE, as it refuses to edit or delete
    its rows (0005). The app's own role cannot switch these triggers off: it owns no table (README, Configuration)."""

    dependencies = [("rehab", "0008_audit_outcome")]

    operations = [postgresql_only(FORBID, ALLOW)]
