from django.db import migrations

from rehab.migration_operations import postgresql_only

FORBID = """
CREATE OR REPLACE FUNCTION rehab_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rehab_auditevent_append_only
    BEFORE UPDATE OR DELETE ON rehab_auditevent
    FOR EACH ROW EXECUTE FUNCTION rehab_audit_append_only();
"""
ALLOW = """
DROP TRIGGER IF EXISTS rehab_auditevent_append_only ON rehab_auditevent;
DROP FUNCTION IF EXISTS rehab_audit_append_only();
"""


class Migration(migrations.Migration):
    """On PostgreSQL the database itself refuses to edit or delete audit rows."""

    dependencies = [("rehab", "0004_audit_trail")]

    operations = [postgresql_only(FORBID, ALLOW)]
