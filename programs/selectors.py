"""Reads about the exercise library and programs, always starting from what the user may see."""

from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber

from patients.models import Flag, FlagStatus, Patient, Pause
from patients.selectors import flag_rows, flags_visible_to, patients_visible_to
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
    in_name = Q()
    for term in search.split():
        qs = qs.filter(Q(name__icontains=term) | Q(summary__icontains=term))
        in_name &= Q(name__icontains=term)
    if group:
        qs = qs.filter(muscles__group=group)
    if category:
        qs = qs.filter(category=category)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if equipment:
        qs = qs.filter(equipment=equipment)
    if search.split():  # exercises named by the search first, then those whose summary mentions it
        return qs.annotate(named=Case(When(in_name, then=Value(0)), default=Value(1))).order_by("named", "name", "pk")
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


def checkin_items(version: ProgramVersion) -> list[ProgramExercise]:
    """A version's exercises in order, with only what the check-in asks about: each exercise's name.

    They are kept on the version (as a prefetch), so checking the report against them reads nothing more."""
    items = ProgramExercise.objects.select_related("exercise").only("version", "exercise__name").order_by("position")
    prefetch_related_objects([version], Prefetch("items", queryset=items))
    return list(version.items.all())


def balance_for(items: list[ProgramExercise]) -> dict[str, int]:
    return rules.balance([m.group for m in item.exercise.muscles.all()] for item in items)


def weekly_volume_of(version: ProgramVersion, items: list[ProgramExercise]) -> int:
    return rules.weekly_volume((item.dose for item in items), version.planned_sessions_per_week)


def progression_for(
    version: ProgramVersion, items: list[ProgramExercise] | None = None
) -> rules.ProgressionCheck | None:
    """How a revision compares with the version it replaces (rule 12); None for a first version."""
    previous = version.based_on
    if previous is None and version.status == ProgramVersion.Status.DRAFT:
        # A new program that will replace the one in force is a step from it too.
        previous = (
            ProgramVersion.objects.filter(
                program__patient_id=version.program.patient_id,
                program__status=Program.Status.ACTIVE,
                status=ProgramVersion.Status.ACTIVE,
            )
            .exclude(program_id=version.program_id)
            .first()
        )
    if previous is None:
        return None
    if items is None:
        items = list(version.items.select_related("exercise", "derived_from__exercise"))
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
        .select_related("patient__clinic")  # each version's rest-day warning follows the clinic's rest limit
        .prefetch_related(
            Prefetch("versions", queryset=ProgramVersion.objects.select_related("created_by", "activated_by"))
        )
        .order_by("-created_at")
    )


def _first_start(program_ref: OuterRef) -> Subquery:
    """The first day of a program: the start of its earliest version that was put in force."""
    return Subquery(
        ProgramVersion.objects.filter(program=program_ref, activated_at__isnull=False)
        .order_by()
        .values("program")
        .annotate(start=Min("start_date"))
        .values("start")
    )


def active_version_for(patient) -> ProgramVersion | None:
    """The version in force, with its program and, as `program_start`, the program's first day."""
    return (
        ProgramVersion.objects.filter(
            program__patient=patient, program__status=Program.Status.ACTIVE, status=ProgramVersion.Status.ACTIVE
        )
        .select_related("program")
        .annotate(program_start=_first_start(OuterRef("program")))
        .first()
    )


def program_start_date(program: Program) -> date | None:
    """The first day of the program: the start of its earliest version that was put in force."""
    return program.versions.filter(activated_at__isnull=False).aggregate(start=Min("start_date"))["start"]


def version_program_start(version: ProgramVersion) -> date | None:
    """The first day of a version's program, read with the version when active_version_for gave it."""
    if hasattr(version, "program_start"):
        return version.program_start
    return program_start_date(version.program)


# --- Check-ins -----------------------------------------------------------------------------------


def reports_visible_to(user: User) -> QuerySet[SessionReport]:
    return SessionReport.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def reported_on(*, patient, day: date) -> bool:
    """Whether the patient has reported a session on `day`."""
    return patient.reports.filter(session_date=day).exists()


def report_list(*, patient) -> QuerySet[SessionReport]:
    """A patient's reports, newest first, with what was done and any corrections: a fixed number of queries.

    Of each exercise done, only its name and outcome are read: the lists show nothing else.
    """
    results = (
        ExerciseResult.objects.select_related("item__exercise")
        .only("report", "outcome", "item__exercise__name")
        .order_by("item__position")
    )
    return (
        SessionReport.objects.filter(patient=patient)
        .prefetch_related(Prefetch("results", queryset=results), "corrections")
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
            {
                "id": pk,
                "date": day.isoformat(),
                "label": f"{day.day} {day:%b}",
                "pain": max_pain,
                "pain_now": pain_now,
                "threshold": threshold,
            }
        )
    return series


def days_paused(pauses, *, start: date, end: date) -> frozenset[date]:
    """The days from `start` to `end` inclusive that one of `pauses` covers."""
    span = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(day for day in span if any(pause.covers(day) for pause in pauses))


def adherence(*, patient, version: ProgramVersion | None, today: date, windows: tuple[int, ...] = (14, 28)) -> list:
    """Sessions reported against sessions planned over each of the last `windows` days up to today, from the
    program's first day at the earliest (rules.adherence).

    One read of the report dates, the pauses and the program start serves every window."""
    if version is None:
        return [{"days": days, "reported": 0, "planned": 0, "percent": None} for days in windows]
    program_start = version_program_start(version) or version.start_date
    earliest = max(today - timedelta(days=max(windows) - 1), program_start)
    reported_days = set(
        SessionReport.objects.filter(patient=patient, session_date__gte=earliest, session_date__lte=today)
        .order_by()
        .values_list("session_date", flat=True)
    )
    pauses = patient.pauses.filter(starts_on__lte=today, ends_on__gte=earliest)
    paused = days_paused(list(pauses), start=earliest, end=today)
    return [
        {
            "days": days,
            **rules.adherence(
                start=max(today - timedelta(days=days - 1), program_start),
                end=today,
                reported_days=reported_days,
                paused_days=paused,
                weekdays=version.weekdays,
                sessions_per_week=version.sessions_per_week,
            ),
        }
        for days in windows
    ]


# --- The physiotherapist's dashboard ----------------------------------------------------------

SPARKLINE_POINTS = 10
ADHERENCE_DAYS = 14  # the dashboard's adherence column: the last two weeks


def _own_caseload(physio: User) -> QuerySet[Patient]:
    return patients_visible_to(physio).filter(physiotherapist=physio)


def _active_program():
    return Program.objects.filter(patient=OuterRef("pk"), status=Program.Status.ACTIVE)


def caseload(*, physio: User) -> QuerySet[Patient]:
    """A physiotherapist's patients, those with open flags first, with their last report: one query.

    Only the fields the dashboard shows are read.
    """
    last = SessionReport.objects.filter(patient=OuterRef("pk")).order_by("-session_date", "-submitted_at")
    open_flags = (
        Flag.objects.filter(patient=OuterRef("pk"))
        .exclude(status=FlagStatus.RESOLVED)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _own_caseload(physio)
        .select_related("user")
        .only("onset_date", "pain_threshold", "user__first_name", "user__last_name")
        .annotate(
            open_flags=Coalesce(Subquery(open_flags), 0),
            last_date=Subquery(last.values("session_date")[:1]),
            last_pain=Subquery(last.values("max_pain")[:1]),
            has_program=Exists(_active_program()),
        )
        .order_by("-open_flags", "user__last_name", "user__first_name", "pk")
    )


def caseload_without_program(*, physio: User, limit: int = 20) -> list[Patient]:
    """A physiotherapist's patients with no program in force, by name: only what the list shows."""
    return list(
        _own_caseload(physio)
        .filter(~Exists(_active_program()))
        .select_related("user")
        .only("pk", "user__first_name", "user__last_name")
        .order_by("user__last_name", "user__first_name", "pk")[:limit]
    )


def caseload_rows(*, patients: list[Patient], today: date) -> list[dict]:
    """Sparkline and 14-day adherence for a page of patients: a fixed number of queries for the page."""
    ids = [p.pk for p in patients]
    ranked = (
        SessionReport.objects.filter(patient_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("session_date").desc(), F("submitted_at").desc()],
            )
        )
        .filter(rank__lte=SPARKLINE_POINTS)
        .values_list("patient_id", "session_date", "max_pain")
    )
    recent: dict[int, list[tuple[date, int]]] = {}
    for patient_id, day, pain in ranked:
        recent.setdefault(patient_id, []).append((day, pain))
    window_start = today - timedelta(days=ADHERENCE_DAYS - 1)
    reported: dict[int, set[date]] = {}
    for patient_id, day in (
        SessionReport.objects.filter(patient_id__in=ids, session_date__gte=window_start, session_date__lte=today)
        .order_by()
        .values_list("patient_id", "session_date")
        .distinct()
    ):
        reported.setdefault(patient_id, set()).add(day)
    versions = {
        v.program.patient_id: v
        for v in ProgramVersion.objects.filter(
            program__patient_id__in=ids, status=ProgramVersion.Status.ACTIVE, program__status=Program.Status.ACTIVE
        )
        .select_related("program")
        .only("start_date", "weekdays", "sessions_per_week", "program__patient")
        .annotate(program_start=_first_start(OuterRef("program")))
    }
    pauses: dict[int, list] = {}
    for pause in Pause.objects.filter(patient_id__in=ids, starts_on__lte=today, ends_on__gte=window_start).only(
        "patient", "starts_on", "ends_on", "resumed_on"
    ):
        pauses.setdefault(pause.patient_id, []).append(pause)
    rows = []
    for patient in patients:
        version = versions.get(patient.pk)
        adherence = None
        if version is not None:
            start = max(window_start, version.program_start or version.start_date)
            adherence = rules.adherence(
                start=start,
                end=today,
                reported_days=reported.get(patient.pk, ()),
                paused_days=days_paused(pauses.get(patient.pk, []), start=start, end=today),
                weekdays=version.weekdays,
                sessions_per_week=version.sessions_per_week,
            )["percent"]
        pains = [pain for _day, pain in sorted(recent.get(patient.pk, []))]
        rows.append(
            {
                "patient": patient,
                "adherence": adherence,
                "pains": pains,
                "spark": sparkline(pains, patient.pain_threshold),
            }
        )
    return rows


def sparkline(pains: list[int], threshold: int, *, width: int = 100, height: int = 24) -> dict:
    """SVG coordinates for a small pain line (0-5 from bottom to top) and the threshold line."""
    if not pains:
        return {}
    step = width / max(1, len(pains) - 1)

    def y(value: int) -> float:
        return round(height - value * height / 5, 1)

    points = " ".join(f"{round(i * step, 1)},{y(p)}" for i, p in enumerate(pains))
    return {"points": points, "threshold_y": y(threshold), "width": width, "height": height}


def own_open_flags(*, physio: User) -> QuerySet[Flag]:
    return (
        flag_rows(flags_visible_to(physio))
        .filter(patient__physiotherapist=physio)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("-urgent", "opened_at")
    )
