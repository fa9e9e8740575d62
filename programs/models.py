from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from patients.models import Patient
from rehab.models import Clinic

from . import rules

ONE_DAY = timedelta(days=1)


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


def _between(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def _nullable_between(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__isnull": True}) | _between(field, low, high)


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
            models.CheckConstraint(condition=_between("sets", rules.SETS_MIN, rules.SETS_MAX), name=f"{prefix}_sets"),
            models.CheckConstraint(
                condition=_nullable_between("reps", rules.REPS_MIN, rules.REPS_MAX), name=f"{prefix}_reps"
            ),
            models.CheckConstraint(
                condition=_nullable_between("hold_seconds", rules.HOLD_MIN, rules.HOLD_MAX), name=f"{prefix}_hold"
            ),
            models.CheckConstraint(
                condition=_between("rest_seconds", rules.REST_MIN, rules.REST_MAX), name=f"{prefix}_rest"
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
                condition=_between("difficulty", rules.DIFFICULTY_MIN, rules.DIFFICULTY_MAX),
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


class Schedule(models.Model):
    """When sessions happen: fixed weekdays (0 = Monday) or a number of sessions a week."""

    weekdays = models.JSONField(default=list, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )

    class Meta:
        abstract = True

    @property
    def planned_sessions_per_week(self) -> int:
        return rules.sessions_per_week(weekdays=self.weekdays, sessions_per_week=self.sessions_per_week)

    @property
    def schedule_text(self) -> str:
        return rules.describe_schedule(weekdays=self.weekdays, sessions_per_week=self.sessions_per_week)


class Program(models.Model):
    """A patient's exercise program. Its content lives in versions; only one version is in force."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Being built"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="programs")
    title = models.CharField(max_length=120, default="Back exercise program")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_program_per_patient",
                violation_error_message="This patient already has an active program.",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="draft"),
                name="one_new_program_per_patient",
                violation_error_message="This patient already has a program being built.",
            ),
            models.CheckConstraint(condition=Q(status__in=["draft", "active", "ended"]), name="program_status"),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="program_patient_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.patient})"


class ProgramVersion(Schedule):
    """One version of a program. Editing an active program makes a new draft version; old ones stay.

    A flare-up plan (docs/clinical-rules.md, rule 18) is a version of its own kind: built in the builder like any
    draft, then kept ready ("aside"), never in force as the program; while a flare-up lasts it is what the patient
    does instead (FlareUp)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "In force"
        SUPERSEDED = "superseded", "Replaced"
        ASIDE = "aside", "Kept ready for a flare-up"

    class Kind(models.TextChoices):
        PROGRAM = "program", "Program"
        FLARE_UP = "flare_up", "Flare-up plan"

    class Prepared(models.TextChoices):
        STEP_UP = "step_up", "Prepared step up"
        EASE_OFF = "ease_off", "Prepared easier version"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROGRAM)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    prepared = models.CharField(
        max_length=10,
        choices=Prepared.choices,
        blank=True,
        help_text="Set when the draft was prepared for the physiotherapist (rule 17) rather than built by hand.",
    )
    start_date = models.DateField()
    change_note = models.CharField("what changed", max_length=1000, blank=True)
    progression_reason = models.CharField(
        max_length=300, blank=True, help_text="Why a bigger step than the progression rule allows is right."
    )
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="program_version_number_unique"),
            # A revision and a flare-up plan may be built at the same time, one of each.
            models.UniqueConstraint(
                fields=["program", "kind"], condition=Q(status="draft"), name="one_draft_version_per_program"
            ),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="active"), name="one_active_version_per_program"
            ),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="aside"), name="one_flare_up_plan_per_program"
            ),
            models.CheckConstraint(
                condition=Q(sessions_per_week__isnull=True) | _between("sessions_per_week", 1, 7),
                name="program_version_sessions_per_week",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "superseded", "aside"]), name="program_version_status"
            ),
            models.CheckConstraint(condition=Q(kind__in=["program", "flare_up"]), name="program_version_kind"),
            models.CheckConstraint(
                condition=Q(prepared__in=["", "step_up", "ease_off"]), name="program_version_prepared"
            ),
            # A flare-up plan is never the program in force, and only a flare-up plan is kept aside.
            models.CheckConstraint(
                condition=~Q(kind="flare_up", status="active") & ~Q(kind="program", status="aside"),
                name="program_version_kind_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.title} v{self.number}"

    @property
    def is_flare_up_plan(self) -> bool:
        return self.kind == self.Kind.FLARE_UP

    @property
    def past_start_error(self) -> str | None:
        """Rule 7 against a start day that has passed, for a program's first version (reads the clinic's day)."""
        return rules.past_start_error(
            start=self.start_date,
            today=self.program.patient.clinic.local_today(),
            first_version=self.based_on_id is None,
        )

    @property
    def frequency_warning(self) -> str | None:
        """Rule 13 against the patient's clinic's rest limit (reads the program's patient and clinic)."""
        return rules.frequency_warning(
            weekdays=self.weekdays,
            sessions_per_week=self.sessions_per_week,
            rest_days_allowed=self.program.patient.clinic.rest_days_allowed,
        )


class ProgramExercise(Dosage):
    """An exercise in a program version, in order, with the dose set for this patient."""

    version = models.ForeignKey(ProgramVersion, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    notes = models.CharField(max_length=rules.NOTES_MAX, blank=True)
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The item of the previous version this one continues (same exercise or a variant).",
    )

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            *Dosage.dosage_constraints("program_exercise"),
            models.UniqueConstraint(
                fields=["version", "position"],
                name="program_exercise_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.exercise}"


class FlareUp(models.Model):
    """A flare-up the patient told the clinic about with one tap (docs/clinical-rules.md, rule 18). Their flare-up
    plan, when one was kept ready, is what they do from `starts_on` to `last_day` (the clinic's days); then the usual
    program returns. Whether it is in force is worked out from those dates when read, so it ends at the clinic's
    midnight with no task to run; ending it early moves `last_day` to the day before, and the patient is then asked
    how it went."""

    class Answer(models.TextChoices):
        BETTER = "better", "Better than when it started"
        SAME = "same", "About the same"
        WORSE = "worse", "Worse"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flare_ups")
    plan = models.ForeignKey(
        ProgramVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The flare-up plan in force, or none when none was ready: the usual program then stays.",
    )
    usual = models.ForeignKey(
        ProgramVersion, on_delete=models.PROTECT, related_name="+", help_text="The version in force when it started."
    )
    started_at = models.DateTimeField(default=timezone.now)
    starts_on = models.DateField()
    planned_last_day = models.DateField(help_text="The last day the clinic's setting gave it.")
    last_day = models.DateField(help_text="The last day it is in force: the planned one, or the day before it ended.")
    plan_rest_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(rules.DAYS_IN_WEEK)],
        help_text="The longest run of rest days the plan's schedule plans: the rest rule allows it while this lasts.",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.CharField("how it went", max_length=10, choices=Answer.choices, blank=True)
    answer_note = models.CharField("anything to add", max_length=rules.FLARE_UP_NOTE_MAX, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_last_day__gte=F("starts_on")), name="flare_up_planned_after_start"
            ),
            # Ended early, or not: then it lasts the days it was given.
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True, last_day=F("planned_last_day"))
                | Q(ended_at__isnull=False, ended_by__isnull=False, last_day__lt=F("planned_last_day")),
                name="flare_up_ended_early",
            ),
            models.CheckConstraint(
                condition=Q(plan__isnull=True, plan_rest_days__isnull=True)
                | Q(plan__isnull=False, plan_rest_days__gte=0, plan_rest_days__lte=rules.DAYS_IN_WEEK),
                name="flare_up_plan_rest_days",
            ),
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True)
                | Q(answer__in=["better", "same", "worse"], answered_at__isnull=False),
                name="flare_up_answer",
            ),
        ]
        indexes = [models.Index(fields=["patient", "starts_on", "last_day"], name="flare_up_patient_days_idx")]

    def __str__(self) -> str:
        return f"Flare-up of {self.patient_id} from {self.starts_on}"

    def covers(self, day) -> bool:
        return self.starts_on <= day <= self.last_day

    @property
    def back_on(self):
        """The day the usual program is back."""
        return self.last_day + ONE_DAY

    @property
    def ended_early(self) -> bool:
        return self.ended_at is not None

    def clean(self):
        if self.last_day is not None and self.starts_on is not None and self.last_day < self.starts_on - ONE_DAY:
            raise ValidationError("A flare-up cannot end before it started.")


class ProgramTemplate(Schedule):
    """A clinic's reusable program: a starting point for a new patient's program."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="program_templates")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "clinic",
                Lower("name"),
                name="program_template_name_unique",
                violation_error_message="Your clinic already has a template with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateExercise(Dosage):
    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    notes = models.CharField(max_length=rules.NOTES_MAX, blank=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            *Dosage.dosage_constraints("template_exercise"),
            models.UniqueConstraint(fields=["template", "position"], name="template_exercise_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.exercise}"


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


class CalendarFeed(models.Model):
    """A patient's private calendar link: their planned sessions and pauses as an iCalendar feed that a phone's
    calendar subscribes to. Whoever holds the link reads the feed, so the patient can reset it: the new token
    replaces the old one, whose link then finds nothing."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, help_text="When this link was made (or last reset).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(token__regex=r"^[A-Za-z0-9_-]{32,64}$"),  # noqa: S106 - a pattern, not a password
                name="calendar_feed_token_format",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar link of {self.patient}"
