from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from patients.models import Patient
from rehab.models import Clinic

from .. import rules
from .library import Dosage, Exercise, between


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
                condition=Q(sessions_per_week__isnull=True) | between("sessions_per_week", 1, 7),
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
