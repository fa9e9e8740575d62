"""Load a synthetic clinic network into a rehab_bench_* database, quickly (COPY ... FREEZE).

    python -m bench.generate --patients 10000           # -> database rehab_bench_10k (dropped and rebuilt)
    python -m bench.generate --patients 100000 --seed 8

The network: clinics of 100-300 patients in nine time zones, physiotherapists with caseloads of about 30,
one or two clinic admins per clinic, three program templates per clinic. Patients are in every condition
phase; most have an active program (some revised once or twice, some replacing an earlier program, a few
with a revision being drafted, some not started yet), a few have only a draft or nothing yet; some had a
pause, a few are paused today. The app went live `--days` days ago (default 365): a long-term patient
onboarded then has a year of check-ins. Check-ins follow each program's schedule with the patient's
adherence, short breaks, lapses (patients who stopped reporting), pain that settles over the weeks with
flare-ups, sharp pain, rare warning symptoms, notes and corrections.

Every patient is in a course of care opened when they were registered; some were discharged (their program ended
then, their open flags closed as discharged). Each course of care has its outcome questionnaires: at the start,
every four weeks, at discharge, most answered (activities and pain improving, never worse by the difference that
matters, so no "outcome worse" flag), the next follow-up planned.

Flags are what the app's rules (flags.rules.checkin_findings and rest_finding) raised from that history,
with their events, the staff acknowledging and resolving them, escalations, alerts and rest digests. The
state is "just before the first sweep of the local day": patients who crossed their clinic's rest limit
today are not flagged yet (that is the sweep's work), and about one recent report per 1,000 patients still
waits for its evaluation (a lost task).

How it is fast: one worker process per core simulates a share of the clinics (ids are interleaved between
workers) and writes tab-separated files; then every table is loaded with one COPY ... FREEZE (no vacuum
needed afterwards) with its keys, indexes and foreign keys dropped, and those are rebuilt, which validates
every constraint of the app against the generated data.
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import errors as pg_errors

from bench.common import PG_URL, check_db_name, configure, db_name, dsn

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic accounts in a throw-away database

TIME_ZONES = [
    ("Europe/London", 30),
    ("Europe/Dublin", 6),
    ("Europe/Paris", 12),
    ("Europe/Berlin", 12),
    ("Europe/Madrid", 8),
    ("America/New_York", 12),
    ("America/Chicago", 8),
    ("America/Los_Angeles", 6),
    ("Australia/Sydney", 6),
]
CITIES = {
    "Europe/London": ["London", "Leeds", "Bristol", "Manchester", "Norwich"],
    "Europe/Dublin": ["Dublin", "Cork", "Galway"],
    "Europe/Paris": ["Paris", "Lyon", "Nantes", "Lille"],
    "Europe/Berlin": ["Berlin", "Hamburg", "Cologne", "Leipzig"],
    "Europe/Madrid": ["Madrid", "Valencia", "Seville"],
    "America/New_York": ["Boston", "Brooklyn", "Philadelphia", "Atlanta"],
    "America/Chicago": ["Chicago", "Austin", "Minneapolis"],
    "America/Los_Angeles": ["Seattle", "Portland", "Oakland"],
    "Australia/Sydney": ["Sydney", "Newcastle", "Wollongong"],
}
FIRST_NAMES = [
    *("Maria", "Tom", "Aisha", "Peter", "Lena", "David", "Grace", "Omar", "Sofia", "James", "Chloe", "Ravi"),
    *("Hannah", "Lucas", "Emma", "Noah", "Mia", "Liam", "Zara", "Ethan", "Isla", "Mateo", "Amara", "Oscar"),
    *("Freya", "Kai", "Leila", "Hugo", "Nora", "Felix", "Ines", "Arjun", "Elif", "Jonas", "Yara", "Samuel"),
]
LAST_NAMES = [
    *("Lopez", "Becker", "Khan", "Novak", "Schmidt", "Okafor", "Lee", "Haddad", "Rossi", "Murphy", "Dubois"),
    *("Patel", "Nowak", "Silva", "Jensen", "Kowalski", "Moreau", "Fischer", "Garcia", "Brown", "Walsh", "Sato"),
    *("Costa", "Ahmed", "Larsen", "Meyer", "Byrne", "Santos", "Klein", "Young", "Hughes", "Mensah"),
]
CONDITIONS = [
    "Low-back strain after lifting; stiff in the mornings.",
    "Mechanical low-back pain after a long drive, no pain into the legs.",
    "Recurring lower-back ache since returning to desk work.",
    "Lumbar disc irritation with pain into the right buttock, improving.",
    "Left-sided lower-back pain after a running injury.",
    "Long-standing low-back pain; wants to return to gardening.",
    "Chronic low-back stiffness with reduced hip mobility.",
    "Back pain after an old fall; flare-ups a few times a year.",
]
NOTES = [
    "Felt a twinge getting up afterwards.",
    "Easier than last week.",
    "Did the session in the evening, stiff before, better after.",
    "Skipped the last set, tired.",
    "Back felt tight after a long day at the desk.",
    "Good session, no problems.",
]
PAUSE_REASONS = ["Holiday", "Flu", "Work travel", "Family matters", "Minor surgery (unrelated)"]
TEMPLATES = [
    ("Core basics", ["pelvic-tilt", "dead-bug", "clamshell", "glute-bridge"]),
    ("Hip and core", ["adductor-ball-squeeze", "clamshell", "bird-dog", "side-plank-knees"]),
    ("Lateral stability", ["side-plank-knees", "standing-hip-abduction", "cat-cow", "bridge-march"]),
]
# (weekdays, sessions a week, weight): the schedules physiotherapists set (0 = Monday).
SCHEDULES = [
    ([0, 2, 4], None, 40),
    ([1, 3, 5], None, 15),
    ([0, 2, 4, 6], None, 10),
    ([0, 1, 3, 5], None, 10),
    ([0, 1, 2, 3, 4], None, 5),
    ([], 3, 12),
    ([], 4, 8),
]
SCHEDULE_WEIGHTS = [w for *_, w in SCHEDULES]
STAFF_OUTCOMES = ["contacted_patient"] * 10 + ["program_changed"] * 4 + ["no_action"] * 5 + ["referred"]
RESOLUTION_NOTES = ["", "", "Called the patient, plan unchanged.", "Adjusted the dose at the next visit.", ""]
SYMPTOMS = ("bladder_bowel", "saddle_numbness", "leg_weakness")
MIXED_OUTCOMES = ["done"] * 80 + ["partly"] * 14 + ["skipped"] * 6
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
NULL = "\\N"
DAY = 86400
HOUR = 3600
NEVER = 10**9

# The tables the generator fills, with the columns it supplies (the others get the model's default).
TABLES = {
    "clinic": (
        "rehab.Clinic",
        "id name time_zone created_at ack_hours progression_percent rest_days_allowed urgent_ack_minutes",
    ),
    "user": (
        "rehab.User",
        "id password last_login is_superuser first_name last_name is_staff is_active date_joined email role clinic_id",
    ),
    "patient": (
        "patients.Patient",
        "id date_of_birth onset_date condition pain_threshold created_at updated_at clinic_id physiotherapist_id "
        "user_id phone",
    ),
    "threshold": (
        "patients.ThresholdChange",
        "id previous_value value reason changed_at changed_by_id patient_id phase",
    ),
    "pause": (
        "patients.Pause",
        "id starts_on ends_on reason created_at resumed_on created_by_id patient_id resumed_by_id",
    ),
    "flag": (
        "flags.Flag",
        "id reason urgent status details opened_at ack_due_at last_evidence_at acknowledged_at resolved_at outcome "
        "resolution_note notified_at digest_sent_at escalated_at acknowledged_by_id patient_id resolved_by_id",
    ),
    "event": ("flags.FlagEvent", "id kind at checkin_id values note by_id flag_id"),
    "program": ("programs.Program", "id title status created_at ended_at created_by_id patient_id"),
    "version": (
        "programs.ProgramVersion",
        "id weekdays sessions_per_week number status start_date change_note progression_reason created_at "
        "activated_at superseded_at activated_by_id based_on_id created_by_id program_id kind",
    ),
    "item": (
        "programs.ProgramExercise",
        "id sets reps hold_seconds rest_seconds position notes derived_from_id exercise_id version_id",
    ),
    "report": (
        "checkins.CheckIn",
        "id session_date max_pain pain_now sharp_pain bladder_bowel saddle_numbness leg_weakness note "
        "idempotency_key submitted_at corrected_at evaluated_at patient_id version_id",
    ),
    "result": ("checkins.ExerciseResult", "id outcome item_id checkin_id"),
    "correction": ("checkins.CheckInCorrection", "id previous corrected_at checkin_id"),
    "template": (
        "programs.ProgramTemplate",
        "id weekdays sessions_per_week name description created_at clinic_id created_by_id",
    ),
    "template_item": (
        "programs.TemplateExercise",
        "id sets reps hold_seconds rest_seconds position notes exercise_id template_id",
    ),
    "episode": (
        "patients.Episode",
        "id referral_date referrer condition onset_date opened_at discharged_on discharged_at discharge_reason "
        "discharge_note self_management_advice clinic_id discharged_by_id opened_by_id patient_id physiotherapist_id",
    ),
    "questionnaire": (
        "outcomes.Questionnaire",
        "id timepoint due_on status created_at completed_at clinic_id episode_id patient_id",
    ),
    "measurement": (
        "outcomes.Measurement",
        "id position answers score subscores category instrument_id questionnaire_id",
    ),
    "flare_up": (
        "programs.FlareUp",
        "id started_at starts_on planned_last_day last_day plan_rest_days ended_at answer answer_note answered_at "
        "ended_by_id patient_id plan_id usual_id",
    ),
}
FLARE_UP_PLAN_SHARE = 0.08  # programs in force with a flare-up plan kept ready
FLARE_UP_DAYS = 7
# Courses of care: how they end, and the outcome measures asked (the default schedule of a clinic that has not chosen).
DISCHARGE_REASONS = ["goals_met"] * 45 + ["self_managing"] * 25 + ["stopped_attending"] * 15 + ["referred_on"] * 8
DISCHARGE_REASONS += ["other"] * 7
FOLLOW_UP_DAYS = 28
ACTIVITY_NAMES = ["Putting on socks", "Gardening", "Sitting at my desk", "Lifting my child", "Running", "Driving"]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def phone_number(pid: int) -> str:
    """Nine patients in ten gave a phone number: UK numbers from the range kept for drama (07700 900000-900999),
    never anyone's, in E.164 form as the app stores them."""
    return "" if pid % 10 == 3 else f"+447700900{pid % 1000:03d}"


def esc(text: str) -> str:
    """A value for COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def cell(value) -> str:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return esc(value)
    return str(value)


_DAY_TEXT: dict[int, str] = {}
_SECOND_TEXT = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]


def ts_text(ts: int) -> str:
    """UTC epoch seconds as a timestamptz literal, fast (one date conversion per day)."""
    day, sec = divmod(ts, DAY)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = date.fromordinal(day + UNIX_EPOCH_ORDINAL).isoformat()
    return text + _SECOND_TEXT[sec]


_DATE_TEXT: dict[int, str] = {}


def day_text(ordinal: int) -> str:
    text = _DATE_TEXT.get(ordinal)
    if text is None:
        text = _DATE_TEXT[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


class LocalClock:
    """Local wall-clock times of one clinic as UTC epoch seconds, with the UTC offset cached per day and hour."""

    def __init__(self, time_zone: str):
        self.tz = ZoneInfo(time_zone)
        self._offsets: dict[tuple[int, int], int] = {}

    def ts(self, day: int, minute: int) -> int:
        hour = minute // 60
        offset = self._offsets.get((day, hour))
        if offset is None:
            d = date.fromordinal(day)
            offset = int(datetime(d.year, d.month, d.day, hour, tzinfo=self.tz).utcoffset().total_seconds())
            self._offsets[(day, hour)] = offset
        return (day - UNIX_EPOCH_ORDINAL) * DAY + minute * 60 - offset

    def day_of(self, ts: int) -> int:
        """The local date (ordinal) of a UTC epoch second."""
        day = ts // DAY + UNIX_EPOCH_ORDINAL
        offset = (day - UNIX_EPOCH_ORDINAL) * DAY + 12 * HOUR - self.ts(day, 12 * 60)
        return (ts + offset) // DAY + UNIX_EPOCH_ORDINAL


# --- Table files ------------------------------------------------------------------------------------


@dataclass
class TableSpec:
    table: str
    columns: list[str]
    tail: str  # "\t"-prefixed defaults of the columns the generator does not supply


def table_specs() -> dict[str, TableSpec]:
    """Columns per table; a required field the generator does not know gets its model default, so that a
    field added to the app later does not break the load (and a required field without a default stops it)."""
    from django.apps import apps
    from django.db.models import CharField, JSONField

    specs = {}
    for key, (label, columns) in TABLES.items():
        meta = apps.get_model(label)._meta
        columns = columns.split()
        fields = {f.column: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            sys.exit(f"{meta.db_table} has no column {unknown}: update bench/generate.py to the app's models.")
        tail_columns, tail_values = [], []
        for column, f in fields.items():
            if column in columns or f.null or f.primary_key:
                continue
            if f.has_default():
                default = f.get_default()
            elif f.blank and isinstance(f, CharField):  # a text the app leaves empty unless told (a draft's "prepared")
                default = ""
            else:
                sys.exit(f"{meta.db_table}.{column} is required and has no default: teach bench/generate.py.")
            tail_columns.append(column)
            tail_values.append(esc(json.dumps(default)) if isinstance(f, JSONField) else cell(default))
        specs[key] = TableSpec(meta.db_table, columns + tail_columns, "".join("\t" + v for v in tail_values))
    return specs


class TableFile:
    """One worker's rows of one table, in COPY text format."""

    def __init__(self, path: Path, tail: str):
        self.path = path
        self.tail = tail
        self._file = path.open("w", encoding="utf-8", buffering=1 << 20)

    def write(self, text: str) -> None:
        """Pre-formatted lines; each must end with self.tail and a newline."""
        self._file.write(text)

    def row(self, *values) -> None:
        self._file.write("\t".join(map(cell, values)) + self.tail + "\n")

    def close(self) -> None:
        self._file.close()


def load_table(database: str, spec: TableSpec, paths: list[Path]) -> None:
    """COPY the workers' files into the (emptied) table in one transaction, frozen: no vacuum needed after."""
    names = ", ".join(f'"{c}"' for c in spec.columns)
    with psycopg.connect(dsn(database)) as conn:
        conn.execute(f"TRUNCATE {spec.table}")  # FREEZE needs the table emptied in this transaction
        with conn.cursor().copy(f"COPY {spec.table} ({names}) FROM STDIN WITH (FREEZE)") as copy:
            for path in paths:
                with path.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)


# --- Constraints and indexes: dropped for the load, rebuilt (and so validated) after it ------------


@dataclass
class Detached:
    primary_keys: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # unique constraints and plain indexes
    foreign_keys: list[str] = field(default_factory=list)


def detach(database: str, tables: list[str]) -> Detached:
    """Drop the indexes and key constraints of `tables` and every foreign key that touches them."""
    out = Detached()
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        constraints = conn.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE (c.contype = 'f' AND (c.conrelid = ANY(%(t)s::regclass[]) OR c.confrelid = ANY(%(t)s::regclass[])))
               OR (c.contype IN ('p', 'u', 'x') AND c.conrelid = ANY(%(t)s::regclass[]))
            ORDER BY c.contype = 'f' DESC
            """,
            {"t": tables},
        ).fetchall()
        indexes = conn.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%(t)s::regclass[])
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
              )
            """,
            {"t": tables},
        ).fetchall()
        for table, name, kind, definition in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            statement = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            {"f": out.foreign_keys, "p": out.primary_keys}.get(kind, out.keys).append(statement)
        for name, definition in indexes:
            conn.execute(f"DROP INDEX {name}")
            out.keys.append(definition)
    # The biggest tables first, so that the two builders finish together.
    big = ("exerciseresult", "checkins_checkin", "flagevent", "flags_flag")
    for statements in (out.primary_keys, out.keys):
        statements.sort(key=lambda s: next((i for i, name in enumerate(big) if name in s), len(big)))
    return out


def run_statements(database: str, statements: list[str], workers: int, timings: dict | None = None) -> None:
    def run(statement: str) -> None:
        for attempt in range(5):
            try:
                with psycopg.connect(dsn(database), autocommit=True) as conn:
                    conn.execute("SET maintenance_work_mem = '512MB'")
                    started = time.monotonic()
                    conn.execute(statement)
                    if timings is not None:
                        timings[statement] = time.monotonic() - started
                return
            except pg_errors.DeadlockDetected:
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"Gave up after deadlocks: {statement}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, statements))


# --- The network -----------------------------------------------------------------------------------


@dataclass
class Clinic:
    id: int
    name: str
    time_zone: str
    rest_days_allowed: int
    ack_hours: int
    urgent_ack_minutes: int
    size: int


@dataclass
class Version:
    id: int
    start: int
    weekdays: frozenset
    sessions_per_week: int | None
    items: list  # item ids
    done_lines: list  # "done\t<item>\t" per item, for the common all-done result rows


class Flag:
    """A flag being simulated; turned into a row and its events when the patient is done."""

    __slots__ = (
        "id",
        "reason",
        "urgent",
        "opened",
        "ack_due",
        "details",
        "raised_values",
        "report_id",
        "evidence",
        "last_evidence",
        "notified",
        "ack_at",
        "ack_by",
        "resolve_at",
        "resolve_by",
        "outcome",
        "note",
    )

    def __init__(self, fid, reason, urgent, opened, ack_due, details, raised_values, report_id=None):
        self.id, self.reason, self.urgent, self.opened, self.ack_due = fid, reason, urgent, opened, ack_due
        self.details, self.raised_values, self.report_id = details, raised_values, report_id
        self.evidence: list = []
        self.last_evidence = opened
        self.notified = self.ack_at = self.ack_by = self.resolve_at = self.resolve_by = None
        self.outcome = self.note = ""


def plan_clinics(patients: int, seed: int) -> list[Clinic]:
    rng = random.Random(seed)
    zones = [z for z, _ in TIME_ZONES]
    weights = [w for _, w in TIME_ZONES]
    clinics, remaining = [], patients
    while remaining > 0:
        size = min(remaining, rng.randint(100, 300))
        if remaining - size < 50:
            size = remaining
        remaining -= size
        number = len(clinics) + 1
        zone = rng.choices(zones, weights)[0]
        clinics.append(
            Clinic(
                id=number,
                name=f"{rng.choice(CITIES[zone])} Spine & Physio {number:04d}",
                time_zone=zone,
                rest_days_allowed=rng.choices([2, 3, 1], [80, 15, 5])[0],
                ack_hours=rng.choices([24, 48, 12], [70, 20, 10])[0],
                urgent_ack_minutes=rng.choices([60, 30], [70, 30])[0],
                size=size,
            )
        )
    return clinics


class Worker:
    """Simulates a share of the clinics and writes their rows. Worker k of n uses the ids k+1, k+1+n, ..."""

    def __init__(self, *, index, workers, args, now, out_dir, specs, library, password, instruments):
        self.index, self.workers, self.args, self.now = index, workers, args, now
        self.rng = random.Random(args.seed * 1000 + index)
        self.files = {key: TableFile(out_dir / f"{key}.{index}.tsv", spec.tail) for key, spec in specs.items()}
        self.library = library
        self.instruments = instruments  # shipped instrument ids by key
        self.by_id = {e["id"]: e for e in library}
        self.by_key = {e["key"]: e for e in library}
        self.password = password
        self._next = dict.fromkeys(specs, index + 1)
        self.stats = {"expected_rest_candidates": 0, "unevaluated_reports": 0}
        self.unevaluated_owed = 0
        from flags import rules as program_rules
        from patients import rules as patient_rules

        self.patient_rules, self.program_rules = patient_rules, program_rules

    def next_id(self, key: str) -> int:
        value = self._next[key]
        self._next[key] = value + self.workers
        return value

    def run(self, clinics: list[Clinic]) -> dict:
        for clinic in clinics:
            self.clinic(clinic)
        for f in self.files.values():
            f.close()
        return self.stats

    def user(self, clinic_id: int, role: str, email: str, joined: int) -> int:
        uid = self.next_id("user")
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        last_login = ts_text(self.now - self.rng.randint(1, 72) * HOUR) if role != "patient" else None
        self.files["user"].row(
            uid, self.password, last_login, False, first, last, False, True, ts_text(joined), email, role, clinic_id
        )
        return uid

    def clinic(self, c: Clinic) -> None:
        rng = self.rng
        clock = LocalClock(c.time_zone)
        local_now = datetime.fromtimestamp(self.now, UTC).astimezone(clock.tz)
        today = local_now.date().toordinal()
        created = clock.ts(today - self.args.days - 60, 10 * 60)
        self.files["clinic"].row(
            c.id, c.name, c.time_zone, ts_text(created), c.ack_hours, 10, c.rest_days_allowed, c.urgent_ack_minutes
        )
        admins = [f"admin{n + 1}@c{c.id:04d}.bench.example" for n in range(1 if c.size < 200 else 2)]
        for email in admins:
            self.user(c.id, "clinic_admin", email, created)
        physios = []
        for n in range(max(2, round(c.size / 30))):
            email = f"physio{n + 1}@c{c.id:04d}.bench.example"
            physios.append((self.user(c.id, "physio", email, created), json.dumps({"to": email})))
        weights = [rng.uniform(0.6, 1.4) for _ in physios]
        for name, keys in TEMPLATES:
            tid = self.next_id("template")
            weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
            self.files["template"].row(
                tid, json.dumps(weekdays), per_week, name, "", ts_text(created + DAY), c.id, physios[0][0]
            )
            for position, key in enumerate(keys, start=1):
                e = self.by_key.get(key) or self.library[position]
                dose = (e["sets"], e["reps"], e["hold_seconds"], e["rest_seconds"])
                self.files["template_item"].row(self.next_id("template_item"), *dose, position, "", e["id"], tid)
        context = ClinicContext(
            clinic=c,
            clock=clock,
            today=today,
            now_minute=local_now.hour * 60 + local_now.minute,
            today_start=clock.ts(today, 0),
            escalation_json=json.dumps({"to": admins}),
            pending=self.args.pending_zones == "all" or c.time_zone in self.args.pending_zones.split(","),
        )
        for _ in range(c.size):
            physio, email_json = rng.choices(physios, weights)[0]
            self.patient(context, physio, email_json)

    # -- programs --

    def items(self, version_id: int, exercises: list, based_on: list | None) -> tuple[list, list]:
        """Write a version's exercises; a revision copies the previous items with one step up."""
        rng = self.rng
        ids, chosen = [], []
        changed = rng.randrange(len(exercises)) if based_on else -1
        for position, exercise in enumerate(exercises, start=1):
            e, sets, derived = exercise, exercise["sets"], None
            if based_on:
                derived = based_on[position - 1]
                if position - 1 == changed:
                    harder = self.by_id.get(e["harder_id"]) if e["harder_id"] else None
                    if harder is not None and rng.random() < 0.5:
                        e, sets = harder, harder["sets"]
                    else:
                        sets = min(10, sets + 1)
            item_id = self.next_id("item")
            dose = (sets, e["reps"], e["hold_seconds"], e["rest_seconds"])
            self.files["item"].row(item_id, *dose, position, "", derived, e["id"], version_id)
            ids.append(item_id)
            chosen.append(e)
        return ids, chosen

    def program(self, ctx, patient_id, physio, *, start, end, status, created, activated, ended=None):
        """A program starting on `start`, revised now and then before `end` (a day, exclusive; None: in force).

        status is 'active', 'ended' (replaced by another program at `ended`) or 'draft'. Versions after the
        first start on the day they are put in force, early in the morning. Returns the versions in order.
        """
        rng = self.rng
        program_id = self.next_id("program")
        title = "Back exercise program" if rng.random() < 0.6 else "Back strength, stage 1"
        self.files["program"].row(
            program_id, title, status, ts_text(created), ts_text(ended) if ended else None, physio, patient_id
        )
        weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
        exercises = rng.sample(self.library, rng.randint(4, 6))
        starts = [start]
        if status != "draft":
            limit = end if end is not None else ctx.today
            day = start
            while rng.random() < (0.35 if len(starts) == 1 else 0.3):
                day += rng.randint(21, 70)
                if day >= limit:
                    break
                starts.append(day)
        activations = [activated] + [ctx.clock.ts(day, 6 * 60 + 30) for day in starts[1:]]
        versions: list[Version] = []
        previous_items = None
        for number, vstart in enumerate(starts, start=1):
            vid = self.next_id("version")
            last = number == len(starts)
            if status == "draft":
                vstatus, superseded = "draft", None
            elif last:
                vstatus, superseded = ("active", None) if status == "active" else ("superseded", ended)
            else:
                vstatus, superseded = "superseded", activations[number]
            if number > 1 and rng.random() < 0.1:
                weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
            vactivated = activations[number - 1]
            self.files["version"].row(
                vid,
                json.dumps(weekdays),
                per_week,
                number,
                vstatus,
                day_text(vstart),
                "" if number == 1 else "Stepped up one exercise.",
                "",
                ts_text(created if number == 1 else vactivated - 30 * 60),
                ts_text(vactivated) if vactivated else None,
                ts_text(superseded) if superseded else None,
                physio if vactivated else None,
                versions[-1].id if versions else None,
                physio,
                program_id,
                "program",
            )
            item_ids, exercises = self.items(vid, exercises, previous_items)
            previous_items = item_ids
            done = [f"done\t{item}\t" for item in item_ids]
            versions.append(Version(vid, vstart, frozenset(weekdays), per_week, item_ids, done))
        drafting = status == "active" and rng.random() < 0.03
        if drafting:
            # A revision being drafted next to the version in force.
            vid = self.next_id("version")
            self.files["version"].row(
                vid,
                json.dumps(weekdays),
                per_week,
                len(starts) + 1,
                "draft",
                day_text(max(ctx.today, starts[-1])),
                "",
                "",
                ts_text(self.now - rng.randint(1, 48) * HOUR),
                None,
                None,
                None,
                versions[-1].id,
                physio,
                program_id,
                "program",
            )
            self.items(vid, exercises, previous_items)
        if status == "active" and rng.random() < FLARE_UP_PLAN_SHARE:
            number = len(starts) + 1 + (1 if drafting else 0)
            self.flare_up_plan(ctx, patient_id, physio, program_id, versions[-1], exercises, created, number)
        return versions

    def flare_up_plan(self, ctx, patient_id, physio, program_id, usual: Version, exercises, created, number) -> None:
        """A flare-up plan kept ready beside the program in force (rule 18): the gentlest exercises, three days a
        week; some patients have used it, once or twice, in the last months (each time answered afterwards)."""
        rng = self.rng
        vid = self.next_id("version")
        self.files["version"].row(
            vid,
            json.dumps([0, 2, 4]),
            None,
            number,
            "aside",
            day_text(usual.start),
            "For a flare-up: the gentlest exercises, fewer of them.",
            "",
            ts_text(created + HOUR),
            None,
            None,
            None,
            None,
            physio,
            program_id,
            "flare_up",
        )
        self.items(vid, exercises[:2], None)
        day = ctx.today - rng.randint(20, 150)
        while day > usual.start and day < ctx.today - 10 and rng.random() < 0.5:
            started = ctx.clock.ts(day, 7 * 60 + rng.randint(0, 600))
            last = day + FLARE_UP_DAYS - 1
            self.files["flare_up"].row(
                self.next_id("flare_up"),
                ts_text(started),
                day_text(day),
                day_text(last),
                day_text(last),
                2,  # Friday to Monday: the longest rest of a Monday-Wednesday-Friday plan
                None,
                "better" if rng.random() < 0.7 else "same",
                "",
                ts_text(ctx.clock.ts(last + 1, 19 * 60)),
                None,
                patient_id,
                vid,
                usual.id,
            )
            day -= rng.randint(30, 90)

    # -- patients --

    def patient(self, ctx, physio: int, physio_email_json: str) -> None:
        rng = self.rng
        rules_p = self.patient_rules
        today, clock = ctx.today, ctx.clock
        go_live = today - self.args.days

        r = rng.random()
        if r < 0.15:
            onset = today - rng.randint(3, 41)  # acute
        elif r < 0.45:
            onset = today - rng.randint(42, 182)  # subacute
        else:
            onset = today - 183 - int(rng.random() ** 1.5 * 1300)  # long-term
        kind = rng.random()
        kind = "none" if kind < 0.04 else "draft" if kind < 0.06 else "active"
        registered = onset + rng.randint(1, 14)
        if registered < go_live:
            registered = go_live + int(rng.random() ** 2 * 300)
        if kind == "none":
            registered = max(onset, today - rng.randint(0, 10))
        registered = min(registered, today)
        registered_ts = min(clock.ts(registered, rng.randint(9 * 60, 17 * 60)), self.now - 3 * HOUR)
        discharge = None  # (day, moment, reason) for a patient discharged already
        if kind == "active" and today - registered > 45 and rng.random() < 0.1:
            day = registered + rng.randint(30, min(200, today - registered - 1))
            discharge = (day, min(clock.ts(day, 16 * 60), self.now - HOUR), rng.choice(DISCHARGE_REASONS))
        born = onset - rng.randint(19, 84) * 365 - rng.randint(0, 364)

        pid = self.next_id("patient")
        every = self.args.unevaluated_every
        if pid % every == every // 2:
            self.unevaluated_owed += 1
        uid = self.user(ctx.clinic.id, "patient", f"p{pid}@patients.bench.example", registered_ts)
        phase = rules_p.condition_phase(date.fromordinal(onset), date.fromordinal(registered))
        threshold = rules_p.default_threshold(phase)
        thresholds = [(registered_ts, threshold)]
        reason = rules_p.default_threshold_reason(phase)
        self.files["threshold"].row(
            self.next_id("threshold"), None, threshold, reason, ts_text(registered_ts), physio, pid, phase.value
        )
        self.decided_phase = phase.value  # the phase a later review of the threshold is recorded for
        updated = registered_ts
        condition = rng.choice(CONDITIONS)
        self.course_of_care(ctx, pid, physio, registered, registered_ts, onset, condition, discharge)
        if kind == "active":
            updated = self.simulate(
                ctx, pid, physio, physio_email_json, registered, registered_ts, thresholds, discharge=discharge
            )
        elif kind == "draft":
            start = max(registered, today - rng.randint(0, 5))
            created = registered_ts + HOUR
            self.program(ctx, pid, physio, start=start, end=None, status="draft", created=created, activated=None)
        self.files["patient"].row(
            pid,
            day_text(born),
            day_text(onset),
            condition,
            thresholds[-1][1],
            ts_text(registered_ts),
            ts_text(updated),
            ctx.clinic.id,
            physio,
            uid,
            phone_number(pid),
        )

    def simulate(
        self, ctx, pid, physio, physio_email_json, registered, registered_ts, thresholds, *, discharge=None
    ) -> int:
        """A patient with a program in force: its versions, pauses, check-ins and the flags they raised.

        Walks the days from the first program's start to today, or to the discharge of a patient discharged since
        (their program ended then, and their open flags closed as discharged). On a day the rest rule could fire,
        the first sweep after local midnight raises a rest flag (not today's sweeps: they are left to the benchmark);
        then the patient may check in, and the report is evaluated seconds later (rules 3-6, then the end of
        a rest flag). Staff acknowledge and resolve flags after a while. Returns the patient's updated_at.
        """
        rng = self.rng
        rnd = rng.random
        rules_prog = self.program_rules
        clinic, clock, now = ctx.clinic, ctx.clock, self.now
        today = ctx.today if discharge is None else discharge[0]  # the last day of the course of care
        allowed = clinic.rest_days_allowed
        ack_window = clinic.ack_hours * HOUR
        urgent_window = clinic.urgent_ack_minutes * 60
        f_report, f_result, f_correction = self.files["report"], self.files["result"], self.files["correction"]
        report_tail, result_tail = f_report.tail, f_result.tail

        # Programs: now and then an earlier one, replaced on `switch`, then the one in force.
        start = registered + rng.randint(0, 6)
        created = registered_ts + HOUR
        switch = None
        if rnd() < 0.08 and today - start > 60:
            switch = start + rng.randint(30, min(150, today - start - 30))
        old = []
        if switch is not None:
            replaced = clock.ts(switch, 6 * 60 + 30)
            old = self.program(
                ctx,
                pid,
                physio,
                start=start,
                end=switch,
                status="ended",
                created=created,
                activated=created + 1800,
                ended=replaced,
            )
            created = clock.ts(switch - 1, 15 * 60)
            start = switch
            activated = replaced
        else:
            activated = created + 1800
        if discharge is None:
            new = self.program(
                ctx, pid, physio, start=start, end=None, status="active", created=created, activated=activated
            )
        else:
            day, moment, _reason = discharge
            new = self.program(
                ctx,
                pid,
                physio,
                start=start,
                end=day + 1,
                status="ended",
                created=created,
                activated=activated,
                ended=moment,
            )
        updated = registered_ts
        change_day = start + rng.randint(10, 60)
        if rnd() < 0.15 and change_day < today:
            changed = clock.ts(change_day, 14 * 60)
            previous = thresholds[-1][1]
            value = min(4, previous + 1) if rnd() < 0.7 else max(0, previous - 1)
            if value != previous:
                thresholds.append((changed, value))
                updated = changed
                self.files["threshold"].row(
                    self.next_id("threshold"),
                    previous,
                    value,
                    "Reviewed at the follow-up appointment.",
                    ts_text(changed),
                    physio,
                    pid,
                    self.decided_phase,
                )

        # Pauses: a past one now and then, a few patients paused today.
        pauses = []  # (starts_on, ends_on, resumed_on)
        new_start = new[0].start
        if rnd() < 0.08 and today - new_start > 40:
            s = rng.randint(new_start + 14, today - 20)
            length = rng.randint(5, 14)
            resumed = s + rng.randint(1, length - 1) if rnd() < 0.2 else None
            pauses.append((s, s + length - 1, resumed))
        if rnd() < 0.02 and today - new_start > 10:
            s = today - rng.randint(0, 7)
            if not pauses or pauses[-1][1] < s - 1:
                pauses.append((s, today + rng.randint(0, 14), None))
        if rnd() < 0.01 and today - new_start > 30 and not pauses:
            # A planned pause cancelled before it began (pause_resume sets resumed_on = starts_on).
            s = rng.randint(new_start + 7, today - 3)
            pauses.append((s, s + rng.randint(3, 10), s))
        for s, e, resumed in pauses:
            self.files["pause"].row(
                self.next_id("pause"),
                day_text(s),
                day_text(e),
                rng.choice(PAUSE_REASONS),
                ts_text(clock.ts(s - 1, 12 * 60)),
                day_text(resumed) if resumed else None,
                physio,
                pid,
                physio if resumed else None,
            )

        # How this patient behaves.
        adherence = 0.55 + 0.43 * rnd() ** 0.6
        lapse = today - rng.randint(3, 60) if rnd() < 0.07 and today - new_start > 20 else None
        if lapse is not None and lapse <= new_start + 7:
            lapse = None
        pain_start, pain_end = 1.0 + 2.2 * rnd(), 1.3 * rnd()
        tau = 30 + 70 * rnd()
        first_day = old[0].start if old else new_start
        report_end = lapse - 1 if lapse is not None else today
        if discharge is not None:
            report_end = min(report_end, today - 1)  # the discharge comes in the afternoon, before any session

        opened: dict[str, Flag] = {}
        finished: list[Flag] = []
        state = {"last_report": None}

        def paused(day: int) -> bool:
            return any(s <= day <= e and (r is None or r > day) for s, e, r in pauses)

        def last_session(day: int, program_start: int) -> int:
            """The sweep's: Greatest(Coalesce(last report, start), Coalesce(last pause end, start), start), where
            a pause cancelled before it began (resumed_on <= starts_on) is no pause."""
            last_pause = None
            for s, e, r in pauses:
                if s <= day and (r is None or r > s):
                    end = min(e, r) if r is not None else e
                    last_pause = end if last_pause is None else max(last_pause, end)
            last_report = state["last_report"]
            return max(
                last_report if last_report is not None else program_start,
                last_pause if last_pause is not None else program_start,
                program_start,
            )

        def open_rest(at: int, day: int, program_start: int) -> None:
            """Rule 7 as the sweep applies it on local day `day`."""
            last = last_session(day, program_start)
            if paused(day) or program_start > day or last > day - (allowed + 2):
                return
            # A rest flag staff resolved after the cutoff day counts like a session (local days, as the app).
            if state.get("rest_resolved_at", -1) >= clock.ts(day - (allowed + 1), 0):
                return
            finding = rules_prog.rest_finding(
                last_session=date.fromordinal(last),
                today=date.fromordinal(day),
                paused=False,
                rest_days_allowed=allowed,
            )
            details = json.dumps({"rule": finding.rule, "explanation": finding.explanation, "values": finding.values})
            values = json.dumps({"explanation": finding.explanation, **finding.values})
            flag = Flag(self.next_id("flag"), "rest", False, at, at + ack_window, details, values)
            if rnd() < 0.3:
                flag.ack_at, flag.ack_by = at + rng.randint(2, 20) * HOUR, physio
            if rnd() < 0.12:
                flag.resolve_at, flag.resolve_by = at + rng.randint(26, 72) * HOUR, physio
                flag.outcome, flag.note = "contacted_patient", "Called: back on track from tomorrow."
            opened["rest"] = flag

        def advance(until: int, program_start: int) -> None:
            """Staff resolutions due by `until`; a resolved rest flag holds off the next one (see open_rest)."""
            for reason in list(opened):
                flag = opened[reason]
                if flag.resolve_at is not None and flag.resolve_at <= until:
                    finished.append(flag)
                    del opened[reason]
                    if reason == "rest":
                        state["rest_resolved_at"] = flag.resolve_at

        def next_check(day: int, program_start: int) -> int:
            """The next day the sweep may act: the rest limit, or the day staff resolve the open rest flag."""
            if pauses:
                return day + 1  # the slow path, a few patients
            rest = opened.get("rest")
            if rest is not None:
                return clock.day_of(rest.resolve_at) if rest.resolve_at is not None else NEVER
            return last_session(day, program_start) + allowed + 2

        recent: list[int] = []
        break_until = flare_until = -1
        check_from = first_day
        for day in range(first_day, today + 1):
            # The first sweep of the local day, just after midnight (today's has not run yet).
            program = old if old and day <= switch else new
            program_start = program[0].start
            if day >= check_from and (day < today or not ctx.pending) and program_start <= day:
                if not paused(day):
                    sweep_at = clock.ts(day, 5 + int(rnd() * 10))
                    advance(sweep_at, program_start)
                    if "rest" not in opened and last_session(day, program_start) <= day - (allowed + 2):
                        open_rest(sweep_at, day, program_start)
                check_from = next_check(day, program_start)

            # The day's session, if any (after 07:00, so under the program in force by then).
            if day > report_end or day <= break_until:
                continue
            program = old if old and day < switch else new
            if day < program[0].start or (pauses and paused(day)):
                continue
            if rnd() < 0.006:
                break_until = day + 2 + int(rnd() * 8)
                continue
            version = program[0]
            for candidate in program[1:]:
                if candidate.start <= day:
                    version = candidate
            weekdays = version.weekdays
            planned = (day - 1) % 7 in weekdays if weekdays else rnd() < version.sessions_per_week / 7
            if rnd() >= (adherence if planned else 0.03):
                continue
            minute = 420 + int(rnd() * 871)
            if day == today and minute > ctx.now_minute - 5:
                continue
            submitted = clock.ts(day, minute)
            advance(submitted, program_start)

            # The report.
            if rnd() < 0.01:
                flare_until = day + 2 + int(rnd() * 5)
            base = pain_end + (pain_start - pain_end) * math.exp((first_day - day) / tau)
            if day <= flare_until:
                base += 1.4
            max_pain = min(5, max(0, int(base + rng.gauss(0, 0.65) + 0.5)))
            pain_now = max(0, max_pain - (0, 1, 1, 2)[int(rnd() * 4)])
            sharp = rnd() < (0.12 if max_pain >= 4 else 0.015)
            symptom = SYMPTOMS[int(rnd() * 3)] if rnd() < 0.0006 else None
            note = NOTES[int(rnd() * len(NOTES))] if rnd() < 0.1 else ""
            rid = self.next_id("report")
            recent.append(max_pain)
            del recent[:-3]
            state["last_report"] = day
            evaluated = submitted + 1 + int(rnd() * 20)
            corrected = None
            if rnd() < 0.004 and submitted + 6 * HOUR < now:
                corrected = submitted + rng.randint(5, 300) * 60
                evaluated = corrected + rng.randint(1, 20)
                previous = {
                    "session_date": day_text(day),
                    "max_pain": max(0, max_pain - 1),
                    "pain_now": pain_now,
                    "sharp_pain": sharp,
                    "bladder_bowel": False,
                    "saddle_numbness": False,
                    "leg_weakness": False,
                    "note": note,
                    "outcomes": {str(item): "done" for item in version.items},
                }
                f_correction.row(self.next_id("correction"), json.dumps(previous), ts_text(corrected), rid)
            lost = self.unevaluated_owed > 0 and now - DAY < submitted < now - 10 * 60 and corrected is None
            if lost:
                self.unevaluated_owed -= 1
                self.stats["unevaluated_reports"] += 1
            uuid_int = rng.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
            f_report.write(
                f"{rid}\t{day_text(day)}\t{max_pain}\t{pain_now}\t{'t' if sharp else 'f'}"
                f"\t{'t' if symptom == 'bladder_bowel' else 'f'}\t{'t' if symptom == 'saddle_numbness' else 'f'}"
                f"\t{'t' if symptom == 'leg_weakness' else 'f'}\t{note}\t{uuid_int:032x}\t{ts_text(submitted)}"
                f"\t{ts_text(corrected) if corrected else NULL}\t{NULL if lost else ts_text(evaluated)}"
                f"\t{pid}\t{version.id}{report_tail}\n"
            )
            # Result ids derive from the report's (a version has at most 8 exercises): no sequence call per row.
            end = f"{rid}{result_tail}\n"
            first = rid * 8
            if rnd() < (0.3 if max_pain >= 4 else 0.8):
                f_result.write("".join(f"{first + i}\t{line}{end}" for i, line in enumerate(version.done_lines)))
            else:
                f_result.write(
                    "".join(
                        f"{first + i}\t{MIXED_OUTCOMES[int(rnd() * 100)]}\t{item}\t{end}"
                        for i, item in enumerate(version.items)
                    )
                )
            if lost:
                check_from = next_check(day, program_start)
                continue  # its evaluation was lost: no flags from it yet, and an open rest flag stays open

            # Its evaluation: rules 3-6, then the end of an open rest flag.
            threshold = thresholds[0][1]
            for changed_at, value in thresholds:
                if changed_at <= evaluated:
                    threshold = value
            if max_pain > threshold or sharp or symptom:
                findings = rules_prog.checkin_findings(
                    max_pain=max_pain,
                    pain_now=pain_now,
                    sharp_pain=sharp,
                    symptoms={name: name == symptom for name in SYMPTOMS},
                    threshold=threshold,
                    recent_pains=list(recent),
                    session_date=date.fromordinal(day),
                )
                for finding in findings:
                    values = json.dumps({"explanation": finding.explanation, **finding.values})
                    flag = opened.get(finding.reason)
                    if flag is not None:
                        flag.evidence.append((evaluated, rid, values))
                        flag.last_evidence = evaluated
                        continue
                    urgent = finding.urgent
                    details = json.dumps(
                        {
                            "rule": finding.rule,
                            "explanation": finding.explanation,
                            "values": finding.values,
                            "report_id": rid,
                        }
                    )
                    due = evaluated + (urgent_window if urgent else ack_window)
                    flag = Flag(self.next_id("flag"), finding.reason, urgent, evaluated, due, details, values, rid)
                    flag.notified = evaluated + rng.randint(2, 40)
                    flag.ack_at = evaluated + (rng.randint(5, 50) * 60 if urgent else rng.randint(1, 30) * HOUR)
                    flag.ack_by = flag.resolve_by = physio
                    flag.resolve_at = flag.ack_at + rng.randint(1, 72) * HOUR
                    flag.outcome = "referred" if urgent else rng.choice(STAFF_OUTCOMES)
                    flag.note = rng.choice(RESOLUTION_NOTES)
                    opened[finding.reason] = flag
            rest = opened.pop("rest", None)
            if rest is not None:
                rest.resolve_at, rest.resolve_by, rest.outcome = evaluated, None, "patient_reported"
                rest.note = (
                    f"Closed automatically: the patient reported a session on {date.fromordinal(day):%d %b %Y} "
                    f"(report {rid})."
                )
                finished.append(rest)
            check_from = next_check(day, program_start)

        program_start = new[0].start
        if discharge is not None:  # every flag still open closes at the discharge
            day, moment, reason = discharge
            advance(moment, program_start)
            for flag in opened.values():
                flag.resolve_at, flag.resolve_by, flag.outcome = moment, physio, "discharged"
                flag.note = f"Closed at discharge: {reason.replace('_', ' ')}."
            for flag in finished + list(opened.values()):
                self.write_flag(ctx, pid, flag, physio_email_json)
            return updated
        # Now: would the sweep's rest rule flag this patient? (In a pending clinic: today's sweeps have not run.)
        advance(now, program_start)
        if (
            "rest" not in opened
            and program_start <= today
            and not paused(today)
            and last_session(today, program_start) <= today - (allowed + 2)
        ):
            self.stats["expected_rest_candidates"] += 1
        for flag in finished + list(opened.values()):
            self.write_flag(ctx, pid, flag, physio_email_json)
        return updated

    def course_of_care(self, ctx, pid, physio, registered, registered_ts, onset, condition, discharge) -> None:
        """The patient's course of care (its id is the patient's: one each) and its outcome questionnaires: the
        intake, a follow-up every four weeks, the discharge questionnaire, as outcomes.services would have asked
        them, most answered; an open course of care has its next follow-up planned."""
        rng, now, clock = self.rng, self.now, ctx.clock
        discharged_on, discharged_at, reason = discharge if discharge is not None else (None, None, "")
        advice = "Keep exercising twice a week." if discharge is not None else ""
        self.files["episode"].row(
            pid,
            day_text(registered),
            "",
            condition,
            day_text(onset),
            ts_text(registered_ts),
            day_text(discharged_on) if discharged_on else None,
            ts_text(discharged_at) if discharged_at else None,
            reason,
            "",
            advice,
            ctx.clinic.id,
            physio if discharge is not None else None,
            physio,
            pid,
            physio if discharge is not None else None,
        )
        last = discharged_on if discharged_on is not None else ctx.today
        pain, activities = rng.randint(3, 8), rng.uniform(1.5, 5)
        names = rng.sample(ACTIVITY_NAMES, rng.randint(1, 3))
        # The intake, then each follow-up whose day has come (the last one due may still wait for its answers).
        days = list(range(registered, last + 1, FOLLOW_UP_DAYS))
        for number, day in enumerate(days):
            timepoint = "intake" if number == 0 else "follow_up"
            answered = rng.random() < (0.85 if number == 0 else 0.65)
            moment = clock.ts(day, rng.randint(18 * 60, 21 * 60)) if number else registered_ts + HOUR
            open_now = discharge is None and number == len(days) - 1
            if moment >= now or (discharge is not None and moment >= discharged_at):
                answered = False
            status = "completed" if answered else "due" if open_now or number == 0 and discharge is None else "expired"
            # Better as the weeks go on, now and then a little worse, never by the difference that matters (2).
            pain = min(10, max(0, pain - rng.choice((0, 1, 1, 2)) + (1 if rng.random() < 0.15 else 0)))
            activities = min(10, activities + rng.uniform(-0.5, 1.5))
            self.questionnaire(ctx, pid, physio, timepoint, day, status, moment, names, pain, activities, first=number)
        if discharge is None:  # the next follow-up, planned
            self.files["questionnaire"].row(
                self.next_id("questionnaire"),
                "follow_up",
                day_text(days[-1] + FOLLOW_UP_DAYS),
                "scheduled",
                ts_text(min(now, clock.ts(days[-1], 8 * 60))),
                None,
                ctx.clinic.id,
                pid,
                pid,
            )
        else:
            answered = rng.random() < 0.6
            moment = min(now - 60, discharged_at + rng.randint(1, 48) * HOUR)
            self.questionnaire(
                ctx,
                pid,
                physio,
                "discharge",
                discharged_on,
                "completed" if answered else "due",
                moment,
                names,
                max(0, pain - 1),
                min(10, activities + 1),
                first=1,
                change=rng.choice((1, 2, 2, 3)),
            )

    def questionnaire(
        self, ctx, pid, physio, timepoint, day, status, moment, names, pain, activities, *, first, change=None
    ):
        """One questionnaire with its measures: the activities (named at the start) and the pain rating, and the
        rating of change at discharge; scored when answered."""
        qid = self.next_id("questionnaire")
        completed = status == "completed"
        self.files["questionnaire"].row(
            qid,
            timepoint,
            day_text(day),
            status,
            ts_text(min(moment, self.now) if timepoint != "intake" else moment - HOUR),
            ts_text(moment) if completed else None,
            ctx.clinic.id,
            pid,
            pid,
        )
        ratings = [max(0, min(10, round(activities + self.rng.uniform(-1, 1)))) for _ in names]
        psfs = {f"activity-{i}": r for i, r in enumerate(ratings, start=1)}
        if first == 0:
            psfs = {"activities": names, **psfs}
        measures = [
            ("psfs", psfs, f"{sum(ratings) / len(ratings):.2f}"),
            ("pain-week", {"pain": pain}, f"{pain}.00"),
        ]
        if change is not None:
            measures.append(("grc", {"change": change}, f"{change}.00"))
        for position, (key, answers, score) in enumerate(measures, start=1):
            self.files["measurement"].row(
                self.next_id("measurement"),
                position,
                json.dumps(answers if completed else {}),
                score if completed else None,
                "{}",
                "",
                self.instruments[key],
                qid,
            )

    def write_flag(self, ctx, pid: int, flag: Flag, physio_email_json: str) -> None:
        """The flag's row and its events, in time order, as the services would have written them."""
        rng, now = self.rng, self.now
        resolved = flag.resolve_at is not None and flag.resolve_at <= now
        end = flag.resolve_at if resolved else now
        ack_at, ack_by = (flag.ack_at, flag.ack_by) if flag.ack_at is not None and flag.ack_at <= end else (None, None)
        events = [(flag.opened, "raised", flag.report_id, flag.raised_values, "", None)]
        events += [(at, "evidence", rid, values, "", None) for at, rid, values in flag.evidence]
        notified = flag.notified if flag.notified is not None and flag.notified <= now else None
        if notified is not None:
            events.append((notified, "notified", None, physio_email_json, "", None))
        escalated = None
        if flag.ack_due <= now and (ack_at is None or ack_at > flag.ack_due) and (not resolved or end > flag.ack_due):
            escalated = flag.ack_due + rng.randint(0, 299)
            events.append((escalated, "escalated", None, ctx.escalation_json, "", None))
        if resolved and flag.resolve_by is not None and ack_at is None:
            ack_at, ack_by = flag.resolve_at, flag.resolve_by  # resolving an open flag acknowledges it too
        if ack_at is not None:
            events.append((ack_at, "acknowledged", None, "{}", "", ack_by))
        digest = None
        if flag.reason == "rest":
            seven = flag.opened // DAY * DAY + 7 * HOUR
            if seven <= flag.opened:
                seven += DAY
            if seven <= now and (not resolved or end > seven):
                digest = seven + rng.randint(1, 30)
                events.append((digest, "notified", None, physio_email_json[:-1] + ', "digest": true}', "", None))
        if resolved:
            outcome = json.dumps({"outcome": flag.outcome})
            events.append((flag.resolve_at, "resolved", None, outcome, flag.note, flag.resolve_by))
        status = "resolved" if resolved else "acknowledged" if ack_at is not None else "open"
        self.files["flag"].write(
            f"{flag.id}\t{flag.reason}\t{'t' if flag.urgent else 'f'}\t{status}\t{esc(flag.details)}"
            f"\t{ts_text(flag.opened)}\t{ts_text(flag.ack_due)}\t{ts_text(flag.last_evidence)}"
            f"\t{NULL if ack_at is None else ts_text(ack_at)}\t{ts_text(flag.resolve_at) if resolved else NULL}"
            f"\t{flag.outcome if resolved else ''}\t{esc(flag.note) if resolved else ''}"
            f"\t{NULL if notified is None else ts_text(notified)}\t{NULL if digest is None else ts_text(digest)}"
            f"\t{NULL if escalated is None else ts_text(escalated)}\t{NULL if ack_by is None else ack_by}\t{pid}"
            f"\t{flag.resolve_by if resolved and flag.resolve_by is not None else NULL}{self.files['flag'].tail}\n"
        )
        fid, tail = flag.id, self.files["event"].tail
        events.sort(key=lambda e: e[0])
        self.files["event"].write(
            "".join(
                f"{self.next_id('event')}\t{kind}\t{ts_text(at)}\t{NULL if rid is None else rid}\t{esc(values)}"
                f"\t{esc(note)}\t{NULL if by is None else by}\t{fid}{tail}\n"
                for at, kind, rid, values, note, by in events
            )
        )


@dataclass
class ClinicContext:
    clinic: Clinic
    clock: LocalClock
    today: int  # local date (ordinal) when the data was generated
    now_minute: int  # local minute of the day then
    today_start: int  # UTC epoch seconds of today's local midnight
    escalation_json: str
    pending: bool  # today's first sweep has not run yet in this clinic (its rest flags are the sweep's work)


def _work(job) -> dict:
    worker = Worker(**job["worker"])
    return worker.run(job["clinics"])


# --- The whole load --------------------------------------------------------------------------------


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    root = Path(__file__).resolve().parent.parent
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


if __name__ == "__main__":
    main()
