"""The tables the generator fills, written as tab-separated files in COPY's text format by each worker, then loaded
with COPY ... FREEZE after their keys, indexes and foreign keys are dropped; those are rebuilt after the load, which
validates every constraint of the app against the generated data."""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors

from bench.common import dsn
from bench.generate.vocabulary import DAY, UNIX_EPOCH_ORDINAL

NULL = "\\N"

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

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


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
            sys.exit(f"{meta.db_table} has no column {unknown}: update bench/generate/load.py to the app's models.")
        tail_columns, tail_values = [], []
        for column, f in fields.items():
            if column in columns or f.null or f.primary_key:
                continue
            if f.has_default():
                default = f.get_default()
            elif f.blank and isinstance(f, CharField):  # a text the app leaves empty unless told (a draft's "prepared")
                default = ""
            else:
                sys.exit(f"{meta.db_table}.{column} is required and has no default: teach bench/generate/load.py.")
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
