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

The package, by sub-domain:

    vocabulary    the fixed vocabulary and constants: time zones, cities, names, conditions, schedules, templates
    load          the table files (COPY text format), the COPY ... FREEZE load, keys dropped then rebuilt
    network       the plan of the network (its clinics) and a clinic's local clock
    worker        one simulating process: a share of the clinics, each with its staff, templates and patients
    people        accounts, a patient's registration, threshold reviews, pauses
    prescribing   program templates, programs with their versions and exercises, flare-up plans
    history       a patient's days walked with their check-ins
    flagging      the flags the app's rules raise along that history, with their events
    care          courses of care and their outcome questionnaires
    orchestrate   the command: the database, the workers, the load, the summary
"""

from bench.generate.flagging import Flag, FlagTracker
from bench.generate.load import (
    NULL,
    TABLES,
    Detached,
    TableFile,
    TableSpec,
    cell,
    day_text,
    detach,
    esc,
    load_table,
    run_statements,
    table_specs,
    ts_text,
)
from bench.generate.network import Clinic, ClinicContext, LocalClock, plan_clinics
from bench.generate.orchestrate import (
    TEMPLATE_DB,
    generate,
    keep_as_template,
    log,
    main,
    migrated_template,
    migrations_fingerprint,
    recreate_database,
)
from bench.generate.prescribing import Version
from bench.generate.vocabulary import (
    ACTIVITY_NAMES,
    BENCH_PASSWORD,
    CITIES,
    CONDITIONS,
    DAY,
    DISCHARGE_REASONS,
    FIRST_NAMES,
    FLARE_UP_DAYS,
    FLARE_UP_PLAN_SHARE,
    FOLLOW_UP_DAYS,
    HOUR,
    LAST_NAMES,
    MIXED_OUTCOMES,
    NEVER,
    NOTES,
    PAUSE_REASONS,
    RESOLUTION_NOTES,
    SCHEDULE_WEIGHTS,
    SCHEDULES,
    STAFF_OUTCOMES,
    SYMPTOMS,
    TEMPLATES,
    TIME_ZONES,
    UNIX_EPOCH_ORDINAL,
    phone_number,
)
from bench.generate.worker import Worker

__all__ = [
    "ACTIVITY_NAMES",
    "BENCH_PASSWORD",
    "CITIES",
    "CONDITIONS",
    "DAY",
    "DISCHARGE_REASONS",
    "FIRST_NAMES",
    "FLARE_UP_DAYS",
    "FLARE_UP_PLAN_SHARE",
    "FOLLOW_UP_DAYS",
    "HOUR",
    "LAST_NAMES",
    "MIXED_OUTCOMES",
    "NEVER",
    "NOTES",
    "NULL",
    "PAUSE_REASONS",
    "RESOLUTION_NOTES",
    "SCHEDULES",
    "SCHEDULE_WEIGHTS",
    "STAFF_OUTCOMES",
    "SYMPTOMS",
    "TABLES",
    "TEMPLATES",
    "TEMPLATE_DB",
    "TIME_ZONES",
    "UNIX_EPOCH_ORDINAL",
    "Clinic",
    "ClinicContext",
    "Detached",
    "Flag",
    "FlagTracker",
    "LocalClock",
    "TableFile",
    "TableSpec",
    "Version",
    "Worker",
    "cell",
    "day_text",
    "detach",
    "esc",
    "generate",
    "keep_as_template",
    "load_table",
    "log",
    "main",
    "migrated_template",
    "migrations_fingerprint",
    "phone_number",
    "plan_clinics",
    "recreate_database",
    "run_statements",
    "table_specs",
    "ts_text",
]
