"""Production settings: no secret has a default, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "rehab.settings",
    "DEBUG": "0",
    "SECRET_KEY": "x" * 30 + "production-like-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "clinic.example",
    "DATABASE_URL": "postgres://rehab_app@127.0.0.1:5432/rehab",
    "DATABASE_OWNER_URL": "postgres://rehab_owner@127.0.0.1:5432/rehab",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args, env):
    dropped = {
        *PRODUCTION_ENV,
        "SECURE_SSL_REDIRECT",
        "CONN_MAX_AGE",
        "SESSION_COOKIE_AGE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "PG_PREPARE_THRESHOLD",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_app_would_own_its_tables():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_OWNER_URL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "rehab.W001" in result.stderr + result.stdout and "DATABASE_OWNER_URL is not set" in result.stderr


def test_the_owners_url_must_name_the_same_database_and_another_role():
    other_database = run_manage("check", env={**PRODUCTION_ENV, "DATABASE_OWNER_URL": "postgres://o@127.0.0.1/other"})
    assert "must name the same database" in other_database.stderr
    same_role = run_manage("check", env={**PRODUCTION_ENV, "DATABASE_OWNER_URL": PRODUCTION_ENV["DATABASE_URL"]})
    assert "must name another role" in same_role.stderr


def test_secret_key_required_in_production():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _database_options(**env):
    code = "from django.conf import settings; print(sorted(settings.DATABASES['default']['OPTIONS'].items()))"
    return run_manage("shell", "-c", code, env={**PRODUCTION_ENV, **env})


def test_prepared_statements_by_default_and_off_when_the_threshold_is_empty():
    on = _database_options()
    assert on.returncode == 0, on.stderr
    assert "('prepare_threshold', 5)" in on.stdout and "('server_side_binding', True)" in on.stdout
    off = _database_options(PG_PREPARE_THRESHOLD="")
    assert off.returncode == 0, off.stderr
    assert "prepare_threshold" not in off.stdout and "server_side_binding" not in off.stdout


def test_a_threshold_that_is_not_a_number_is_refused():
    result = _database_options(PG_PREPARE_THRESHOLD="off")
    assert result.returncode != 0
    assert "PG_PREPARE_THRESHOLD must be a whole number" in result.stderr
