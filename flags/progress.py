"""Reads for progress that follows the response (docs/clinical-rules.md, rule 17): who on a physiotherapist's
caseload is ready to progress, with the evidence, in one set-based query; the same evidence for one patient when a
step up is asked for; and the versions a flag may be resolved with as "program changed".

The query is the set-based twin of flags.rules.progress_verdict: each criterion is a condition in SQL on the version
in force, with the same clinic settings, and each row carries the evidence that the rule puts in words."""

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, NullIf, TruncDate

from checkins.models import CheckIn
from patients.models import Patient, Pause, ThresholdChange
from patients.selectors import in_care, staff_clinic_id
from programs.models import Program, ProgramVersion
from programs.rules import DAYS_IN_WEEK
from programs.selectors import first_start, flare_ups_on
from rehab.db import count_of
from rehab.models import Clinic, User
from rehab.prepared import prepared

from . import rules
from .models import Flag, FlagStatus

READY_LIMIT = 25  # the dashboard lists at most this many patients ready to progress


def criteria_of(clinic: Clinic) -> rules.ProgressCriteria:
    return rules.ProgressCriteria(
        min_sessions=clinic.progress_min_sessions,
        min_days=clinic.progress_min_days,
        min_adherence=clinic.progress_min_adherence,
    )


# PlannedSevenths over the window's days, given as a list of (day, its weekday's digit as a LIKE pattern): the days in
# the window and not paused, each counting what the schedule plans for it. A VALUES list names its columns column1 and
# column2 in PostgreSQL and SQLite alike.
PLANNED_SQL = (
    "(SELECT COALESCE(SUM(CASE WHEN {weekdays} = '[]' THEN COALESCE({per_week}, 0) "  # noqa: S608
    f"WHEN {{weekdays}} LIKE window_day.column2 THEN {DAYS_IN_WEEK} ELSE 0 END), 0) "
    "FROM (VALUES {days}) AS window_day WHERE window_day.column1 >= {start} "
    "AND NOT EXISTS (SELECT 1 FROM {pause} WHERE {pause}.patient_id = {patient} "
    "AND {pause}.starts_on <= window_day.column1 AND {pause}.ends_on >= window_day.column1 "
    "AND ({pause}.resumed_on IS NULL OR {pause}.resumed_on > window_day.column1)))"
)


class PlannedSevenths(Func):
    """Sessions a version's schedule plans over the days of the adherence window from `window_start` on, paused days
    left out, times seven so that the sum stays a whole number (checkins.rules.planned_sessions: a planned weekday
    counts 1, a day of a schedule of n sessions a week n/7).

    Written as one SQL subquery over the window's days (it reads the same in PostgreSQL and SQLite) rather than an
    expression of the ORM's per day: its columns are compiled once and written once, not once a day, which keeps the
    dashboard's query quick to build and to plan (a CASE per day made it 18 KB of SQL that PostgreSQL took longer to
    plan than to run; measured in bench/, issue 23)."""

    output_field = IntegerField()

    def __init__(self, *, weekdays_text, sessions_per_week, window_start, patient_id, window: "Window"):
        super().__init__(weekdays_text, sessions_per_week, window_start, patient_id)
        self.window = window

    def as_sql(self, compiler, connection, **extra_context):
        (weekdays, weekdays_params), (per_week, per_week_params), (start, start_params), (patient, patient_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # The app's own table and compiled columns; every value is a parameter. Weekdays are kept as a JSON list of
        # single digits (0 = Monday): the day's digit is in it, or not.
        day_params = []
        for day, pattern in zip(self.window.days, self.window.patterns, strict=True):
            day_params += [connection.ops.adapt_datefield_value(day), pattern]
        sql = PLANNED_SQL.format(
            weekdays=weekdays,
            per_week=per_week,
            days=", ".join(["(%s, %s)"] * len(self.window.days)),
            start=start,
            pause=Pause._meta.db_table,
            patient=patient,
        )
        params = [*weekdays_params, *per_week_params, *weekdays_params, *day_params, *start_params, *patient_params]
        return sql, params


def _threshold_on_session_day(zone: ZoneInfo):
    """For a check-in (the query this goes in): the patient's threshold in force on its session's day, in the
    clinic's time zone (patients.rules.threshold_on): the last change made on or before that day, else the first
    change, else the threshold the patient has."""
    changes = ThresholdChange.objects.filter(patient=OuterRef("patient_id"))
    on_or_before = (
        changes.annotate(day=TruncDate("changed_at", tzinfo=zone))
        .filter(day__lte=OuterRef("session_date"))
        .order_by("-changed_at", "-id")
        .values("value")[:1]
    )
    first = changes.order_by("changed_at", "id").values("value")[:1]
    return Coalesce(Subquery(on_or_before), Subquery(first), F("patient__pain_threshold"))


@dataclass(frozen=True)
class Window:
    """The adherence window ending `today`, as a query takes it: its days, latest first, and each one's weekday digit
    as a LIKE pattern (the schedule keeps weekdays as a JSON list of single digits, 0 = Monday)."""

    today: date
    days: tuple[date, ...]
    patterns: tuple[str, ...]

    @classmethod
    def ending(cls, today: date) -> "Window":
        days = tuple(today - timedelta(days=back) for back in range(rules.ADHERENCE_WINDOW_DAYS))
        return cls(today=today, days=days, patterns=tuple(f"%{day.weekday()}%" for day in days))

    @property
    def start(self) -> date:
        return self.days[-1]


def _evidence(*, zone: ZoneInfo, window: Window, whole_window: bool = False) -> dict:
    """The evidence on a version in force, as expressions for a ProgramVersion query (flags.rules.ProgressEvidence):
    the check-ins on it, those over the threshold of their day (in the clinic's time zone) or with sharp pain, the
    days with a session and the sessions planned in the adherence window (from the program's first day at the
    earliest), open flags, a flare-up now. With `whole_window` (only versions that started by the window's first day,
    and so their programs too), the window needs no program start."""
    today = window.today
    if whole_window:
        window_start = Value(window.start)
    else:
        window_start = Greatest(Value(window.start), Coalesce(first_start(OuterRef("program")), F("start_date")))
    on_version = CheckIn.objects.filter(version=OuterRef("pk"))
    return {
        "window_start": window_start,
        "sessions": count_of(on_version, by="version"),
        "highest_pain": Subquery(on_version.order_by().values("version").annotate(m=Max("max_pain")).values("m")),
        "over_threshold": on_version.filter(max_pain__gt=_threshold_on_session_day(zone)),
        "sharp": on_version.filter(sharp_pain=True),
        "reported_days": Coalesce(
            Subquery(
                CheckIn.objects.filter(
                    patient=OuterRef("program__patient_id"),
                    session_date__gte=OuterRef("window_start"),
                    session_date__lte=today,
                )
                .order_by()
                .values("patient")
                .annotate(n=Count("session_date", distinct=True))
                .values("n")
            ),
            0,
        ),
        "planned_sevenths": PlannedSevenths(
            weekdays_text=Cast("weekdays", TextField()),
            sessions_per_week=F("sessions_per_week"),
            window_start=F("window_start"),
            patient_id=F("program__patient_id"),
            window=window,
        ),
        "open_flags": Flag.objects.filter(patient=OuterRef("program__patient_id")).exclude(status=FlagStatus.RESOLVED),
        "in_flare_up": flare_ups_on(OuterRef("program__patient_id"), today=today),
    }


def evidence_of(row: ProgramVersion, *, today: date) -> rules.ProgressEvidence:
    """A row of these queries as the rule reads it (the list's rows have none of what it filtered out)."""
    return rules.ProgressEvidence(
        version_number=row.number,
        days_on_version=(today - row.start_date).days,
        sessions=row.sessions,
        highest_pain=row.highest_pain,
        threshold=row.program.patient.pain_threshold,
        over_threshold=getattr(row, "over_threshold", 0),
        sharp=getattr(row, "sharp", 0),
        reported_days=row.reported_days,
        planned=Fraction(row.planned_sevenths, DAYS_IN_WEEK),
        open_flags=getattr(row, "open_flags", 0),
        in_flare_up=getattr(row, "in_flare_up", False),
    )


def in_force_of(patients: QuerySet) -> QuerySet[ProgramVersion]:
    """The versions in force of these patients' programs, with each patient and their name."""
    return ProgramVersion.objects.filter(
        program__patient__in=patients,
        program__status=Program.Status.ACTIVE,
        status=ProgramVersion.Status.ACTIVE,
    ).select_related("program__patient__user")


def ready_to_progress(*, physio: User, today: date | None = None) -> list[tuple[ProgramVersion, rules.ProgressVerdict]]:
    """The physiotherapist's patients ready to progress, each with the verdict in words: one query, whatever the
    caseload, each criterion of flags.rules.progress_verdict a condition in it. Longest on their version first."""
    clinic_id = staff_clinic_id(physio)
    if clinic_id is None:
        return []
    clinic = physio.clinic
    today = today or clinic.local_today()
    criteria = criteria_of(clinic)
    started_by = rules.progress_start_by(today=today, min_days=criteria.min_days)
    window = Window.ending(today)
    rows = _ready(
        clinic_id=clinic_id,
        physio_id=physio.pk,
        zone=clinic.tzinfo,
        today=today,
        started_by=started_by,
        window_days=window.days,
        window_patterns=window.patterns,
        min_sessions=criteria.min_sessions,
        min_adherence=criteria.min_adherence,
        whole_window=started_by <= window.start,
    )
    return [(row, rules.progress_verdict(evidence_of(row, today=today), criteria)) for row in rows]


@prepared(shape=("whole_window", "zone"))
def _ready(
    *,
    clinic_id: int,
    physio_id: int,
    zone: ZoneInfo,
    today: date,
    started_by: date,
    window_days: tuple[date, ...],
    window_patterns: tuple[str, ...],
    min_sessions: int,
    min_adherence: int,
    whole_window: bool,
) -> QuerySet[ProgramVersion]:
    """ready_to_progress's query, its SQL compiled once (rehab.prepared): every value it takes is an argument."""
    e = _evidence(
        zone=zone, window=Window(today=today, days=window_days, patterns=window_patterns), whole_window=whole_window
    )
    caseload = Patient.objects.filter(clinic_id=clinic_id, physiotherapist_id=physio_id).filter(in_care())
    return (
        in_force_of(caseload)
        # The caseload named on the join too, so that PostgreSQL starts from these few patients rather than from
        # every version in force in the database (the IN above alone is planned as a late semi-join).
        .filter(program__patient__physiotherapist_id=physio_id, start_date__lte=started_by)
        .filter(~Exists(e["over_threshold"]), ~Exists(e["sharp"]), ~Exists(e["open_flags"]), ~Exists(e["in_flare_up"]))
        .annotate(window_start=e["window_start"], sessions=e["sessions"])
        .filter(sessions__gte=min_sessions)
        .annotate(
            highest_pain=e["highest_pain"],
            reported_days=e["reported_days"],
            planned_sevenths=e["planned_sevenths"],
            revision_draft=Exists(
                ProgramVersion.objects.filter(
                    program=OuterRef("program"), status=ProgramVersion.Status.DRAFT, kind=ProgramVersion.Kind.PROGRAM
                )
            ),
        )
        # rules.adherence_meets, in whole numbers: days reported x 100 >= the percentage x sessions planned, and
        # some planned (NULLIF: nothing planned compares as unknown, which no row passes).
        .alias(
            reported_times=F("reported_days") * 100 * DAYS_IN_WEEK,
            needed=NullIf("planned_sevenths", 0) * min_adherence,
        )
        .filter(reported_times__gte=F("needed"))
        .order_by("start_date", "program__patient__user__last_name", "pk")[:READY_LIMIT]
    )


def progress_verdict_for(*, patient, today: date | None = None) -> tuple[ProgramVersion, rules.ProgressVerdict] | None:
    """One patient's version in force and the verdict on it, read afresh (a check-in may have arrived since the
    dashboard was drawn): the same evidence as the list's, every criterion shown; None without a program in force."""
    clinic = patient.clinic
    today = today or clinic.local_today()
    e = _evidence(zone=clinic.tzinfo, window=Window.ending(today))
    row = (
        in_force_of(Patient.objects.filter(pk=patient.pk))
        .annotate(window_start=e["window_start"])
        .annotate(
            sessions=e["sessions"],
            highest_pain=e["highest_pain"],
            over_threshold=count_of(e["over_threshold"], by="version"),
            sharp=count_of(e["sharp"], by="version"),
            reported_days=e["reported_days"],
            planned_sevenths=e["planned_sevenths"],
            open_flags=count_of(e["open_flags"], by="patient"),
            in_flare_up=Exists(e["in_flare_up"]),
        )
        .first()
    )
    if row is None:
        return None
    return row, rules.progress_verdict(evidence_of(row, today=today), criteria_of(clinic))


def versions_led_to(flag: Flag) -> QuerySet[ProgramVersion]:
    """The versions a flag resolved with "program changed" may have led to, newest first: the patient's versions
    made or put in force since it was raised, drafts left out (they may yet be thrown away)."""
    return (
        ProgramVersion.objects.filter(program__patient_id=flag.patient_id)
        .exclude(status=ProgramVersion.Status.DRAFT)
        .filter(Q(created_at__gte=flag.opened_at) | Q(activated_at__gte=flag.opened_at))
        .select_related("program")
        .order_by("-created_at", "-pk")
    )
