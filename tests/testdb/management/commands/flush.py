"""`flush` for the test suite: Django empties the database this way after each test that cannot run in a
transaction (transactional_db, live_server). Emptying tables is for the owner's role alone, and the audit trail
refuses TRUNCATE even to it: the owner switches that guard off for this one transaction. The app never can."""

from django.core.management.commands import flush
from django.db import transaction

from rehab import db_roles

GUARD = "rehab_auditevent_not_emptied"


class Command(flush.Command):
    def handle(self, **options):
        using = options["database"]
        with db_roles.as_owner(using) as connection, transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {db_roles.AUDIT_TABLE} DISABLE TRIGGER {GUARD}")
            super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {db_roles.AUDIT_TABLE} ENABLE TRIGGER {GUARD}")
