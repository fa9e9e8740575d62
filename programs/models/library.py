from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from rehab.models import Clinic

from .. import rules


class MuscleGroup(models.TextChoices):
    CORE = "core", "Core"
    ADDUCTORS = "adductors", "Adductors"
    ABDUCTORS = "abductors", "Abductors"
    LATERAL = "lateral", "Lateral muscles"
    LOWER_BACK = "lower_back", "Lower-back extensors"
    GLUTES = "glutes", "Glutes"
    HIP_FLEXORS = "hip_flexors", "Hip flexors"
    HAMSTRINGS = "hamstrings", "Hamstrings"


class Category(models.TextChoices):
    MOBILITY = "mobility", "Mobility"
    STRETCH = "stretch", "Stretch"
    STRENGTH = "strength", "Strength"
    ENDURANCE = "endurance", "Endurance"
    MOTOR_CONTROL = "motor_control", "Motor control"


class Equipment(models.TextChoices):
    NONE = "none", "No equipment"
    MAT = "mat", "Mat"
    EXERCISE_BALL = "exercise_ball", "Exercise ball"
    RESISTANCE_BAND = "resistance_band", "Resistance band"
    CHAIR = "chair", "Chair"
    WALL = "wall", "Wall"
    FOAM_ROLLER = "foam_roller", "Foam roller"


def between(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def nullable_between(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__isnull": True}) | between(field, low, high)


class Dosage(models.Model):
    """Sets, repetitions or a hold, and rest: shared by exercises' defaults, programs and templates."""

    sets = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(rules.SETS_MIN), MaxValueValidator(rules.SETS_MAX)]
    )
    reps = models.PositiveSmallIntegerField(
        "repetitions",
        null=True,
        blank=True,
        validators=[MinValueValidator(rules.REPS_MIN), MaxValueValidator(rules.REPS_MAX)],
    )
    hold_seconds = models.PositiveSmallIntegerField(
        "hold (seconds)",
        null=True,
        blank=True,
        validators=[MinValueValidator(rules.HOLD_MIN), MaxValueValidator(rules.HOLD_MAX)],
    )
    rest_seconds = models.PositiveSmallIntegerField(
        "rest (seconds)", default=30, validators=[MinValueValidator(rules.REST_MIN), MaxValueValidator(rules.REST_MAX)]
    )

    class Meta:
        abstract = True

    @classmethod
    def dosage_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(condition=between("sets", rules.SETS_MIN, rules.SETS_MAX), name=f"{prefix}_sets"),
            models.CheckConstraint(
                condition=nullable_between("reps", rules.REPS_MIN, rules.REPS_MAX), name=f"{prefix}_reps"
            ),
            models.CheckConstraint(
                condition=nullable_between("hold_seconds", rules.HOLD_MIN, rules.HOLD_MAX), name=f"{prefix}_hold"
            ),
            models.CheckConstraint(
                condition=between("rest_seconds", rules.REST_MIN, rules.REST_MAX), name=f"{prefix}_rest"
            ),
            models.CheckConstraint(
                condition=Q(reps__isnull=False) | Q(hold_seconds__isnull=False), name=f"{prefix}_reps_or_hold"
            ),
        ]

    @property
    def dose(self) -> rules.Dose:
        return rules.Dose(self.sets, self.reps, self.hold_seconds)

    def describe_dose(self) -> str:
        parts = [f"{self.sets} set{'s' if self.sets != 1 else ''}"]
        if self.reps and self.hold_seconds:
            parts.append(f"{self.reps} repetitions, holding each for {self.hold_seconds} s")
        elif self.reps:
            parts.append(f"{self.reps} repetitions")
        elif self.hold_seconds:
            parts.append(f"hold for {self.hold_seconds} s")
        if self.rest_seconds:
            parts.append(f"rest {self.rest_seconds} s between sets")
        return ", ".join(parts)


class Exercise(Dosage):
    """An exercise in the library. Shipped exercises have no clinic; a clinic's own carry theirs.

    The dosage fields hold the default dose used when the exercise is added to a program.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="exercises")
    key = models.SlugField(max_length=80, help_text="A stable identifier.")
    name = models.CharField(max_length=80)
    category = models.CharField(max_length=20, choices=Category.choices)
    difficulty = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(rules.DIFFICULTY_MIN), MaxValueValidator(rules.DIFFICULTY_MAX)],
        help_text="1 (gentlest) to 5 (most demanding).",
    )
    equipment = models.CharField(max_length=20, choices=Equipment.choices, default=Equipment.NONE)
    summary = models.CharField(max_length=200)
    instructions = models.TextField(
        help_text="Step-by-step instructions for the patient, one step per line.",
        validators=[MaxLengthValidator(3000)],
    )
    easier = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="easier variant"
    )
    harder = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="harder variant"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            *Dosage.dosage_constraints("exercise"),
            models.CheckConstraint(
                condition=between("difficulty", rules.DIFFICULTY_MIN, rules.DIFFICULTY_MAX),
                name="exercise_difficulty",
            ),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="exercise_category"),
            models.CheckConstraint(condition=Q(equipment__in=Equipment.values), name="exercise_equipment"),
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(clinic__isnull=True),
                name="exercise_library_name_unique",
                violation_error_message="The library already has an exercise with this name.",
            ),
            models.UniqueConstraint(
                "clinic",
                Lower("name"),
                name="exercise_clinic_name_unique",
                violation_error_message="Your clinic already has an exercise with this name.",
            ),
            models.UniqueConstraint(fields=["key"], condition=Q(clinic__isnull=True), name="exercise_library_key"),
            models.UniqueConstraint(fields=["clinic", "key"], name="exercise_clinic_key"),
        ]
        indexes = [models.Index(fields=["category", "difficulty"], name="exercise_cat_diff_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def steps(self) -> list[str]:
        return [line.strip() for line in self.instructions.splitlines() if line.strip()]


class ExerciseMuscle(models.Model):
    """One muscle group an exercise works."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="muscles")
    group = models.CharField(max_length=20, choices=MuscleGroup.choices)
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-primary", "group"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "group"], name="exercise_muscle_unique"),
            models.CheckConstraint(condition=Q(group__in=MuscleGroup.values), name="exercise_muscle_group"),
        ]
        indexes = [models.Index(fields=["group", "exercise"], name="exercise_muscle_group_idx")]

    def __str__(self) -> str:
        return self.get_group_display()


class ExerciseMedia(models.Model):
    """A clinic's own photo or short video of an exercise, shown to that clinic instead of the drawing.

    The files live in the private "exercise_media" storage (settings.STORAGES) under names the app makes up; they are
    served only through short-lived signed links (programs/media.py), never from a public URL.
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="exercise_media")
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    file_name = models.CharField(max_length=200, help_text="The file's name in the exercise media storage.")
    thumbnail_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "exercise"],
                name="exercise_media_one_per_clinic",
                violation_error_message="Your clinic already shows its own media for this exercise.",
            ),
            models.CheckConstraint(condition=Q(kind__in=["photo", "video"]), name="exercise_media_kind"),
            models.CheckConstraint(
                condition=Q(kind="video") | ~Q(thumbnail_name=""), name="exercise_media_photo_has_thumbnail"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.exercise} ({self.clinic})"
