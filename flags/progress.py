"""Reads for progress that follows the response (docs/clinical-rules.md, rule 17): who on a physiotherapist's
caseload is ready to progress, with the evidence, in one set-based query; the same evidence for one patient when a
step up is asked for; and the versions a flag may be resolved with as "program changed".

The query is the set-based twin of flags.rules.progress_verdict: each criterion is a condition in SQL on the version
in force, with the same clinic settings, and each row carries the evidence that the rule puts in words."""

from datetime import date, timedelta
from fractions import Fraction

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate

from checkins.models import CheckIn
from patients.models import Patient, Pause, ThresholdChange
from patients.selectors import patients_visible_to
from programs.models import FlareUp, Program, ProgramVersion
from programs.rules import DAYS_IN_WEEK
from programs.selectors import first_start
from rehab.models import Clinic, User

from . import rules
from .models import Flag, FlagStatus

READY_LIMIT = 25  # the dashboard lists at most this many patients ready to progress


def criteria_of(clinic: Clinic) -> rules.ProgressCriteria:
    return rules.ProgressCriteria(
        min_sessions=clinic.progress_min_sessions,
        min_days=clinic.progress_min_days,
        min_adherence=clinic.progress_min_adherence,
    )


def _threshold_on_session_day(clinic: Clinic):
    """For a check-in (the query this goes in): the patient's threshold in force on its session's day, in the
    clinic's time zone (patients.rules.threshold_on): the last change made on or before that day, else the first
    change, else the threshold the patient has."""
    changes = ThresholdChange.objects.filter(patient=OuterRef("patient_id"))
    on_or_before = (
        changes.annotate(day=TruncDate("changed_at", tzinfo=clinic.tzinfo))
        .filter(day__lte=OuterRef("session_date"))
        .order_by("-changed_at", "-id")
        .values("value")[:1]
    )
    first = changes.order_by("changed_at", "id").values("value")[:1]
    return Coalesce(Subquery(on_or_before), Subquery(first), F("patient__pain_threshold"))


def progress_evidence(*, versions: QuerySet[ProgramVersion], clinic: Clinic, today: date) -> QuerySet:
    """Versions in force with their patient's evidence on them (flags.rules.ProgressEvidence), one row each, in one
    query: sessions, the highest pain, whether any session's pain was over the threshold of its day, sharp pain,
    days with a session and sessions planned in the adherence window, open flags, a flare-up now."""
    window_first = today - timedelta(days=rules.ADHERENCE_WINDOW_DAYS - 1)
    on_version = CheckIn.objects.filter(version=OuterRef("pk")).order_by().values("version")
    flags = Flag.objects.filter(patient=OuterRef("program__patient_id")).exclude(status=FlagStatus.RESOLVED)
    qs = versions.annotate(
        program_start=first_start(OuterRef("program")),
        window_start=Greatest(Value(window_first), Coalesce(F("program_start"), F("start_date"))),
        weekdays_text=Cast("weekdays", TextField()),
        sessions=Coalesce(Subquery(on_version.annotate(n=Count("pk")).values("n")), 0),
        highest_pain=Subquery(on_version.annotate(m=Max("max_pain")).values("m")),
        over_threshold=Coalesce(
            Subquery(
                CheckIn.objects.filter(version=OuterRef("pk"), max_pain__gt=_threshold_on_session_day(clinic))
                .order_by()
                .values("version")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        ),
        sharp=Coalesce(Subquery(on_version.filter(sharp_pain=True).annotate(n=Count("pk")).values("n")), 0),
        reported_days=Coalesce(
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
        open_flags=Coalesce(Subquery(flags.order_by().values("patient").annotate(n=Count("pk")).values("n")), 0),
        in_flare_up=Exists(
            FlareUp.objects.filter(patient=OuterRef("program__patient_id"), starts_on__lte=today, last_day__gte=today)
        ),
        revision_draft=Exists(
            ProgramVersion.objects.filter(
                program=OuterRef("program"), status=ProgramVersion.Status.DRAFT, kind=ProgramVersion.Kind.PROGRAM
            )
        ),
    )
    return qs.annotate(planned_sevenths=_planned_sevenths_sum(today))


def _planned_sevenths_sum(today: date):
    """Sessions planned in the adherence window, times seven so that it is a whole number (checkins.rules
    .planned_sessions: a planned weekday counts 1, a day of a schedule of n sessions a week n/7), paused days left
    out: one term per day of the window, whose weekday is known here."""
    has_weekdays = ~Q(weekdays_text="[]")
    total = Value(0)
    for back in range(rules.ADHERENCE_WINDOW_DAYS):
        day = today - timedelta(days=back)
        paused = Pause.objects.filter(
            patient=OuterRef("program__patient_id"), starts_on__lte=day, ends_on__gte=day
        ).exclude(resumed_on__lte=day)
        # Weekdays are kept as a JSON list of single digits (0 = Monday): the day's digit is in it, or not.
        planned = Case(
            When(has_weekdays & Q(weekdays_text__contains=str(day.weekday())), then=Value(DAYS_IN_WEEK)),
            When(has_weekdays, then=Value(0)),
            default=Coalesce(F("sessions_per_week"), 0),
            output_field=IntegerField(),
        )
        total = total + Case(
            When(Q(window_start__lte=day) & ~Exists(paused), then=planned),
            default=Value(0),
            output_field=IntegerField(),
        )
    return total


def evidence_of(row: ProgramVersion, *, today: date) -> rules.ProgressEvidence:
    """A row of progress_evidence as the rule reads it."""
    return rules.ProgressEvidence(
        version_number=row.number,
        days_on_version=(today - row.start_date).days,
        sessions=row.sessions,
        highest_pain=row.highest_pain,
        threshold=row.program.patient.pain_threshold,
        over_threshold=row.over_threshold,
        sharp=row.sharp,
        reported_days=row.reported_days,
        planned=Fraction(row.planned_sevenths, DAYS_IN_WEEK),
        open_flags=row.open_flags,
        in_flare_up=row.in_flare_up,
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
    caseload. Longest on their version first."""
    clinic = physio.clinic
    today = today or clinic.local_today()
    criteria = criteria_of(clinic)
    caseload = patients_visible_to(physio).filter(physiotherapist=physio)
    rows = (
        progress_evidence(versions=in_force_of(caseload), clinic=clinic, today=today)
        .filter(
            start_date__lte=rules.progress_start_by(today=today, min_days=criteria.min_days),
            sessions__gte=criteria.min_sessions,
            over_threshold=0,
            sharp=0,
            open_flags=0,
            in_flare_up=False,
            planned_sevenths__gt=0,
        )
        # rules.adherence_meets in whole numbers: days reported x 100 >= the percentage x sessions planned.
        .alias(
            reported_times=F("reported_days") * 100 * DAYS_IN_WEEK,
            needed=F("planned_sevenths") * criteria.min_adherence,
        )
        .filter(reported_times__gte=F("needed"))
        .order_by("start_date", "program__patient__user__last_name", "pk")[:READY_LIMIT]
    )
    return [(row, rules.progress_verdict(evidence_of(row, today=today), criteria)) for row in rows]


def progress_verdict_for(*, patient, today: date | None = None) -> tuple[ProgramVersion, rules.ProgressVerdict] | None:
    """One patient's version in force and the verdict on it, read afresh (a check-in may have arrived since the
    dashboard was drawn); None without a program in force."""
    clinic = patient.clinic
    today = today or clinic.local_today()
    row = progress_evidence(
        versions=in_force_of(Patient.objects.filter(pk=patient.pk)), clinic=clinic, today=today
    ).first()
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
