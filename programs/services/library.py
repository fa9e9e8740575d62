"""Writes about the exercise library: a clinic's own exercises."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from rehab.models import Clinic, User

from .. import rules
from ..models import Exercise, ExerciseMuscle, MuscleGroup


def check_dose(*, sets, reps, hold_seconds, rest_seconds) -> None:
    errors = rules.dose_errors(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def exercise_create(
    *,
    clinic: Clinic,
    created_by: User,
    name: str,
    category: str,
    difficulty: int,
    equipment: str,
    summary: str,
    instructions: str,
    muscle_groups: list[str],
    sets: int,
    reps: int | None,
    hold_seconds: int | None,
    rest_seconds: int,
    easier: Exercise | None = None,
    harder: Exercise | None = None,
) -> Exercise:
    """Add a clinic's own exercise to the library."""
    check_dose(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    if not muscle_groups:
        raise ValidationError({"muscle_groups": "Choose at least one muscle group."})
    unknown = set(muscle_groups) - set(MuscleGroup.values)
    if unknown:
        raise ValidationError({"muscle_groups": "Choose muscle groups from the list."})
    for field, variant in (("easier", easier), ("harder", harder)):
        if variant is not None and variant.clinic_id not in (None, clinic.pk):
            raise ValidationError({field: "Choose an exercise from your clinic's library."})
    name = name.strip()
    key = slugify(name)[:80] or "exercise"
    if Exercise.objects.filter(clinic=clinic, key=key).exists():
        key = f"{key[:70]}-{Exercise.objects.filter(clinic=clinic).count() + 1}"
    exercise = Exercise(
        clinic=clinic,
        created_by=created_by,
        key=key,
        name=name,
        category=category,
        difficulty=difficulty,
        equipment=equipment,
        summary=summary.strip(),
        instructions=instructions.strip(),
        sets=sets,
        reps=reps,
        hold_seconds=hold_seconds,
        rest_seconds=rest_seconds,
        easier=easier,
        harder=harder,
    )
    exercise.full_clean()
    exercise.save()
    ExerciseMuscle.objects.bulk_create(
        ExerciseMuscle(exercise=exercise, group=group, primary=i == 0) for i, group in enumerate(muscle_groups)
    )
    return exercise
