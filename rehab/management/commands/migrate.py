"""`migrate` as the database owner's role, then the app's role granted its rights (rehab/db_roles.py)."""

from django.core.management.base import CommandError
from django.core.management.commands import migrate

from rehab import db_roles


class Command(migrate.Command):
    help = (
        "Updates the database schema as the owner's role (DATABASE_OWNER_URL), then grants the app's role "
        "(DATABASE_URL) reading and writing rows on every table, and only reading and adding on the audit trail."
    )

    def handle(self, *args, **options):
        with db_roles.as_owner(options["database"]) as connection:
            super().handle(*args, **options)
            if not db_roles.separate_roles() or options.get("plan") or options.get("check_unapplied"):
                return
            owned = db_roles.tables_owned_by(connection, connection.rehab_app_role)
            if owned:
                raise CommandError(
                    f"The app's database role {connection.rehab_app_role} owns tables ({', '.join(owned)}), so it "
                    f"could rewrite them and the audit trail: give them to the owner, as a superuser: REASSIGN OWNED "
                    f"BY {connection.rehab_app_role} TO {connection.settings_dict['USER']};"
                )
            db_roles.grant_app_role(connection)
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"The app's role {connection.rehab_app_role} may read and write rows, and only read and add to "
                    "the audit trail."
                )
