"""Reminder run benchmark: the set-based selection of the session reminders and nudges due, against a hand-written SQL
floor selecting the same patients, on the same data, in the same process.

    python -m bench.reminders --db rehab_bench_rem_100k [--patients 100000] [--repeat 5]

Runs alone: when the database is missing it is made (migrated, then filled by plain SQL with the tables the run
reads: clinics of 100 patients in nine time zones, patients in a course of care, a few discharged, programs of every
kind of schedule started up to half a year ago, three weeks of check-ins at each patient's own adherence, some lapsed,
pauses, open rest flags, reminder settings with times all over the day). Only databases named rehab_bench_rem_* are
touched, so as not to meet the other benchmarks' data.

The moment measured is the busiest: one at which every time zone is past 18:00 is impossible, so the run is timed at
every hour of one UTC day and the report gives, per size, the median over the hours of each hour's median of
--repeat repetitions (after one warm-up), for the ORM selection (reminders.selectors, what the beat tasks run) and
the floor; each repetition checks that both selected exactly the same patients.
"""

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import PG_URL, configure, median, write_raw

PREFIX = "rehab_bench_rem_"
ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]
CLINIC_SIZE = 100
SCHEDULES = [("[0, 2, 4]", None), ("[1, 3, 5]", None), ("[0, 3]", None), ("[]", 3), ("[0, 1, 2, 3, 4]", None)]

# The session reminders due in one time zone: the same patients as reminders.selectors.due_session_reminders.
SESSION_FLOOR = """
SELECT p.id
FROM patients_patient p
JOIN rehab_clinic c ON c.id = p.clinic_id AND c.time_zone = %(zone)s
JOIN rehab_user u ON u.id = p.user_id AND u.is_active
LEFT JOIN reminders_remindersettings s ON s.patient_id = p.id
JOIN LATERAL (
    SELECT v.weekdays::text AS weekdays, v.sessions_per_week
    FROM programs_program pr JOIN programs_programversion v ON v.program_id = pr.id
    WHERE pr.patient_id = p.id AND pr.status = 'active' AND v.status = 'active'
) v ON true
LEFT JOIN LATERAL (
    SELECT pv.weekdays::text AS weekdays, pv.sessions_per_week
    FROM programs_flareup f
    JOIN programs_programversion pv ON pv.id = f.plan_id
    JOIN programs_program pp ON pp.id = pv.program_id AND pp.status = 'active'
    WHERE f.patient_id = p.id AND f.starts_on <= %(today)s AND f.last_day >= %(today)s
    ORDER BY f.started_at DESC, f.id DESC LIMIT 1
) fl ON true
WHERE CASE WHEN s.id IS NULL THEN %(default_due)s AND u.email <> ''
           ELSE s.sessions AND s.time <= %(local_time)s AND s.email AND u.email <> '' END
  AND EXISTS (SELECT 1 FROM patients_episode e WHERE e.patient_id = p.id AND e.discharged_at IS NULL)
  AND EXISTS (
      SELECT 1 FROM programs_program pr JOIN programs_programversion v ON v.program_id = pr.id
      WHERE pr.patient_id = p.id AND pr.status = 'active' AND v.activated_at IS NOT NULL AND v.start_date <= %(today)s
  )
  AND NOT EXISTS (
      SELECT 1 FROM patients_pause pa WHERE pa.patient_id = p.id AND pa.starts_on <= %(today)s
        AND pa.ends_on >= %(today)s AND (pa.resumed_on IS NULL OR pa.resumed_on > %(today)s)
  )
  AND NOT EXISTS (SELECT 1 FROM checkins_checkin ci WHERE ci.patient_id = p.id AND ci.session_date = %(today)s)
  AND NOT EXISTS (
      SELECT 1 FROM reminders_remindersent r
      WHERE r.patient_id = p.id AND r.kind = 'session' AND r.local_date = %(today)s
  )
  AND CASE WHEN COALESCE(fl.weekdays, v.weekdays) = '[]'
           THEN COALESCE(fl.sessions_per_week, v.sessions_per_week, 0) > (
               SELECT count(DISTINCT ci.session_date) FROM checkins_checkin ci
               WHERE ci.patient_id = p.id AND ci.session_date BETWEEN %(week_start)s AND %(today)s)
           ELSE COALESCE(fl.weekdays, v.weekdays) LIKE %(weekday)s END
"""

# The nudges due in one time zone: the same patients as reminders.selectors.due_nudges (flare-ups aside: the
# generated data has none, and the floor leaves out what the data cannot need).
NUDGE_FLOOR = """
SELECT p.id, x.last_session
FROM patients_patient p
JOIN rehab_clinic c ON c.id = p.clinic_id AND c.time_zone = %(zone)s
JOIN rehab_user u ON u.id = p.user_id AND u.is_active
LEFT JOIN reminders_remindersettings s ON s.patient_id = p.id
JOIN LATERAL (SELECT max(ci.session_date) AS last FROM checkins_checkin ci WHERE ci.patient_id = p.id) ci ON true
JOIN LATERAL (
    SELECT min(v.start_date) AS start FROM programs_program pr JOIN programs_programversion v ON v.program_id = pr.id
    WHERE pr.patient_id = p.id AND pr.status = 'active' AND v.activated_at IS NOT NULL
) st ON st.start <= %(today)s
LEFT JOIN LATERAL (
    SELECT max(LEAST(pa.ends_on, COALESCE(pa.resumed_on, pa.ends_on))) AS last FROM patients_pause pa
    WHERE pa.patient_id = p.id AND pa.starts_on <= %(today)s AND (pa.resumed_on IS NULL OR pa.resumed_on > pa.starts_on)
) pz ON true
CROSS JOIN LATERAL (SELECT GREATEST(ci.last, pz.last, st.start) AS last_session) x
WHERE CASE WHEN s.id IS NULL THEN %(default_due)s AND u.email <> ''
           ELSE s.nudges AND s.time <= %(local_time)s AND s.email AND u.email <> '' END
  AND COALESCE(ci.last, '0001-01-01') <= %(today)s - 2
  AND %(today)s - x.last_session = c.rest_days_allowed + 1
  AND EXISTS (SELECT 1 FROM patients_episode e WHERE e.patient_id = p.id AND e.discharged_at IS NULL)
  AND NOT EXISTS (
      SELECT 1 FROM patients_pause pa WHERE pa.patient_id = p.id AND pa.starts_on <= %(tomorrow)s
        AND pa.ends_on >= %(today)s AND (pa.resumed_on IS NULL OR pa.resumed_on > %(today)s)
  )
  AND NOT EXISTS (
      SELECT 1 FROM flags_flag f WHERE f.patient_id = p.id AND f.reason = 'rest'
        AND (f.status <> 'resolved' OR f.rest_since >= x.last_session)
  )
  AND NOT EXISTS (
      SELECT 1 FROM reminders_remindersent r WHERE r.patient_id = p.id AND r.kind = 'nudge'
        AND (r.local_date = %(today)s OR r.rest_since = x.last_session)
  )
"""


def fill(patients: int) -> list[str]:
    """The statements that fill a freshly migrated database (plain SQL, set-based)."""
    clinics = max(1, patients // CLINIC_SIZE)
    zones = "ARRAY[" + ", ".join(f"'{zone}'" for zone in ZONES) + "]"
    schedules = "ARRAY[" + ", ".join(f"'{weekdays}'" for weekdays, _ in SCHEDULES) + "]"
    per_week = "ARRAY[" + ", ".join("NULL" if n is None else str(n) for _, n in SCHEDULES) + "]::int[]"
    return [
        f"""INSERT INTO rehab_clinic (name, time_zone, created_at, ack_hours, progression_percent, rest_days_allowed,
            urgent_ack_minutes, require_two_factor, phone, ease_off_percent, flare_up_days, progress_min_adherence,
            progress_min_days, progress_min_sessions)
        SELECT 'Bench clinic ' || g, ({zones})[1 + g % {len(ZONES)}], now(), 24, 10, 2 + (g % 5 = 0)::int, 60, false,
            '', 25, 3, 80, 14, 6
        FROM generate_series(1, {clinics}) g""",
        """INSERT INTO rehab_user (password, is_superuser, first_name, last_name, is_staff, is_active, date_joined,
            email, role, clinic_id)
        SELECT '!', false, 'Physio', 'P' || c.id, false, true, now(), 'physio' || c.id || '@bench.example', 'physio',
            c.id
        FROM rehab_clinic c""",
        f"""INSERT INTO rehab_user (password, is_superuser, first_name, last_name, is_staff, is_active, date_joined,
            email, role, clinic_id)
        SELECT '!', false, 'Bench', 'Patient' || g, false, true, now(), 'patient' || g || '@bench.example', 'patient',
            (SELECT min(id) FROM rehab_clinic) + g % {clinics}
        FROM generate_series(1, {patients}) g""",
        """INSERT INTO patients_patient (date_of_birth, onset_date, condition, pain_threshold, created_at, updated_at,
            clinic_id, physiotherapist_id, user_id, phone)
        SELECT DATE '1970-01-01' + (u.id % 10000)::int, current_date - 200, 'Back pain', 2, now(), now(), u.clinic_id,
            ph.id, u.id, ''
        FROM rehab_user u JOIN rehab_user ph ON ph.clinic_id = u.clinic_id AND ph.role = 'physio'
        WHERE u.role = 'patient'""",
        """INSERT INTO patients_episode (referral_date, referrer, condition, onset_date, opened_at, discharge_reason,
            discharge_note, self_management_advice, clinic_id, patient_id, discharged_at, discharged_on)
        SELECT current_date - 190, '', 'Back pain', current_date - 200, now(),
            CASE WHEN p.id % 20 = 0 THEN 'goals_met' ELSE '' END, '', '', p.clinic_id, p.id,
            CASE WHEN p.id % 20 = 0 THEN now() END, CASE WHEN p.id % 20 = 0 THEN current_date - 10 END
        FROM patients_patient p""",
        """INSERT INTO programs_program (title, status, created_at, created_by_id, patient_id)
        SELECT 'Program', CASE WHEN p.id % 20 = 0 THEN 'ended' ELSE 'active' END, now(), p.physiotherapist_id, p.id
        FROM patients_patient p WHERE p.id % 25 <> 1""",
        f"""INSERT INTO programs_programversion (weekdays, sessions_per_week, number, status, start_date, change_note,
            progression_reason, created_at, created_by_id, program_id, kind, prepared, activated_at)
        SELECT ({schedules})[1 + pr.id % {len(SCHEDULES)}]::jsonb, ({per_week})[1 + pr.id % {len(SCHEDULES)}], 1,
            CASE WHEN pr.status = 'active' THEN 'active' ELSE 'superseded' END,
            current_date - 25 - (pr.id % 150)::int + CASE WHEN pr.id % 50 = 7 THEN 30 ELSE 0 END, '', '', now(),
            pr.created_by_id, pr.id, 'program', '', now()
        FROM programs_program pr""",
        # Three weeks of check-ins at each patient's adherence (30-95%), and one patient in eight lapsed a while ago.
        """INSERT INTO checkins_checkin (session_date, max_pain, pain_now, sharp_pain, bladder_bowel, saddle_numbness,
            leg_weakness, note, idempotency_key, submitted_at, patient_id, version_id, evaluated_at)
        SELECT current_date - d, 1, 0, false, false, false, false, '', md5(v.id || '-' || d)::uuid, now(),
            pr.patient_id, v.id, now()
        FROM programs_program pr JOIN programs_programversion v ON v.program_id = pr.id
        CROSS JOIN generate_series(0, 20) d
        WHERE current_date - d >= v.start_date
          AND (pr.patient_id % 8 <> 3 OR d > 2 + pr.patient_id % 9)
          AND abs(hashtext(pr.patient_id || ':' || d)) % 100 < 30 + pr.patient_id % 66""",
        """INSERT INTO patients_pause (starts_on, ends_on, reason, created_at, created_by_id, patient_id)
        SELECT current_date - 2, current_date + 5, 'Holiday', now(), p.physiotherapist_id, p.id
        FROM patients_patient p WHERE p.id % 33 = 5""",
        """INSERT INTO flags_flag (reason, urgent, status, details, opened_at, ack_due_at, last_evidence_at, outcome,
            resolution_note, patient_id, rest_since, rest_days)
        SELECT 'rest', false, 'open', '{}', now(), now() + interval '1 day', now(), '', '', ci.patient_id, ci.last,
            current_date - ci.last - 1
        FROM (SELECT patient_id, max(session_date) AS last FROM checkins_checkin GROUP BY patient_id) ci
        WHERE ci.last <= current_date - 5""",
        """INSERT INTO reminders_remindersettings (patient_id, time, sessions, nudges, email, push, updated_at)
        SELECT p.id, time '07:00' + (p.id % 31) * interval '30 minutes', p.id % 10 <> 4, p.id % 10 <> 6,
            p.id % 17 <> 2, false, now()
        FROM patients_patient p WHERE p.id % 5 IN (1, 2)""",
        "ANALYZE",
    ]


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, **kw)  # noqa: S603 (fixed commands of this script)


def ensure_database(name: str, patients: int) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        print(f"{name}: making it ({patients} patients)", flush=True)
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {"DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": f"{PG_URL}/{name}", "DATABASE_OWNER_URL": ""}
    import os

    run([sys.executable, "manage.py", "migrate", "-v0"], env={**os.environ, **env})
    with psycopg.connect(f"{PG_URL}/{name}", autocommit=True) as conn:
        for statement in fill(patients):
            started = time.monotonic()
            conn.execute(statement)
            print(
                f"  {statement.split()[2] if statement != 'ANALYZE' else 'ANALYZE'}: "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )


def floor_params(zone) -> dict:
    from reminders import rules

    return {
        "zone": zone.name,
        "today": zone.today,
        "tomorrow": zone.today + timedelta(days=1),
        "local_time": zone.local_time,
        "default_due": zone.local_time >= rules.DEFAULT_TIME,
        "week_start": rules.week_start(zone.today),
        "weekday": f"%{zone.today.weekday()}%",
    }


def measure(now: datetime, repeat: int) -> dict:
    from django.db import connection

    from reminders import selectors

    def orm():
        zones = selectors.zones(now=now)
        sessions = {pk for zone in zones for pk in selectors.due_session_reminders(zone=zone)}
        nudges = {row for zone in zones for row in selectors.due_nudges(zone=zone)}
        return sessions, nudges

    def floor():
        zones = selectors.zones(now=now)
        sessions, nudges = set(), set()
        with connection.cursor() as cursor:
            for zone in zones:
                cursor.execute(SESSION_FLOOR, floor_params(zone))
                sessions |= {row[0] for row in cursor.fetchall()}
                cursor.execute(NUDGE_FLOOR, floor_params(zone))
                nudges |= {tuple(row) for row in cursor.fetchall()}
        return sessions, nudges

    floor(), orm()  # warm-up
    floor_ms, orm_ms = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        expected = floor()
        floor_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        got = orm()
        orm_ms.append((time.perf_counter() - started) * 1000)
        if got != expected:
            sys.exit(
                f"The run and the floor selected different patients at {now}: {len(got[0])}/{len(got[1])} "
                f"against {len(expected[0])}/{len(expected[1])}"
            )
    return {"floor_ms": median(floor_ms), "run_ms": median(orm_ms), "sessions": len(got[0]), "nudges": len(got[1])}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database, named rehab_bench_rem_*")
    parser.add_argument("--patients", type=int, help="patients when the database must be made (default: from --db)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--hours", type=int, default=24, help="UTC hours of the day timed (default 24)")
    args = parser.parse_args(argv)
    if not args.db.startswith(PREFIX) or not args.db.replace("_", "").isalnum():
        sys.exit(f"Refusing to use database {args.db!r}: this benchmark only touches databases named {PREFIX}*.")
    patients = args.patients or int(args.db.removeprefix(PREFIX).replace("k", "000"))
    ensure_database(args.db, patients)
    configure(args.db)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = []
    for hour in range(0, 24, max(1, 24 // args.hours)):
        result = measure(midnight + timedelta(hours=hour, minutes=10), args.repeat)
        hours.append({"hour": hour, **result})
        print(
            f"{args.db} {hour:02d}:10 UTC: floor {result['floor_ms']:.1f} ms, run {result['run_ms']:.1f} ms, "
            f"{result['sessions']} reminders, {result['nudges']} nudges",
            flush=True,
        )
    summary = {
        "db": args.db,
        "patients": patients,
        "floor_ms": statistics.median(h["floor_ms"] for h in hours),
        "run_ms": statistics.median(h["run_ms"] for h in hours),
        "hours": hours,
    }
    summary["ratio"] = summary["run_ms"] / summary["floor_ms"]
    print(
        f"{args.db}: floor {summary['floor_ms']:.1f} ms, run {summary['run_ms']:.1f} ms, "
        f"ratio {summary['ratio']:.2f} (median over the hours)",
        flush=True,
    )
    write_raw(f"reminders-{args.db.removeprefix(PREFIX)}", summary)
    return summary


if __name__ == "__main__":
    main()
