"""The exercise library and its media, as the user may see them."""

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When

from patients.selectors import patients_visible_to
from rehab.models import User

from ..models import (
    Exercise,
    ExerciseMedia,
    ProgramExercise,
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
