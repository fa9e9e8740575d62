"""Shared fixtures. The suite needs PostgreSQL and Redis: it says what to start when either is missing."""

import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

START_HINTS = {
    "PostgreSQL": (
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose up -d postgres)"
    ),
    "Redis": "redis-server --daemonize yes --port 6379 --save '' --appendonly no   (or: docker compose up -d redis)",
}


def _reachable(url: str, default_port: int) -> tuple[str, int, bool]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return host, port, True
    except OSError:
        return host, port, False


def pytest_configure(config):
    db = settings.DATABASES["default"]
    missing = []
    if "postgresql" not in db["ENGINE"]:
        missing.append("PostgreSQL (DATABASE_URL must point at PostgreSQL for the tests)")
    else:
        host, port, ok = _reachable(f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}", 5432)
        if not ok:
            missing.append(f"PostgreSQL at {host}:{port} is not reachable. Start it:\n    {START_HINTS['PostgreSQL']}")
    host, port, ok = _reachable(settings.REDIS_URL, 6379)
    if not ok:
        missing.append(f"Redis at {host}:{port} is not reachable. Start it:\n    {START_HINTS['Redis']}")
    if missing:
        raise pytest.UsageError("The test suite runs against real services.\n  " + "\n  ".join(missing))


def _make_test_roles(test_database: str) -> None:
    """The suite's owner and app roles (tests/settings.py), made or brought up to date through DATABASE_URL's role.
    A test database left by an earlier run goes to the owner, who then drops it and makes it afresh."""
    import psycopg
    from psycopg import sql

    admin, owner, app = settings.DATABASE_ADMIN, settings.DATABASE_OWNER, settings.DATABASES["default"]
    server = psycopg.conninfo.make_conninfo(
        host=admin["HOST"] or "127.0.0.1",
        port=admin["PORT"] or 5432,
        user=admin["USER"],
        password=admin["PASSWORD"] or None,
        dbname="postgres",
    )
    with psycopg.connect(server, autocommit=True) as connection:
        for role, rights in ((owner, "LOGIN CREATEDB"), (app, "LOGIN NOCREATEDB")):
            found = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role["USER"]]).fetchone()
            statement = sql.SQL("{} ROLE {} WITH " + rights + " PASSWORD {}").format(
                sql.SQL("ALTER" if found else "CREATE"), sql.Identifier(role["USER"]), sql.Literal(role["PASSWORD"])
            )
            connection.execute(statement)
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [test_database]).fetchone():
            connection.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(test_database), sql.Identifier(owner["USER"])
                )
            )


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's own, with the test database made, migrated and dropped by the owner's role: the tests then
    connect as the app's role, which owns no table (tests/settings.py, rehab/db_roles.py)."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from rehab import db_roles

    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock():
        if settings.TEST_ROLES_MADE_BY_SUITE:
            _make_test_roles(connection.creation._get_test_db_name())
        with db_roles.as_owner():
            db_cfg = setup_databases(
                verbosity=request.config.option.verbose,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=django_db_keepdb and not django_db_createdb,
            )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), db_roles.as_owner():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture
def clinic(db):
    from tests.factories import ClinicFactory

    return ClinicFactory(name="Northside Physio", time_zone="Europe/London")


@pytest.fixture
def physio(clinic):
    from tests.factories import PhysioFactory

    return PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan", email="alex@northside.example")


@pytest.fixture
def clinic_admin(clinic):
    from tests.factories import ClinicAdminFactory

    return ClinicAdminFactory(clinic=clinic, first_name="Jo", last_name="Reyes", email="jo@northside.example")


@pytest.fixture
def patient(physio):
    from tests.factories import make_patient

    return make_patient(physio=physio, first_name="Maria", last_name="Lopez", email="maria@example.com")


@pytest.fixture
def library(db):
    """The shipped library by key: loaded by the data migration, reloaded if a test emptied the tables."""
    from programs.library import read_library, sync_library
    from programs.models import Exercise, ExerciseMuscle

    if not Exercise.objects.filter(clinic=None).exists():
        sync_library(Exercise, ExerciseMuscle, read_library())
    return {e.key: e for e in Exercise.objects.filter(clinic=None).select_related("easier", "harder")}


@pytest.fixture
def draft(patient, physio):
    """A new program of the patient's, being built: its first version, a draft with no exercise yet."""
    from programs.services import program_create

    program = program_create(
        patient=patient,
        created_by=physio,
        title="Early-stage program",
        start_date=patient.clinic.local_today(),
        weekdays=[0, 2, 4],
    )
    return program.versions.get()


@pytest.fixture
def active(patient, physio, library):
    """An active program for the patient that started ten days ago, with two exercises."""
    from datetime import timedelta

    from programs.services import program_activate, program_create
    from tests.helpers import add_exercises

    today = patient.clinic.local_today()
    program = program_create(patient=patient, created_by=physio, title="Program", start_date=today, weekdays=[0, 2, 4])
    version = program.versions.get()
    add_exercises(version, library, "dead-bug", "clamshell")
    program_activate(version=version, activated_by=physio)
    # Its history: a program is put in force from today on, and this one has been in force ten days.
    type(version).objects.filter(pk=version.pk).update(start_date=today - timedelta(days=10))
    version.refresh_from_db()
    return version


@pytest.fixture
def shipped_library(transactional_db):
    """The shipped exercise library, reloaded for tests whose database is emptied between tests."""
    from programs.library import read_library, sync_library
    from programs.models import Exercise, ExerciseMuscle

    sync_library(Exercise, ExerciseMuscle, read_library())


@pytest.fixture
def shipped_instruments(transactional_db):
    """The shipped outcome instruments, reloaded for tests whose database is emptied between tests."""
    from outcomes.instruments import shipped, sync_instrument
    from outcomes.models import Instrument

    for data in shipped():
        sync_instrument(Instrument, data)


@pytest.fixture
def licensed(clinic):
    """The instruments the app scores but does not ship the wording of (ODI, RMDQ, STarT Back), loaded for the clinic
    from the licensed templates with placeholder wording, as a clinic holding the licences would load its copy."""
    from tests.helpers import load_licensed

    return load_licensed(clinic)


class PrivateBroker:
    """A Redis server of the test's own on a spare port, to stop and start without touching the shared one."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        import subprocess
        import time

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("The private Redis server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _use_broker(url: str) -> None:
    from kombu import pools

    from rehab.celery import app

    app.conf.broker_url = url
    pools.reset()  # kombu keeps one pool per broker address, process-wide
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_broker():
    """Point Celery at a private Redis for this test; the test may stop and restart it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broker = PrivateBroker(port)
    broker.start()
    _use_broker(broker.url)
    try:
        yield broker
    finally:
        broker.stop()
        _use_broker(settings.CELERY_BROKER_URL)
