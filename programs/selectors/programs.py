"""Programs, their versions and exercises: what the user may see, a version's checks, and the version in force."""

from datetime import date

from django.db.models import Min, OuterRef, Prefetch, Q, QuerySet, Subquery

from patients.selectors import patients_visible_to
from rehab.models import User

from .. import rules
from ..models import (
    Exercise,
    ExerciseMuscle,
    Program,
    ProgramExercise,
    ProgramTemplate,
    ProgramVersion,
)
from .library import clinic_media


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
