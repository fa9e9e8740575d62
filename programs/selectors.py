"""Reads about the exercise library and programs, always starting from what the user may see."""

from datetime import date, timedelta

from django.db.models import Min, Prefetch, Q, QuerySet

from patients.selectors import patients_visible_to
from rehab.models import User

from . import rules
from .models import (
    Exercise,
    ExerciseMuscle,
    ExerciseResult,
    Program,
    ProgramExercise,
    ProgramTemplate,
    ProgramVersion,
    SessionReport,
)


def exercises_visible_to(user: User) -> QuerySet[Exercise]:
    """The shipped library plus the user's own clinic's exercises."""
    if not user.is_authenticated or user.clinic_id is None:
        return Exercise.objects.none()
    return Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=user.clinic_id))


def exercise_library(
    *,
    user: User,
    search: str = "",
    group: str = "",
    category: str = "",
    difficulty: int | None = None,
    equipment: str = "",
) -> QuerySet[Exercise]:
    qs = exercises_visible_to(user).prefetch_related("muscles")
    for term in search.split():
        qs = qs.filter(Q(name__icontains=term) | Q(summary__icontains=term))
    if group:
        qs = qs.filter(muscles__group=group)
    if category:
        qs = qs.filter(category=category)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if equipment:
        qs = qs.filter(equipment=equipment)
    return qs.order_by("name", "pk")


def exercise_detail(*, user: User, pk: int) -> Exercise:
    return exercises_visible_to(user).select_related("easier", "harder").prefetch_related("muscles").get(pk=pk)


def programs_visible_to(user: User) -> QuerySet[Program]:
    return Program.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def versions_visible_to(user: User) -> QuerySet[ProgramVersion]:
    return ProgramVersion.objects.filter(program__in=programs_visible_to(user).values("pk")).select_related(
        "program__patient__user", "program__patient__clinic", "created_by", "activated_by"
    )


def items_visible_to(user: User) -> QuerySet[ProgramExercise]:
    return ProgramExercise.objects.filter(version__in=versions_visible_to(user).values("pk")).select_related(
        "version__program__patient__clinic", "exercise__easier", "exercise__harder"
    )


def templates_visible_to(user: User) -> QuerySet[ProgramTemplate]:
    if not user.is_authenticated or user.clinic_id is None or user.role == User.Role.PATIENT:
        return ProgramTemplate.objects.none()
    return ProgramTemplate.objects.filter(clinic_id=user.clinic_id)


def version_items(version: ProgramVersion) -> list[ProgramExercise]:
    """A version's exercises in order, with everything the builder and handout show: fixed query count."""
    return list(
        version.items.select_related("exercise__easier", "exercise__harder", "derived_from__exercise")
        .prefetch_related(Prefetch("exercise__muscles", queryset=ExerciseMuscle.objects.order_by("-primary", "group")))
        .order_by("position")
    )


def balance_for(items: list[ProgramExercise]) -> dict[str, int]:
    return rules.balance([m.group for m in item.exercise.muscles.all()] for item in items)


def weekly_volume_of(version: ProgramVersion, items: list[ProgramExercise]) -> int:
    return rules.weekly_volume((item.dose for item in items), version.planned_sessions_per_week)


def progression_for(
    version: ProgramVersion, items: list[ProgramExercise] | None = None
) -> rules.ProgressionCheck | None:
    """How a revision compares with the version it replaces (rule 12); None for a first version."""
    if version.based_on_id is None:
        return None
    if items is None:
        items = list(version.items.select_related("exercise", "derived_from__exercise"))
    previous = version.based_on
    old_items = list(previous.items.select_related("exercise"))
    old_max = max((item.exercise.difficulty for item in old_items), default=rules.DIFFICULTY_MIN)
    steps = []
    for item in items:
        if item.derived_from_id is not None and item.derived_from is not None:
            steps.append((item.exercise.name, item.derived_from.exercise.difficulty, item.exercise.difficulty))
        else:
            steps.append((item.exercise.name, old_max, item.exercise.difficulty))
    return rules.progression_check(
        old_volume=weekly_volume_of(previous, old_items),
        new_volume=weekly_volume_of(version, items),
        difficulty_steps=steps,
        max_increase_percent=version.program.patient.clinic.progression_percent,
    )


def patient_programs(*, patient) -> list[Program]:
    return list(
        Program.objects.filter(patient=patient)
        .prefetch_related(
            Prefetch("versions", queryset=ProgramVersion.objects.select_related("created_by", "activated_by"))
        )
        .order_by("-created_at")
    )


def active_version_for(patient) -> ProgramVersion | None:
    return (
        ProgramVersion.objects.filter(
            program__patient=patient, program__status=Program.Status.ACTIVE, status=ProgramVersion.Status.ACTIVE
        )
        .select_related("program")
        .first()
    )


def program_start_date(program: Program) -> date | None:
    """The first day of the program: the start of its earliest version that was put in force."""
    return program.versions.filter(activated_at__isnull=False).aggregate(start=Min("start_date"))["start"]


# --- Check-ins -----------------------------------------------------------------------------------


def reports_visible_to(user: User) -> QuerySet[SessionReport]:
    return SessionReport.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def report_list(*, patient) -> QuerySet[SessionReport]:
    """A patient's reports, newest first, with what was done and any corrections: a fixed number of queries."""
    return (
        SessionReport.objects.filter(patient=patient)
        .select_related("version__program")
        .prefetch_related(
            Prefetch(
                "results", queryset=ExerciseResult.objects.select_related("item__exercise").order_by("item__position")
            ),
            "corrections",
        )
        .order_by("-session_date", "-submitted_at")
    )


def pain_series(*, patient, since: date | None = None) -> list[dict]:
    """One point per report, oldest first: date, highest pain, pain afterwards, and the threshold then."""
    reports = SessionReport.objects.filter(patient=patient)
    if since is not None:
        reports = reports.filter(session_date__gte=since)
    rows = list(
        reports.order_by("session_date", "submitted_at").values_list("pk", "session_date", "max_pain", "pain_now")
    )
    changes = list(patient.threshold_changes.order_by("changed_at", "id").values_list("changed_at", "value"))
    tz = patient.clinic.tzinfo
    steps = [(changed_at.astimezone(tz).date(), value) for changed_at, value in changes]
    series = []
    for pk, day, max_pain, pain_now in rows:
        threshold = steps[0][1] if steps else patient.pain_threshold
        for changed_on, value in steps:
            if changed_on <= day:
                threshold = value
        series.append(
            {"id": pk, "date": day.isoformat(), "pain": max_pain, "pain_now": pain_now, "threshold": threshold}
        )
    return series


def paused_days(*, patient, start: date, end: date) -> frozenset[date]:
    days = set()
    for pause in patient.pauses.filter(starts_on__lte=end, ends_on__gte=start):
        day = max(pause.starts_on, start)
        while day <= min(pause.last_day, end):
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def adherence(*, patient, version: ProgramVersion | None, today: date, days: int) -> dict:
    """Sessions reported against sessions planned over the last `days` days up to today."""
    window_start = today - timedelta(days=days - 1)
    if version is None:
        return {"days": days, "reported": 0, "planned": 0, "percent": None}
    start = max(window_start, program_start_date(version.program) or version.start_date)
    reported = (
        SessionReport.objects.filter(patient=patient, session_date__gte=start, session_date__lte=today)
        .values("session_date")
        .distinct()
        .count()
    )
    planned = rules.planned_sessions(
        start=start,
        end=today,
        weekdays=version.weekdays,
        sessions_per_week=version.sessions_per_week,
        paused_days=paused_days(patient=patient, start=start, end=today),
    )
    return {
        "days": days,
        "reported": reported,
        "planned": round(planned),
        "percent": rules.adherence_percent(reported=reported, planned=planned),
    }
