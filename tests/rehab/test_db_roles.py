"""The app's database role owns no table and cannot rewrite the audit trail; the owner's role migrates, and new
tables are the app's to use at once. The suite connects as a deployment does (tests/settings.py)."""

from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from rehab import db_roles
from rehab.models import AuditEvent


@contextmanager
def owner_connection():
    """A connection to the test database as the owner's role, in a transaction that is rolled back."""
    owner = settings.DATABASE_OWNER
    info = psycopg.conninfo.make_conninfo(
        host=owner["HOST"] or "127.0.0.1",
        port=owner["PORT"] or 5432,
        user=owner["USER"],
        password=owner["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
    )
    with psycopg.connect(info) as owner_db:
        owner_db.execute("SET lock_timeout = '5s'")
        try:
            yield owner_db
        finally:
            owner_db.rollback()


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_the_app_connects_as_a_role_that_owns_no_table(db):
    app = current_user()
    assert app == settings.DATABASES["default"]["USER"] != settings.DATABASE_OWNER["USER"]
    assert db_roles.tables_owned_by(connection, app) == []
    owned = db_roles.tables_owned_by(connection, settings.DATABASE_OWNER["USER"])
    assert {"rehab_auditevent", "rehab_user", "patients_patient", "flags_flag", "django_migrations"} <= set(owned)


@pytest.fixture
def trail(client, physio, patient):
    client.force_login(physio)
    client.get(reverse("patients:detail", args=[patient.pk]))
    return AuditEvent.objects.get()


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE rehab_auditevent",
        "TRUNCATE rehab_auditevent CASCADE",
        "DELETE FROM rehab_auditevent",
        "UPDATE rehab_auditevent SET what = 'nothing'",
        "ALTER TABLE rehab_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE rehab_auditevent DISABLE TRIGGER rehab_auditevent_append_only",
        "DROP TRIGGER rehab_auditevent_not_emptied ON rehab_auditevent",
        "ALTER TABLE rehab_auditevent OWNER TO CURRENT_USER",
        "DROP TABLE rehab_auditevent CASCADE",
    ],
)
def test_the_apps_connection_cannot_rewrite_the_audit_trail(trail, statement):
    with connection.cursor() as cursor:
        # The row's foreign keys are checked now rather than at commit: PostgreSQL refuses to truncate or alter a
        # table with checks pending, which would hide the refusal this test is about.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    # Refused for want of the right (the app's role owns no table), or by the trail's own triggers.
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege | psycopg.errors.RaiseException)
    assert list(AuditEvent.objects.values_list("pk", "what")) == [(trail.pk, "patients:detail")]


def test_the_app_may_add_to_and_read_the_audit_trail_and_use_every_other_table(db):
    app = current_user()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'rehab_auditevent', 'SELECT'), "
            "has_table_privilege(%s, 'rehab_auditevent', 'INSERT'), "
            "has_table_privilege(%s, 'rehab_auditevent', 'UPDATE'), "
            "has_table_privilege(%s, 'rehab_auditevent', 'DELETE'), "
            "has_table_privilege(%s, 'rehab_auditevent', 'TRUNCATE')",
            [app] * 5,
        )
        assert cursor.fetchone() == (True, True, False, False, False)
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'rehab_auditevent'"
            " AND NOT has_table_privilege(%s, format('%%I.%%I', schemaname, tablename),"
            " 'SELECT, INSERT, UPDATE, DELETE')",
            [app],
        )
        assert cursor.fetchall() == []


def test_even_the_owner_cannot_empty_the_trail_with_its_guards_on(db):
    with owner_connection() as owner, pytest.raises(psycopg.errors.RaiseException, match="cannot be emptied"):
        owner.execute("TRUNCATE rehab_auditevent")


def test_a_table_the_owner_makes_later_is_the_apps_to_use_at_once(db):
    """Other apps add tables in their migrations: the owner's default privileges give the app its rights on them."""
    app = settings.DATABASES["default"]["USER"]
    with owner_connection() as owner:
        owner.execute("CREATE TABLE later_table (id bigserial PRIMARY KEY, note text)")
        rights = owner.execute(
            "SELECT has_table_privilege(%s, 'later_table', 'SELECT, INSERT, UPDATE, DELETE'),"
            " has_table_privilege(%s, 'later_table', 'TRUNCATE'),"
            " has_sequence_privilege(%s, 'later_table_id_seq', 'USAGE')",
            [app, app, app],
        ).fetchone()
    assert rights == (True, False, True)


def test_migrate_runs_as_the_owner_then_the_app_connects_as_itself_again(transactional_db):
    from io import StringIO

    from django.core.management import call_command
    from django.db.models.signals import post_migrate

    seen = []
    post_migrate.connect(lambda **_: seen.append(current_user()), weak=False, dispatch_uid="test-role-seen")
    out = StringIO()
    try:
        call_command("migrate", verbosity=1, stdout=out)
    finally:
        post_migrate.disconnect(dispatch_uid="test-role-seen")
    assert seen and set(seen) == {settings.DATABASE_OWNER["USER"]}
    assert current_user() == settings.DATABASES["default"]["USER"]
    assert "may read and write rows, and only read and add to the audit trail" in out.getvalue()


def test_the_database_check_finds_the_apps_role_owns_nothing(db):
    from rehab.checks import app_role_owns_no_table

    assert app_role_owns_no_table(None, databases=["default"]) == []
    with mock.patch.object(db_roles, "tables_owned_by", return_value=["rehab_auditevent"]):
        (error,) = app_role_owns_no_table(None, databases=["default"])
    assert error.id == "rehab.E001" and "owns tables: rehab_auditevent." in error.msg
