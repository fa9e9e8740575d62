"""Run every benchmark of issue 8 and write the results (bench/results.md and the table in bench/README.md).

    python -m bench.run                      # what `make bench` / bench/run.sh runs
    python -m bench.run --reuse              # keep the databases of a previous run (same sizes and seed)
    python -m bench.run --sizes 2000,5000,10000 --page-sizes 2000,10000 --duration 5   # a quick try

Steps, each in its own process (Django binds to one database per process):
  1. generate a network per size in rehab_bench_<size> (bench.generate);
  2. the sweep against its floor at every size, with the diagnostics (bench.sweep);
  3. queries per page at the page sizes (bench.queries);
  4. the pages under load at the page sizes (bench.pages);
  5. the Markdown results (bench.report).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from bench.common import PG_URL, PROJECT_DIR, RAW_DIR, REDIS_URL, db_name


def step(title: str, *args: str) -> None:
    print(f"\n== {title}", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", *args], cwd=PROJECT_DIR, check=True)  # noqa: S603
    print(f"== {title}: {time.monotonic() - started:.0f} s", flush=True)


def preflight() -> None:
    import psycopg
    import redis

    problems = []
    if not shutil.which("wrk"):
        problems.append("wrk is not installed (Debian: apt-get install wrk)")
    try:
        psycopg.connect(f"{PG_URL}/postgres", connect_timeout=5).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis is not reachable at {REDIS_URL}: {exc}")
    if problems:
        sys.exit("Cannot run the benchmarks:\n- " + "\n- ".join(problems))
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"Warning: load average {load:.2f} on {os.cpu_count()} cores: other work will skew the timings.")


def existing(db: str, patients: int, seed: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_URL}/{db}", connect_timeout=5) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'generation'").fetchone()
            applied = set(
                conn.execute("SELECT app, name FROM django_migrations WHERE app = ANY(%s)", [list(APPS)]).fetchall()
            )
    except psycopg.Error:
        return False
    meta = row[0] if row else {}
    meta = json.loads(meta) if isinstance(meta, str) else meta
    if applied != project_migrations():
        print(f"\n== {db} was made with other migrations than the code's: generating it again", flush=True)
        return False
    return meta.get("patients") == patients and meta.get("seed") == seed


APPS = ("rehab", "patients", "programs")


def project_migrations() -> set[tuple[str, str]]:
    """The app's own migrations, as django_migrations names them: a database made before a schema change
    must not be reused."""
    pattern = "[0-9][0-9][0-9][0-9]_*.py"
    return {(app, path.stem) for app in APPS for path in (PROJECT_DIR / app / "migrations").glob(pattern)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000", help="sweep sizes (default 10000,30000,100000)")
    parser.add_argument("--page-sizes", default="10000,100000", help="page and query sizes (default 10000,100000)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="keep existing databases of the same size and seed")
    parser.add_argument("--repeat", type=int, default=3, help="sweep repetitions timed per size (default 3)")
    parser.add_argument(
        "--diagnose", type=int, default=2, help="timed runs of the sweep per diagnostic variant (0: none)"
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per page (default 5)")
    parser.add_argument("--connections", type=int, default=6, help="wrk connections (default 6)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as the Dockerfile)")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    page_sizes = sorted({int(s) for s in args.page_sizes.split(",")})
    started = time.monotonic()
    preflight()
    # This run's own results start afresh; the reminder benchmark's (bench/reminders.py, run on its own) are kept.
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    for old in RAW_DIR.iterdir():
        if old.name.startswith(("sweep_", "pages_", "queries_")):
            old.unlink()

    for patients in sorted(set(sizes) | set(page_sizes)):
        db = db_name(patients)
        if args.reuse and existing(db, patients, args.seed):
            print(f"\n== reusing {db}", flush=True)
            continue
        step(f"generate {db}", "bench.generate", "--patients", str(patients), "--seed", str(args.seed))

    for patients in sizes:
        diagnose = str(args.diagnose)
        step(
            f"sweep {db_name(patients)}",
            "bench.sweep",
            "--db",
            db_name(patients),
            "--repeat",
            str(args.repeat),
            "--diagnose",
            diagnose,
        )
    for patients in page_sizes:
        step(f"queries {db_name(patients)}", "bench.queries", "--db", db_name(patients))
    for patients in page_sizes:
        step(
            f"pages {db_name(patients)}",
            "bench.pages",
            "--db",
            db_name(patients),
            "--duration",
            str(args.duration),
            "--warmup",
            str(args.warmup),
            "--connections",
            str(args.connections),
            "--workers",
            str(args.workers),
        )
    step("report", "bench.report")
    print(f"\nAll benchmarks done in {(time.monotonic() - started) / 60:.1f} minutes: see bench/results.md.")


if __name__ == "__main__":
    main()
