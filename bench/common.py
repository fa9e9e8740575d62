"""What every benchmark step shares: database names, the environment for Django, small helpers.

Each step runs in its own process because Django binds to one database at start-up: the steps set
DATABASE_URL from --db before importing Django (see `configure`).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RAW_DIR = BENCH_DIR / "results" / "raw"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
DB_PREFIX = "rehab_bench"


def size_label(patients: int) -> str:
    """10000 -> '10k', 2500 -> '2500'."""
    return f"{patients // 1000}k" if patients % 1000 == 0 else str(patients)


def db_name(patients: int) -> str:
    return f"{DB_PREFIX}_{size_label(patients)}"


def check_db_name(name: str) -> str:
    if not name.startswith(DB_PREFIX + "_") or not name.replace("_", "").isalnum():
        sys.exit(f"Refusing to use database {name!r}: the benchmarks only touch databases named {DB_PREFIX}_*.")
    return name


def dsn(name: str) -> str:
    return f"{PG_URL}/{check_db_name(name)}"


def bench_env(db: str) -> dict[str, str]:
    """The environment of a production-settings process on the bench database (see bench/settings.py)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=dsn(db),
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        STATIC_ROOT=env.get("STATIC_ROOT", str(Path(tempfile.gettempdir()) / "rehab-bench-static")),
        LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"),
        PYTHONPATH=str(PROJECT_DIR),
    )
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    return env


def configure(db: str) -> None:
    """Point this process at a bench database with the production settings, then start Django."""
    os.environ.update(bench_env(db))
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def collect_static(db: str) -> None:
    """The production settings serve static files through whitenoise's manifest, which collectstatic writes:
    every step that renders pages runs this first (quick when nothing changed)."""
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=bench_env(db),
        check=True,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def write_raw(name: str, data: dict) -> Path:
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    path = RAW_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def read_raw(name: str) -> dict | None:
    path = RAW_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None
