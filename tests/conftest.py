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
def shipped_library(transactional_db):
    """The shipped exercise library, reloaded for tests whose database is emptied between tests."""
    from programs.library import read_library, sync_library
    from programs.models import Exercise, ExerciseMuscle

    sync_library(Exercise, ExerciseMuscle, read_library())
