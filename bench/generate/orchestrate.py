"""The whole load: the command's options, the database (copied from a kept migrated template while the app's
migrations are unchanged, else migrated and kept as that template), the workers simulating in parallel, then the
COPY of every table, the keys, indexes and foreign keys rebuilt, and the generation's summary in bench_meta."""

import argparse
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.common import PG_URL, PROJECT_DIR, check_db_name, configure, db_name, dsn
from bench.generate.load import detach, load_table, run_statements, table_specs
from bench.generate.network import Clinic, plan_clinics
from bench.generate.vocabulary import BENCH_PASSWORD
from bench.generate.worker import _work


def log(database: str, message: str) -> None:
    print(f"[generate {database}] {message}", flush=True)


def recreate_database(name: str, template: str | None = None) -> None:
    check_db_name(name)
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def generate(args, database: str) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from outcomes.models import Instrument
    from programs.models import Exercise

    started = time.monotonic()
    now = int(time.time()) // 60 * 60
    specs = table_specs()
    library = list(
        Exercise.objects.filter(clinic=None)
        .order_by("id")
        .values("id", "key", "sets", "reps", "hold_seconds", "rest_seconds", "harder_id")
    )
    password = make_password(BENCH_PASSWORD)
    instruments = dict(Instrument.objects.filter(clinic=None).order_by("loaded_at", "pk").values_list("key", "pk"))
    connection.close()

    clinics = plan_clinics(args.patients, args.seed)
    workers = max(1, min(args.workers, len(clinics)))
    shares: list[list[Clinic]] = [[] for _ in range(workers)]
    for clinic in sorted(clinics, key=lambda c: -c.size):
        min(shares, key=lambda share: sum(c.size for c in share)).append(clinic)
    out_dir = Path(tempfile.mkdtemp(prefix=f"{database}-", dir=args.tmp))
    try:
        log(database, f"simulating {args.patients} patients in {len(clinics)} clinics ({workers} workers)")
        jobs = [
            {
                "worker": {
                    "index": index,
                    "workers": workers,
                    "args": args,
                    "now": now,
                    "out_dir": out_dir,
                    "specs": specs,
                    "library": library,
                    "password": password,
                    "instruments": instruments,
                },
                "clinics": share,
            }
            for index, share in enumerate(shares)
        ]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_work, jobs)
        simulated = time.monotonic()
        size = sum(p.stat().st_size for p in out_dir.iterdir())
        log(database, f"simulated in {simulated - started:.0f} s ({size / 2**20:.0f} MiB); loading with COPY FREEZE")
        tables = [spec.table for spec in specs.values()]
        detached = detach(database, tables)
        order = sorted(specs, key=lambda k: -sum(p.stat().st_size for p in out_dir.glob(f"{k}.*.tsv")))
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            list(
                pool.map(
                    lambda key: load_table(database, specs[key], sorted(out_dir.glob(f"{key}.*.tsv"))),
                    order,
                )
            )
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    loaded = time.monotonic()
    log(database, f"loaded in {loaded - simulated:.0f} s; rebuilding keys, indexes and foreign keys")
    builders = max(2, os.cpu_count() or 2)
    timings: dict[str, float] = {}
    run_statements(database, detached.primary_keys, builders, timings)
    run_statements(database, detached.keys, builders, timings)
    run_statements(database, detached.foreign_keys, builders, timings)
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    log(database, "slowest: " + "; ".join(f"{t:.0f} s {s[:70]}" for s, t in slowest))
    indexed = time.monotonic()
    log(database, f"constraints rebuilt and validated in {indexed - loaded:.0f} s; analysing")
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        for table in tables:
            last = f"COALESCE((SELECT max(id) FROM {table}), 1)"
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
        conn.execute("ANALYZE")
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
        db_size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        meta = {
            "patients": args.patients,
            "seed": args.seed,
            "days": args.days,
            "workers": workers,
            "generated_at": datetime.fromtimestamp(now, UTC).isoformat(),
            "expected_rest_candidates": sum(r["expected_rest_candidates"] for r in results),
            "unevaluated_reports": sum(r["unevaluated_reports"] for r in results),
            "pending_zones": args.pending_zones,
            "counts": counts,
            "database_size": db_size,
            "seconds": {
                "simulate": round(simulated - started, 1),
                "copy": round(loaded - simulated, 1),
                "constraints": round(indexed - loaded, 1),
                "total": round(time.monotonic() - started, 1),
            },
        }
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
        conn.execute("INSERT INTO bench_meta VALUES ('generation', %s)", [json.dumps(meta)])
    log(database, f"done in {meta['seconds']['total']:.0f} s: {json.dumps(counts)}; {db_size}")
    return meta


def main(argv: list[str] | None = None) -> dict:
    import bench.generate as package  # its docstring describes the command

    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=package.__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients in the network (default 10000)")
    parser.add_argument("--db", help="database name (default rehab_bench_<size>, e.g. rehab_bench_10k)")
    parser.add_argument("--days", type=int, default=365, help="days since the network went live (default 365)")
    parser.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="simulating processes (default: the cores)"
    )
    parser.add_argument(
        "--unevaluated-every",
        type=int,
        default=1000,
        help="leave one recent report unevaluated per this many patients (default 1000)",
    )
    parser.add_argument(
        "--pending-zones",
        default="Europe/London,Europe/Dublin",
        help="time zones whose first sweep of the local day has not run yet, comma-separated, or 'all' "
        "(default: Europe/London,Europe/Dublin, the biggest UTC offset group: about a third of the clinics)",
    )
    parser.add_argument("--tmp", default=None, help="directory for the intermediate files (default: system temp)")
    args = parser.parse_args(argv)
    if args.patients < 100:
        parser.error("--patients must be at least 100")
    database = check_db_name(args.db or db_name(args.patients))
    fingerprint = migrations_fingerprint()
    if migrated_template() == fingerprint:
        log(database, f"recreating the database from {TEMPLATE_DB} (the app's migrations, already applied)")
        recreate_database(database, template=TEMPLATE_DB)
        configure(database)
    else:
        log(database, "recreating the database and migrating")
        recreate_database(database)
        configure(database)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", interactive=False, verbosity=0)
        connection.close()
        keep_as_template(database, fingerprint)
    return generate(args, database)


# An empty, migrated database kept to copy from: migrating takes minutes on a loaded machine, copying seconds. It is
# used only while the app's migrations are the ones it was made with.
TEMPLATE_DB = "rehab_bench_migrated"


def migrations_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    root = PROJECT_DIR
    for path in sorted(root.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def migrated_template() -> str | None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [TEMPLATE_DB]
        ).fetchone()
    return row[0] if row else None


def keep_as_template(database: str, fingerprint: str) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE "{database}"')
        conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")
