"""Sweep benchmark: the full periodic sweep against its floor, in the same process, on the same data.

    python -m bench.sweep --db rehab_bench_10k [--repeat 5]

The sweep is flags.services.flags_sweep(now=...): the reports whose evaluation was lost are evaluated
(report by report, as the app does), then rule 7 raises a rest flag for every patient who rested too long.
The floor is one hand-written SQL statement that selects the patients rule 7 flags, all time zones at
once. Each repetition times the floor, then the sweep, checks that the sweep flagged exactly the floor's
patients, and puts the data back as it was (the flags and events the sweep wrote are deleted, the flags
it changed restored, the reports it evaluated marked unevaluated again), so that every repetition does the
same work. The report is the median of --repeat repetitions after one warm-up.

With --diagnose N, the sweep is also timed N times with each change recommended in bench/README.md swapped
in (bench/proposals.py, inside this process only). Each must flag the same patients.
"""

import argparse
import json
import statistics
import time

from bench.common import RAW_DIR, configure, median, size_label, write_raw

FLOOR_SQL = """
WITH candidates AS MATERIALIZED (  -- rule 7 without the last test, which then reads only these patients' flags
    SELECT p.id, GREATEST(COALESCE(r.last, s.start), COALESCE(pz.last, s.start), s.start) AS last_session,
           d.today, c.rest_days_allowed, c.time_zone
    FROM patients_patient p
    JOIN rehab_clinic c ON c.id = p.clinic_id
    CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE c.time_zone)::date AS today) d
    JOIN LATERAL (
        SELECT min(v.start_date) AS start
        FROM programs_program pr
        JOIN programs_programversion v ON v.program_id = pr.id
        WHERE pr.patient_id = p.id AND pr.status = 'active' AND v.activated_at IS NOT NULL
    ) s ON s.start <= d.today
    LEFT JOIN LATERAL (
        SELECT max(r.session_date) AS last FROM checkins_checkin r WHERE r.patient_id = p.id
    ) r ON true
    LEFT JOIN LATERAL (
        SELECT max(LEAST(pa.ends_on, COALESCE(pa.resumed_on, pa.ends_on))) AS last
        FROM patients_pause pa
        WHERE pa.patient_id = p.id AND pa.starts_on <= d.today
          AND (pa.resumed_on IS NULL OR pa.resumed_on > pa.starts_on)  -- a pause cancelled before it began is none
    ) pz ON true
    WHERE GREATEST(COALESCE(r.last, s.start), COALESCE(pz.last, s.start), s.start)
          <= d.today - (c.rest_days_allowed + 2)
      AND NOT EXISTS (
          SELECT 1 FROM patients_pause pa
          WHERE pa.patient_id = p.id AND pa.starts_on <= d.today AND pa.ends_on >= d.today
            AND (pa.resumed_on IS NULL OR pa.resumed_on > d.today)
      )
      AND NOT EXISTS (
          SELECT 1 FROM flags_flag f WHERE f.patient_id = p.id AND f.reason = 'rest' AND f.status <> 'resolved'
      )
)
SELECT x.id, x.last_session
FROM candidates x
WHERE NOT EXISTS (  -- a rest flag staff resolved after the cutoff day (the clinic's day) counts like a session
    SELECT 1 FROM flags_flag f
    WHERE f.patient_id = x.id AND f.reason = 'rest' AND f.resolved_by_id IS NOT NULL
      AND f.resolved_at >= (x.today - (x.rest_days_allowed + 1))::timestamp AT TIME ZONE x.time_zone
)
"""


class QueryMeter:
    """Counts the queries Django sends and the time they take (execute_wrapper: negligible overhead)."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class SweepBench:
    def __init__(self, now):
        from django.db import connection
        from django.db.models import Max

        from checkins.models import CheckIn as SessionReport
        from flags.models import Flag, FlagEvent
        from flags.services import sweep as services

        self.connection, self.services, self.now = connection, services, now
        self.lost = list(
            SessionReport.objects.filter(evaluated_at__isnull=True, submitted_at__lte=now - services.UNEVALUATED_GRACE)
            .order_by("submitted_at")
            .values_list("pk", "patient_id")[: services.UNEVALUATED_BATCH]
        )
        patients = {patient_id for _, patient_id in self.lost}
        # The flags the evaluations may change (new evidence, a rest flag closed), to put back afterwards.
        self.flag_fields = [f.attname for f in Flag._meta.concrete_fields if not f.primary_key]
        self.flags_before = list(Flag.objects.filter(patient_id__in=patients))
        self.max_flag = Flag.objects.aggregate(m=Max("pk"))["m"] or 0
        self.max_event = FlagEvent.objects.aggregate(m=Max("pk"))["m"] or 0

    def floor(self) -> tuple[float, set[int]]:
        with self.connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL, {"now": self.now})
            rows = cursor.fetchall()
            elapsed = time.perf_counter() - started
        return elapsed, {patient_id for patient_id, _ in rows}

    def sweep(self) -> dict:
        """flags_sweep, timed as a whole, with its two parts timed too (by wrapping them where it calls them)."""
        services = self.services
        parts = {}

        def timed(name, function):
            def wrapper(**kwargs):
                started = time.perf_counter()
                try:
                    return function(**kwargs)
                finally:
                    parts[name] = time.perf_counter() - started

            return wrapper

        originals = services.flags_evaluate_missed, services.flags_sweep_rest
        services.flags_evaluate_missed = timed("evaluate", originals[0])
        services.flags_sweep_rest = timed("rest", originals[1])
        meter = QueryMeter()
        try:
            with self.connection.execute_wrapper(meter):
                started = time.perf_counter()
                result = services.flags_sweep(now=self.now)
                elapsed = time.perf_counter() - started
        finally:
            services.flags_evaluate_missed, services.flags_sweep_rest = originals
        return {
            "seconds": elapsed,
            "evaluate_seconds": parts.get("evaluate", 0.0),
            "rest_seconds": parts.get("rest", 0.0),
            "queries": meter.queries,
            "sql_seconds": meter.seconds,
            "result": result,
        }

    def raised(self) -> set[int]:
        from flags.models import Flag

        return set(
            Flag.objects.filter(pk__gt=self.max_flag, reason="rest", opened_at=self.now).values_list(
                "patient_id", flat=True
            )
        )

    def reset(self) -> None:
        from checkins.models import CheckIn as SessionReport
        from flags.models import Flag
        from rehab.db import BULK_BATCH

        with self.connection.cursor() as cursor:
            cursor.execute("DELETE FROM flags_flagevent WHERE id > %s", [self.max_event])
            cursor.execute("DELETE FROM flags_flag WHERE id > %s", [self.max_flag])
        if self.flags_before:
            # In batches, as the app writes (rehab.db.BULK_BATCH): one statement for every flag would pass
            # PostgreSQL's limit of 65,535 parameters.
            Flag.objects.bulk_update(self.flags_before, self.flag_fields, batch_size=BULK_BATCH)
        SessionReport.objects.filter(pk__in=[pk for pk, _ in self.lost]).update(evaluated_at=None)
        with self.connection.cursor() as cursor:
            cursor.execute("VACUUM flags_flag, flags_flagevent, checkins_checkin")


def diagnose(bench: "SweepBench", expected: set[int], repeat: int) -> dict:
    """The sweep with each recommended change in place (bench/proposals.py), same data, same reset."""
    from bench import proposals

    services = bench.services
    batched = ("flags_evaluate_missed", proposals.evaluate_missed_in_one_transaction(services.flags_evaluate_missed))
    variants = {"one_transaction": [batched]}
    out = {}
    for name, patches in variants.items():
        originals = [(attribute, getattr(services, attribute)) for attribute, _ in patches]
        for attribute, replacement in patches:
            setattr(services, attribute, replacement)
        runs, same = [], True
        try:
            for _ in range(repeat):  # the main rounds warmed the caches
                try:
                    sweep = bench.sweep()
                    same = same and bench.raised() == expected
                finally:
                    bench.reset()  # also after a failing variant: the next run starts from the same data
                runs.append(sweep)
        finally:
            for attribute, original in originals:
                setattr(services, attribute, original)
        out[name] = {
            "sweep_ms": median([r["seconds"] for r in runs]) * 1000,
            "rest_ms": median([r["rest_seconds"] for r in runs]) * 1000,
            "evaluate_ms": median([r["evaluate_seconds"] for r in runs]) * 1000,
            "queries": runs[-1]["queries"],
            "same_patients": same,
        }
        print(f"[sweep diagnose] {name}: sweep {out[name]['sweep_ms']:.0f} ms, same patients: {same}", flush=True)
    return out


def explain(connection, sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(db: str, repeat: int, warmup: int, diagnose_repeat: int = 0) -> dict:
    configure(db)
    import redis
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from rehab.models import Clinic

    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE key = 'generation'")
        meta = cursor.fetchone()[0]
        meta = json.loads(meta) if isinstance(meta, str) else meta
    now = timezone.now().replace(microsecond=0)
    bench = SweepBench(now)
    groups = Clinic.objects.values_list("time_zone", "rest_days_allowed").distinct().order_by().count()
    floors, sweeps, mismatches = [], [], []
    for round_ in range(warmup + repeat):
        floor_seconds, expected = bench.floor()
        try:
            sweep = bench.sweep()
            raised = bench.raised()
        finally:
            bench.reset()  # even when the sweep fails: the database must keep its lost evaluations
        if raised != expected:
            mismatches.append(
                {"round": round_, "only_sweep": len(raised - expected), "only_floor": len(expected - raised)}
            )
        if round_ >= warmup:
            floors.append(floor_seconds)
            sweeps.append(sweep)
        print(
            f"[sweep {db}] round {round_ + 1}/{warmup + repeat}{' (warm-up)' if round_ < warmup else ''}: "
            f"floor {floor_seconds * 1000:.0f} ms ({len(expected)} patients), sweep {sweep['seconds'] * 1000:.0f} ms "
            f"(evaluated {sweep['result']['evaluated']}, rest flags {sweep['result']['rest_flags']}, "
            f"{sweep['queries']} queries)",
            flush=True,
        )
    # The flag alerts the evaluations queued (nothing consumes them here).
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()

    floor_ms = median(floors) * 1000
    sweep_ms = median([s["seconds"] for s in sweeps]) * 1000
    plan = explain(connection, FLOOR_SQL, {"now": now})
    diagnostics = diagnose(bench, expected, diagnose_repeat) if diagnose_repeat else {}
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    result = {
        "db": db,
        "patients": meta["patients"],
        "generation": meta,
        "now": now.isoformat(),
        "groups": groups,
        "candidates": len(expected),
        "unevaluated": len(bench.lost),
        "floor_ms": floor_ms,
        "sweep_ms": sweep_ms,
        "ratio": sweep_ms / floor_ms,
        "evaluate_ms": median([s["evaluate_seconds"] for s in sweeps]) * 1000,
        "rest_ms": median([s["rest_seconds"] for s in sweeps]) * 1000,
        "sql_ms": median([s["sql_seconds"] for s in sweeps]) * 1000,
        "queries": statistics.mode([s["queries"] for s in sweeps]),
        "floor_runs_ms": [round(f * 1000, 1) for f in floors],
        "sweep_runs_ms": [round(s["seconds"] * 1000, 1) for s in sweeps],
        "rest_flags": sweeps[-1]["result"]["rest_flags"],
        "evaluated": sweeps[-1]["result"]["evaluated"],
        "mismatches": mismatches,
        "diagnostics": diagnostics,
    }
    write_raw(f"sweep_{size_label(meta['patients'])}", result)
    (RAW_DIR / f"sweep_{size_label(meta['patients'])}_floor_plan.txt").write_text(plan + "\n")
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database made by bench.generate, e.g. rehab_bench_10k")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed repetitions first (default 1)")
    parser.add_argument(
        "--diagnose",
        type=int,
        default=0,
        metavar="N",
        help="also time N repetitions of the sweep with each change of bench/proposals.py (default 0: no)",
    )
    args = parser.parse_args(argv)
    result = run(args.db, args.repeat, args.warmup, args.diagnose)
    print(
        f"[sweep {args.db}] floor {result['floor_ms']:.0f} ms, sweep {result['sweep_ms']:.0f} ms "
        f"(evaluate {result['evaluate_ms']:.0f} ms + rest rule {result['rest_ms']:.0f} ms), "
        f"ratio {result['ratio']:.2f}; {result['candidates']} patients flagged, {result['queries']} queries"
        + (f"; MISMATCH {result['mismatches']}" if result["mismatches"] else ""),
        flush=True,
    )
    return result


if __name__ == "__main__":
    main()
