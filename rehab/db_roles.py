"""The two PostgreSQL roles of a deployment, and what each may do.

- The app's role (DATABASE_URL): what the web app, the worker and beat connect as. It owns no table, so it cannot
  alter one, switch a trigger off or empty a table: it may read, add, change and delete rows, and of the audit trail
  only read and add them.
- The owner's role (DATABASE_OWNER_URL): owns the schema's tables. `migrate` runs as this role, then grants the app's
  role its rights on every table, including tables made since (`ALTER DEFAULT PRIVILEGES`: a table a later migration
  makes is usable by the app at once).

Without DATABASE_OWNER_URL (the SQLite demo, or a single-role PostgreSQL set-up) everything runs as the one role, as
before; `check --deploy` warns about it on PostgreSQL.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

CONNECTION_KEYS = ("USER", "PASSWORD", "HOST", "PORT")
AUDIT_TABLE = "rehab_auditevent"


def separate_roles() -> bool:
    return bool(getattr(settings, "DATABASE_OWNER", None))


@contextmanager
def as_owner(using: str = DEFAULT_DB_ALIAS):
    """Within the block, the connection `using` is the owner's role (nothing changes with a single role).

    The connection is closed and reopened with the owner's credentials, and closed again at the end, so that the
    app's next query connects as the app's role."""
    connection = connections[using]
    if not separate_roles() or hasattr(connection, "rehab_app_role"):
        yield connection
        return
    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch to the database owner's role inside a transaction.")
    app = {key: connection.settings_dict.get(key) for key in CONNECTION_KEYS}
    connection.close()
    connection.settings_dict.update(settings.DATABASE_OWNER)
    connection.rehab_app_role = app["USER"]
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(app)
        del connection.rehab_app_role


def grant_app_role(connection) -> None:
    """As the owner: give the app's role what it needs on every table of the schema, now and to come, and only
    reading and adding on the audit trail. Idempotent (run by every `migrate`)."""
    app, owner = connection.rehab_app_role, settings.DATABASE_OWNER["USER"]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        statements = [
            f"GRANT USAGE ON SCHEMA {quote(schema)} TO {quote(app)}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {quote(schema)} TO {quote(app)}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {quote(app)}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {quote(AUDIT_TABLE)} FROM {quote(app)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {quote(schema)}"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quote(app)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {quote(schema)}"
            f" GRANT USAGE, SELECT ON SEQUENCES TO {quote(app)}",
        ]
        for statement in statements:
            cursor.execute(statement)


def tables_owned_by(connection, role: str) -> list[str]:
    """The tables of the current schema that `role` owns (for the app's role, there should be none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = %s ORDER BY 1",
            [role],
        )
        return [name for (name,) in cursor.fetchall()]
