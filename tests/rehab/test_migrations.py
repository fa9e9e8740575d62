"""A database made before check-ins and flags had apps of their own migrates forward with every row, constraint
and index: PostgreSQL (the product) and SQLite (the demo).

Each run happens in a database of its own, in a child process (`python -m tests.rehab.test_migrations`): the
schema as it was is built with MigrationExecutor, a row goes into every table of the product's apps, everything
migrates forward, and the child reports what it found as JSON for the test to check.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# The last migrations before the move, for the product's apps; the apps that did not exist yet start at zero.
BEFORE = {
    "rehab": "0006_clinic_phone",
    "patients": "0005_flag_event_corrected",
    "programs": "0005_one_new_program",
    "checkins": None,
    "flags": None,
    "outcomes": None,
    "reminders": None,
}
# The move itself: compared exactly with what was there before (later migrations may change more, on purpose).
MOVE = {
    "checkins": "0001_moved_from_programs",
    "flags": "0001_moved_from_patients",
    "programs": "0006_checkins_moved_out",
    "patients": "0006_flags_moved_out",
}
TABLES = {  # before -> after
    "programs_sessionreport": "checkins_checkin",
    "programs_exerciseresult": "checkins_exerciseresult",
    "programs_reportcorrection": "checkins_checkincorrection",
    "patients_flag": "flags_flag",
    "patients_flagevent": "flags_flagevent",
}
COLUMNS = {  # (table before, column before) -> column after
    ("programs_exerciseresult", "report_id"): "checkin_id",
    ("programs_reportcorrection", "report_id"): "checkin_id",
    ("patients_flagevent", "report_id"): "checkin_id",
}
NAMES = {  # constraints and indexes named by the app, before -> after
    "report_max_pain_range": "checkin_max_pain_range",
    "report_pain_now_range": "checkin_pain_now_range",
    "report_note_length": "checkin_note_length",
    "report_patient_date_idx": "checkin_patient_date_idx",
    "report_unevaluated_idx": "checkin_unevaluated_idx",
    "flag_event_once_per_report": "flag_event_once_per_checkin",
}
APPS = ("rehab", "patients", "programs", "checkins", "flags", "outcomes")


# --- In the child process ----------------------------------------------------------------------


def _rows(connection, table: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY id")  # noqa: S608 - our tables
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _schema(connection) -> dict:
    """Every table of the product's apps: its constraints and indexes, named and by what they are."""
    schema = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith(tuple(f"{app}_" for app in APPS)):
                continue
            found = connection.introspection.get_constraints(cursor, table)
            schema[table] = {
                name: {
                    "columns": sorted(col or "(expression)" for col in c["columns"]),
                    "kind": [k for k in ("primary_key", "unique", "foreign_key", "check", "index") if c.get(k)],
                    "to": (c["foreign_key"] or [None])[0],
                }
                for name, c in found.items()
            }
    return schema


def _definitions(connection) -> dict[str, set[str]]:
    """PostgreSQL only: each table's constraint and index definitions, as the database states them, without
    their names (an index Django named keeps that name through a table rename)."""
    if connection.vendor != "postgresql":
        return {}
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace AND contype <> 'n'"
        )
        for table, definition in cursor.fetchall():
            found.setdefault(table, set()).add(definition)
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        for table, name, definition in cursor.fetchall():
            found.setdefault(table, set()).add(definition.replace(f"INDEX {name} ON", "INDEX ON"))
    return found


def _oids(connection, names) -> dict[str, int]:
    """PostgreSQL only: the object id of each named constraint or index (the same id: the same object, not
    rebuilt)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, oid FROM pg_constraint WHERE conname = ANY(%s)"
            " UNION ALL SELECT relname, oid FROM pg_class WHERE relkind = 'i' AND relname = ANY(%s)",
            [list(names), list(names)],
        )
        return dict(cursor.fetchall())


def _renamed(definition: str, table: str) -> str:
    """An old table's definition as it should read after the move."""
    for old, new in TABLES.items():
        definition = definition.replace(f"public.{old} ", f"public.{new} ").replace(
            f"REFERENCES {old}(", f"REFERENCES {new}("
        )
    for (where, old), new in COLUMNS.items():
        if where == table:
            definition = definition.replace(old, new)
    return definition


def _fill(apps) -> None:
    """A row in every table of the product's apps, through the models as they were."""
    from django.utils import timezone

    def get(label):
        return apps.get_model(*label.split("."))

    now = timezone.now()
    today = date.today()
    clinic = get("rehab.Clinic").objects.create(name="Old Clinic", time_zone="Europe/London", phone="020 7946 0000")
    user = get("rehab.User")
    physio = user.objects.create(email="physio@old.example", role="physio", clinic=clinic, password="!")
    admin = user.objects.create(email="admin@old.example", role="clinic_admin", clinic=clinic, password="!")
    person = user.objects.create(email="patient@old.example", role="patient", clinic=clinic, password="!")
    get("rehab.ClinicSettingsChange").objects.create(clinic=clinic, changed_by=admin, changes={"ack_hours": [24, 12]})
    get("rehab.AuditEvent").objects.create(
        user=physio,
        clinic=clinic,
        action="viewed",
        what="patients:flag_detail",
        path="/patients/flags/1/",
        method="GET",
    )
    patient = get("patients.Patient").objects.create(
        user=person,
        clinic=clinic,
        physiotherapist=physio,
        date_of_birth=date(1980, 5, 1),
        onset_date=today - timedelta(days=60),
        condition="Old back pain",
        pain_threshold=1,
    )
    get("patients.ThresholdChange").objects.create(patient=patient, value=1, reason="Default", changed_by=physio)
    get("patients.Pause").objects.create(
        patient=patient, starts_on=today, ends_on=today + timedelta(days=3), reason="Holiday", created_by=physio
    )
    exercise = get("programs.Exercise").objects.get(clinic=None, key="dead-bug")  # the shipped library
    own = get("programs.Exercise").objects.create(
        clinic=clinic,
        key="own",
        name="Own",
        category="strength",
        difficulty=2,
        summary="s",
        instructions="i",
        sets=2,
        reps=10,
    )
    get("programs.ExerciseMuscle").objects.create(exercise=own, group="core", primary=True)
    program = get("programs.Program").objects.create(patient=patient, status="active", created_by=physio)
    version = get("programs.ProgramVersion").objects.create(
        program=program,
        number=1,
        status="active",
        start_date=today - timedelta(days=20),
        weekdays=[0, 2, 4],
        created_by=physio,
        activated_by=physio,
        activated_at=now,
    )
    item = get("programs.ProgramExercise").objects.create(
        version=version, exercise=exercise, position=1, sets=2, reps=8
    )
    template = get("programs.ProgramTemplate").objects.create(clinic=clinic, name="T", weekdays=[0], created_by=physio)
    get("programs.TemplateExercise").objects.create(template=template, exercise=exercise, position=1, sets=1, reps=5)
    report = get("programs.SessionReport").objects.create(
        patient=patient,
        version=version,
        session_date=today,
        max_pain=3,
        pain_now=2,
        sharp_pain=True,
        leg_weakness=True,
        note="Old note",
        idempotency_key=uuid.uuid4(),
        corrected_at=now,
        evaluated_at=now,
    )
    get("programs.ExerciseResult").objects.create(report=report, item=item, outcome="partly")
    get("programs.ReportCorrection").objects.create(report=report, previous={"max_pain": 2}, corrected_at=now)
    flag = get("patients.Flag").objects.create(
        patient=patient,
        reason="pain",
        details={
            "rule": "Rule 3: pain over the patient's threshold",
            "explanation": "Pain 3/5",
            "report_id": report.pk,
        },
        ack_due_at=now + timedelta(hours=24),
    )
    get("patients.Flag").objects.create(
        patient=patient,
        reason="rest",
        status="resolved",
        resolved_at=now,
        outcome="no_action",
        ack_due_at=now,
        details={"rule": "Rule 7: more than 2 whole rest days in a row", "explanation": "Rested"},
    )
    get("patients.FlagEvent").objects.create(flag=flag, kind="raised", report_id=report.pk, values={"max_pain": 3})
    get("patients.FlagEvent").objects.create(flag=flag, kind="acknowledged", by=physio)
    later = get("programs.SessionReport").objects.create(
        patient=patient,
        version=version,
        session_date=today - timedelta(days=1),
        max_pain=4,
        pain_now=1,
        sharp_pain=False,
        idempotency_key=uuid.uuid4(),
        evaluated_at=now,
    )
    get("patients.FlagEvent").objects.create(flag=flag, kind="evidence", report_id=later.pk, values={"max_pain": 4})
    # A correction and the event that noted it on the flag, written together with one time, as the code did then.
    corrected = now + timedelta(minutes=5)
    get("programs.ReportCorrection").objects.create(report=later, previous={"max_pain": 5}, corrected_at=corrected)
    get("patients.FlagEvent").objects.create(
        flag=flag, kind="corrected", report_id=later.pk, at=corrected, values={"explanation": "5 -> 4"}
    )


def _refused(connection, sql: str, params: list) -> bool:
    """Whether the database refuses a statement (it is rolled back either way)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            connection.check_constraints()  # foreign keys are checked at commit: check them now
            raise _RolledBack
    except DatabaseError:
        return True
    except _RolledBack:
        return False


class _RolledBack(Exception):
    pass


def run_in_child() -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    before = [(app, BEFORE.get(app, name)) for app, name in leaves if app not in BEFORE] + list(BEFORE.items())
    executor.migrate(before)
    state = executor.loader.project_state([t for t in before if t[1] is not None])
    _fill(state.apps)
    named = {  # the constraints and indexes the apps named themselves
        item.name
        for model in state.models.values()
        if model.app_label in APPS
        for item in (*model.options.get("constraints", ()), *model.options.get("indexes", ()))
    }
    old_schema = _schema(connection)
    old_rows = {table: _rows(connection, table) for table in old_schema}
    old_definitions = _definitions(connection)
    kept_in_place = ["exercise_result_unique", *NAMES]
    old_oids = _oids(connection, kept_in_place)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([(app, MOVE.get(app, name)) for app, name in before])
    new_schema = _schema(connection)
    new_rows = {table: _rows(connection, table) for table in new_schema}
    new_definitions = _definitions(connection)
    new_oids = _oids(connection, [NAMES.get(name, name) for name in kept_in_place])

    problems = []
    corrected = [row for row in new_rows["flags_flagevent"] if row["kind"] == "corrected"]
    stamped = [
        (json.loads(row["values"]) if isinstance(row["values"], str) else row["values"]).get("correction")
        for row in corrected
    ]
    if stamped != [
        row["id"] for row in new_rows["checkins_checkincorrection"] if row["checkin_id"] == corrected[0]["checkin_id"]
    ]:
        problems.append(f"the event that noted a correction does not say which: {stamped}")

    for table, definitions in old_definitions.items():
        if table.startswith(tuple(f"{app}_" for app in APPS)):
            missing = {_renamed(d, table) for d in definitions} - new_definitions.get(TABLES.get(table, table), set())
            problems += [f"{table}: no longer {definition}" for definition in sorted(missing)]
    # Renamed in place, not rebuilt (on PostgreSQL): the same objects. The flag events' unique index is rebuilt
    # on purpose: its column became a foreign key.
    rebuilt = [
        n
        for n in kept_in_place
        if n != "flag_event_once_per_report" and old_oids.get(n) != new_oids.get(NAMES.get(n, n))
    ]
    problems += [f"{name} was rebuilt, not renamed in place" for name in rebuilt if old_oids]
    for table, rows in old_rows.items():
        after = TABLES.get(table, table)
        if after not in new_rows:
            problems.append(f"table {table} is gone (expected {after})")
            continue
        expected = [{COLUMNS.get((table, col), col): value for col, value in row.items()} for row in rows]
        if table == "patients_flag":  # the rule is named in words now, and the check-in is on the event
            for row in expected:
                details = row["details"] if isinstance(row["details"], dict) else json.loads(row["details"])
                details.pop("report_id", None)
                details["rule"] = details["rule"].split(": ", 1)[1].capitalize()
                row["details"] = details
            for row in new_rows[after]:
                if not isinstance(row["details"], dict):
                    row["details"] = json.loads(row["details"])
        if table == "patients_flagevent":  # an event that noted a correction now says which
            for row in [*expected, *new_rows[after]]:
                values = row["values"] if isinstance(row["values"], dict) else json.loads(row["values"])
                values.pop("correction", None)
                row["values"] = values
        if expected != new_rows[after]:
            problems.append(f"rows of {table} changed: {expected!r} != {new_rows[after]!r}")
        for name, shape in old_schema[table].items():
            kept = new_schema[after].get(NAMES.get(name, name))
            like = [s for s in new_schema[after].values() if _same(shape, s, table)]
            if name in named:  # named by the app: kept under its (new) name
                if kept is None or not _same(shape, kept, table):
                    problems.append(f"{table}: {name} is not kept as {NAMES.get(name, name)}")
            elif not like:  # named by Django: something of the same shape on the same columns
                problems.append(f"{table}: nothing like {name} {shape} is left")
    # And on to the latest migrations: what the database enforces, as the app runs today.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    latest_rows = {table: _rows(connection, table) for table in _schema(connection)}
    flag = new_rows["flags_flag"][0]
    enforced = {
        "second open flag for a reason": _refused(
            connection,
            "INSERT INTO flags_flag (patient_id, reason, urgent, status, details, opened_at, ack_due_at,"
            " last_evidence_at, outcome, resolution_note) SELECT patient_id, reason, urgent, 'open', details,"
            " opened_at, ack_due_at, last_evidence_at, '', '' FROM flags_flag WHERE id = %s",
            [flag["id"]],
        ),
        "pain over 5": _refused(connection, "UPDATE checkins_checkin SET max_pain = 9", []),
        "unknown flag reason": _refused(connection, "UPDATE flags_flag SET reason = 'other'", []),
        "event for a check-in that does not exist": _refused(
            connection, "UPDATE flags_flagevent SET checkin_id = 987654 WHERE checkin_id IS NOT NULL", []
        ),
    }
    # And back: the old layout again, every row as it was (a flag's rule stays in words).
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    back_rows = {table: _rows(connection, table) for table in _schema(connection)}
    for table, rows in old_rows.items():
        strip = {"details"} if table == "patients_flag" else {"values"} if table == "patients_flagevent" else set()
        if [{k: v for k, v in r.items() if k not in strip} for r in rows] != [
            {k: v for k, v in r.items() if k not in strip} for r in back_rows.get(table, [])
        ]:
            problems.append(f"rows of {table} are not as they were after migrating back")
    back_schema = _schema(connection)
    for table, found in old_schema.items():
        back = back_schema.get(table, {})
        for name, shape in found.items():
            if name in named and back.get(name) != shape:  # named by the app: under its own name again
                problems.append(f"after migrating back, {table} has no {name} {shape}")
            elif name not in named and shape not in back.values():  # named by Django: the same shape
                problems.append(f"after migrating back, {table} has nothing like {name} {shape}")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # and forward once more

    return {
        "problems": problems,
        "enforced": enforced,
        "rows": {table: len(rows) for table, rows in new_rows.items()},
        "rules": sorted(row["details"]["rule"] for row in new_rows["flags_flag"]),
        # Filled by a migration that came after the move: the phase each threshold decision was made for.
        "phases": sorted(row["phase"] for row in latest_rows["patients_thresholdchange"]),
        # Courses of care came later too: the patient registered before them is in one; the shipped instruments.
        "latest": {table: len(latest_rows.get(table, [])) for table in ("patients_episode", "outcomes_instrument")},
    }


def _same(old: dict, new: dict, table: str) -> bool:
    columns = sorted(COLUMNS.get((table, col), col) for col in old["columns"])
    to = old["to"] and TABLES.get(old["to"], old["to"])
    return (columns, old["kind"], to) == (new["columns"], new["kind"], new["to"])


if __name__ == "__main__":
    json.dump(run_in_child(), sys.stdout, default=str)


# --- The tests ---------------------------------------------------------------------------------


def _run(env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.rehab.test_migrations"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _check(report: dict) -> None:
    assert report["problems"] == []
    assert all(report["enforced"].values()), report["enforced"]
    for table in ("checkins_checkin", "checkins_exerciseresult", "checkins_checkincorrection", "flags_flagevent"):
        assert report["rows"][table] >= 1, table
    assert report["rows"]["flags_flag"] == 2 and report["rows"]["flags_flagevent"] == 4
    assert report["rules"] == ["More than 2 whole rest days in a row", "Pain over the patient's threshold"]
    assert report["phases"] and all(report["phases"]), report["phases"]
    assert report["latest"] == {"patients_episode": 1, "outcomes_instrument": 3}


@pytest.mark.migrations
def test_a_postgresql_database_of_the_old_layout_migrates_with_every_row(tmp_path):
    db = settings.DATABASE_ADMIN  # the role that may make databases (tests/settings.py)
    name = f"rehab_migrations_{os.getpid()}"
    server = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        # One role: the child builds and migrates its database itself (rehab/db_roles.py is not what it tests).
        env = {"DJANGO_SETTINGS_MODULE": "rehab.settings", "DEBUG": "1", "DATABASE_URL": url, "DATABASE_OWNER_URL": ""}
        _check(_run(env))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.migrations
def test_a_sqlite_demo_database_of_the_old_layout_migrates_with_every_row(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "rehab.settings",
        "DEBUG": "1",
        "DATABASE_URL": "",
        "DATABASE_OWNER_URL": "",
        "REDIS_URL": "",
        "SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "CELERY_FS_BROKER_DIR": str(tmp_path / "broker"),
    }
    _check(_run(env))
