"""Reads about the exercise library and programs, always starting from what the user may see."""

from datetime import date, timedelta

from django.db.models import Case, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from patients.models import Pause
from patients.selectors import patients_visible_to
from rehab.models import User

from . import calendar, rules
from .models import (
    CalendarFeed,
    Exercise,
    ExerciseMedia,
    ExerciseMuscle,
    FlareUp,
    Program,
    ProgramExercise,
    ProgramTemplate,
    ProgramVersion,
)


def exercises_visible_to(user: User) -> QuerySet[Exercise]:
    """The shipped library plus the user's own clinic's exercises."""
    if not user.is_authenticated or user.clinic_id is None:
        return Exercise.objects.none()
    return Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=user.clinic_id))


def media_visible_to(user: User) -> QuerySet[ExerciseMedia]:
    """A clinic's own exercise media: all of it for its staff; for a patient, that of the exercises their program
    holds or held (versions put in force, and flare-up plans kept ready for them: not drafts)."""
    if not user.is_authenticated or user.clinic_id is None:
        return ExerciseMedia.objects.none()
    media = ExerciseMedia.objects.filter(clinic_id=user.clinic_id)
    if user.role == User.Role.PATIENT:
        held = ProgramExercise.objects.filter(
            version__program__patient__in=patients_visible_to(user).values("pk"),
            version__status__in=[
                ProgramVersion.Status.ACTIVE,
                ProgramVersion.Status.SUPERSEDED,
                ProgramVersion.Status.ASIDE,
            ],
        ).values("exercise_id")
        media = media.filter(exercise_id__in=held)
    return media


def clinic_media(clinic, path: str = "media") -> Prefetch:
    """Prefetch a clinic's own photo or video of each exercise as `clinic_media` (a list of none or one), for the
    exercise_figure tag. `clinic` is a clinic id or an expression giving one; `path` leads from the rows to it."""
    return Prefetch(path, queryset=ExerciseMedia.objects.filter(clinic_id=clinic), to_attr="clinic_media")


def exercise_library(
    *,
    user: User,
    search: str = "",
    group: str = "",
    category: str = "",
    difficulty: int | None = None,
    equipment: str = "",
) -> QuerySet[Exercise]:
    qs = exercises_visible_to(user).prefetch_related("muscles", clinic_media(user.clinic_id))
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
    return (
        exercises_visible_to(user)
        .select_related("easier", "harder")
        .prefetch_related("muscles", clinic_media(user.clinic_id))
        .get(pk=pk)
    )


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
    """A version's exercises in order, with everything the builder and handout show (the patient's clinic's own
    photos and videos too): fixed query count."""
    clinic = Subquery(ProgramVersion.objects.filter(pk=version.pk).values("program__patient__clinic_id")[:1])
    return list(
        version.items.select_related("exercise__easier", "exercise__harder", "derived_from__exercise")
        .prefetch_related(
            Prefetch("exercise__muscles", queryset=ExerciseMuscle.objects.order_by("-primary", "group")),
            clinic_media(clinic, "exercise__media"),
        )
        .order_by("position")
    )


def balance_for(items: list[ProgramExercise]) -> dict[str, int]:
    return rules.balance([m.group for m in item.exercise.muscles.all()] for item in items)


def weekly_volume_of(version: ProgramVersion, items: list[ProgramExercise]) -> rules.Volume:
    return rules.weekly_volume((item.dose for item in items), version.planned_sessions_per_week)


def _replaced_version(version: ProgramVersion) -> ProgramVersion | None:
    """The version a draft will replace: the one it revises, or, for a new program, the one in force now."""
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
    return previous


def _variant_links(clinic_id: int) -> dict[int, tuple[int | None, int | None]]:
    """Each exercise of the shipped library and the clinic's own, with its easier and harder variants: one query."""
    return {
        pk: (easier, harder)
        for pk, easier, harder in Exercise.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id)).values_list(
            "pk", "easier_id", "harder_id"
        )
    }


def progression_for(
    version: ProgramVersion, items: list[ProgramExercise] | None = None
) -> rules.ProgressionCheck | None:
    """How a revision compares with the version it replaces (rule 12); None for a first version."""
    previous = _replaced_version(version)
    if previous is None:
        return None
    if items is None:
        items = list(version.items.select_related("exercise", "derived_from__exercise"))
    old_items = list(previous.items.select_related("exercise"))
    patient = version.program.patient
    steps = rules.difficulty_steps(
        new_items=[
            (
                item.exercise.name,
                item.exercise_id,
                item.exercise.difficulty,
                item.derived_from.exercise.difficulty if item.derived_from_id and item.derived_from else None,
            )
            for item in items
        ],
        old_items=[(item.exercise_id, item.exercise.difficulty) for item in old_items],
        links=_variant_links(patient.clinic_id),
    )
    return rules.progression_check(
        old_volume=weekly_volume_of(previous, old_items),
        new_volume=weekly_volume_of(version, items),
        difficulty_steps=steps,
        max_increase_percent=patient.clinic.progression_percent,
    )


def starting_warnings_for(version: ProgramVersion, items: list[ProgramExercise] | None = None) -> tuple[str, ...]:
    """Exercises above the patient's phase's starting ceiling among those the version brings in (rule 16): all of a
    first version's, and those a revision or a new program adds to what the patient does now."""
    if items is None:
        items = list(version.items.select_related("exercise"))
    previous = _replaced_version(version)
    already = set(previous.items.values_list("exercise_id", flat=True)) if previous is not None else set()
    patient = version.program.patient
    return rules.starting_warnings(
        exercises=[(item.exercise.name, item.exercise.difficulty) for item in items if item.exercise_id not in already],
        phase=patient.phase(),
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


def first_start(program_ref: OuterRef) -> Subquery:
    """The first day of a program: the start of its earliest version that was put in force."""
    return Subquery(
        ProgramVersion.objects.filter(program=program_ref, activated_at__isnull=False)
        .order_by()
        .values("program")
        .annotate(start=Min("start_date"))
        .values("start")
    )


def _versions_in_force(patient) -> QuerySet[ProgramVersion]:
    """The version of the patient's program in force (one at most), with its program and, as `program_start`, the
    program's first day."""
    return (
        ProgramVersion.objects.filter(
            program__patient=patient, program__status=Program.Status.ACTIVE, status=ProgramVersion.Status.ACTIVE
        )
        .select_related("program")
        .annotate(program_start=first_start(OuterRef("program")))
    )


def active_version_for(patient) -> ProgramVersion | None:
    """The version in force, with its program and, as `program_start`, the program's first day."""
    return _versions_in_force(patient).first()


def program_start_date(program: Program) -> date | None:
    """The first day of the program: the start of its earliest version that was put in force."""
    return program.versions.filter(activated_at__isnull=False).aggregate(start=Min("start_date"))["start"]


def version_program_start(version: ProgramVersion) -> date | None:
    """The first day of a version's program, read with the version when active_version_for gave it."""
    if hasattr(version, "program_start"):
        return version.program_start
    return program_start_date(version.program)


def last_version_for(patient) -> ProgramVersion | None:
    """The version that was in force last: after a discharge, the program the patient carries on with alone."""
    return (
        ProgramVersion.objects.filter(program__patient=patient, activated_at__isnull=False)
        .select_related("program")
        .order_by("-activated_at", "-pk")
        .first()
    )


# --- Flare-ups (docs/clinical-rules.md, rule 18) ------------------------------------------------


def flare_ups_visible_to(user: User) -> QuerySet[FlareUp]:
    return FlareUp.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def _flare_ups_on(patient, *, today: date) -> QuerySet[FlareUp]:
    """The patient's flare-ups on `today` (the clinic's day), latest first: one at most, in practice."""
    return FlareUp.objects.filter(patient=patient, starts_on__lte=today, last_day__gte=today).order_by(
        "-started_at", "-pk"
    )


def flare_up_in_force(patient, *, today: date) -> FlareUp | None:
    """The patient's flare-up on `today` (the clinic's day), with its plan, or None. Worked out from its days: it
    ends at the clinic's midnight after its last day, with nothing to run."""
    return _flare_ups_on(patient, today=today).select_related("plan__program").first()


def plan_in_force(flare_up: FlareUp | None) -> ProgramVersion | None:
    """The flare-up plan a flare-up puts in force: none without a plan, or when its program has ended since."""
    if flare_up is None or flare_up.plan is None or flare_up.plan.program.status != Program.Status.ACTIVE:
        return None
    return flare_up.plan


def program_version_and_flare_up(patient, *, today: date) -> tuple[ProgramVersion | None, FlareUp | None]:
    """The version of the patient's program in force (active_version_for) and their flare-up on `today`, if one is on
    (flare_up_in_force): one query on a day without a flare-up (the version, asked whether one is on), two while
    one is or without a program in force."""
    version = (
        _versions_in_force(patient)
        .annotate(flare_up_on=Subquery(_flare_ups_on(patient, today=today).values("pk")[:1]))
        .first()
    )
    if version is not None and version.flare_up_on is None:
        return version, None
    return version, flare_up_in_force(patient, today=today)


def version_in_force(patient, *, today: date) -> tuple[ProgramVersion | None, FlareUp | None]:
    """What the patient does today: their flare-up plan while a flare-up with one lasts, else the version of their
    program in force (active_version_for); and the flare-up, if one is on. The version comes with `program_start`.
    One query on a day without a flare-up, two while one is (program_version_and_flare_up)."""
    version, flare_up = program_version_and_flare_up(patient, today=today)
    plan = plan_in_force(flare_up)
    if plan is None:
        return version, flare_up
    if version is not None and plan.program_id == version.program_id:
        plan.program_start = version.program_start  # the same program: the same first day
        return plan, flare_up
    plan = (
        ProgramVersion.objects.filter(pk=plan.pk)
        .select_related("program")
        .annotate(program_start=first_start(OuterRef("program")))
        .get()
    )
    return plan, flare_up


def kept_plan(program: Program | None) -> ProgramVersion | None:
    """The flare-up plan kept ready for a program, if there is one."""
    if program is None:
        return None
    return program.versions.filter(status=ProgramVersion.Status.ASIDE).select_related("created_by").first()


def flare_up_to_ask_about(patient, *, today: date) -> FlareUp | None:
    """The patient's last flare-up, when it is over, was not answered yet and ended lately: Today asks how it went."""
    latest = FlareUp.objects.filter(patient=patient).order_by("-started_at", "-pk").first()
    if latest is None or latest.answered_at is not None or latest.last_day >= today:
        return None
    if (today - latest.last_day).days > rules.FLARE_UP_ASK_DAYS:
        return None
    return latest


def patient_flare_ups(*, patient, limit: int = 10) -> list[FlareUp]:
    """A patient's latest flare-ups, newest first, with who ended each and its plan."""
    return list(
        FlareUp.objects.filter(patient=patient)
        .select_related("plan", "usual", "ended_by")
        .order_by("-started_at", "-pk")[:limit]
    )


# --- The patient's calendar feed ---------------------------------------------------------------


def calendar_feed_of(patient) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(patient=patient).first()


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The feed a calendar link names, with its patient and clinic; None for a link that was reset or never was."""
    return CalendarFeed.objects.select_related("patient__clinic").filter(token=token).first()


def calendar_schedule(*, patient, first: date, last: date) -> tuple[list[calendar.Span], list[calendar.PauseSpan]]:
    """What the patient's calendar shows from `first` to `last`, in two queries: each version of their programs that
    was put in force, over the days it governs (from its start to the next one's, and never past the day before its
    program ended), and the pauses, to their last day (earlier than planned when the program resumed early)."""
    versions = list(
        ProgramVersion.objects.filter(
            program__patient=patient,
            kind=ProgramVersion.Kind.PROGRAM,
            activated_at__isnull=False,
            start_date__lte=last,
        )
        .select_related("program")
        .only("start_date", "activated_at", "weekdays", "sessions_per_week", "program__title", "program__ended_at")
        .order_by("activated_at", "pk")
    )
    zone = patient.clinic.tzinfo
    spans = []
    for index, version in enumerate(versions):
        begins, ends = max(first, version.start_date), last
        if index + 1 < len(versions):
            ends = min(ends, versions[index + 1].start_date - timedelta(days=1))
        if version.program.ended_at is not None:
            ends = min(ends, version.program.ended_at.astimezone(zone).date() - timedelta(days=1))
        if begins <= ends:
            spans.append(
                calendar.Span(
                    first=begins,
                    last=ends,
                    weekdays=tuple(version.weekdays or ()),
                    sessions_per_week=version.sessions_per_week,
                    title=version.program.title,
                )
            )
    pauses = [  # whole, even where they reach outside the window: an event keeps its dates from one fetch to the next
        calendar.PauseSpan(pk=pause.pk, first=pause.starts_on, last=pause.last_day)
        for pause in Pause.objects.filter(patient=patient, starts_on__lte=last, ends_on__gte=first).order_by(
            "starts_on", "pk"
        )
        if pause.last_day >= max(first, pause.starts_on)  # a pause cancelled before it began is none
    ]
    return spans, pauses
