"""System checks of the deployment's database roles (rehab/db_roles.py)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections

from . import db_roles


def _postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@register(Tags.security, deploy=True)
def owner_role_configured(app_configs, **kwargs):
    if _postgresql() and not db_roles.separate_roles():
        return [
            Warning(
                "DATABASE_OWNER_URL is not set: the app connects as the role that owns its tables, so it could "
                "switch the audit trail's triggers off and rewrite or empty it.",
                hint="Set DATABASE_OWNER_URL to the owner's role and DATABASE_URL to a role that owns no table "
                "(README, Configuration).",
                id="rehab.W001",
            )
        ]
    return []


@register(Tags.database)
def app_role_owns_no_table(app_configs, databases=None, **kwargs):
    """With `check --database default` (beat's health check): the role the app connects as owns no table."""
    if not databases or "default" not in databases or not _postgresql() or not db_roles.separate_roles():
        return []
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()
    owned = db_roles.tables_owned_by(connection, role)
    if owned:
        named = ", ".join(owned[:5]) + (" and more" if owned[5:] else "")
        return [
            Error(
                f"The app's database role {role} owns tables: {named}.",
                hint="Give them to the owner's role (REASSIGN OWNED BY ... TO ...), then run migrate.",
                id="rehab.E001",
            )
        ]
    return []
