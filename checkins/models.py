from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from patients.models import Patient
from patients.rules import PAIN_MAX, PAIN_MIN
from programs.models import ProgramExercise, ProgramVersion

from . import rules


class ExerciseOutcome(models.TextChoices):
    DONE = "done", "Done"
    PARTLY = "partly", "Partly"
    SKIPPED = "skipped", "Skipped"


PAIN_VALIDATORS = [MinValueValidator(PAIN_MIN), MaxValueValidator(PAIN_MAX)]


def _pain(field: str) -> Q:
    return Q(**{f"{field}__gte": PAIN_MIN, f"{field}__lte": PAIN_MAX})


class WarningSymptoms(models.Model):
    """The three warning symptoms every check-in and symptom report asks about (docs/clinical-rules.md, rule 5)."""

    bladder_bowel = models.BooleanField("new problems controlling bladder or bowel", default=False)
    saddle_numbness = models.BooleanField("numbness between the legs or around the bottom", default=False)
    leg_weakness = models.BooleanField("new weakness in both legs", default=False)

    class Meta:
        abstract = True

    @property
    def warning_symptoms(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name) for name in rules.WARNING_SYMPTOM_FIELDS if getattr(self, name)
        ]

    @property
    def has_warning_symptom(self) -> bool:
        return any(getattr(self, name) for name in rules.WARNING_SYMPTOM_FIELDS)

    @property
    def symptoms(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in rules.WARNING_SYMPTOM_FIELDS}


class CheckIn(WarningSymptoms):
    """A patient's report of one exercise session: what was done, pain, and warning symptoms."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="checkins")
    session_date = models.DateField()
    max_pain = models.PositiveSmallIntegerField("highest pain during the session", validators=PAIN_VALIDATORS)
    pain_now = models.PositiveSmallIntegerField(validators=PAIN_VALIDATORS)
    sharp_pain = models.BooleanField("sharp or intense pain")
    note = models.TextField(blank=True, validators=[MaxLengthValidator(rules.NOTE_MAX)])
    idempotency_key = models.UUIDField(unique=True, editable=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    corrected_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the flag rules last ran on this check-in; empty until they have."
    )

    class Meta:
        verbose_name = "check-in"
        ordering = ["-session_date", "-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=_pain("max_pain"), name="checkin_max_pain_range"),
            models.CheckConstraint(condition=_pain("pain_now"), name="checkin_pain_now_range"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), rules.NOTE_MAX), name="checkin_note_length"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "session_date"], name="checkin_patient_date_idx"),
            models.Index(
                fields=["submitted_at"], condition=Q(evaluated_at__isnull=True), name="checkin_unevaluated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} on {self.session_date}"


class ExerciseResult(models.Model):
    """How one exercise of the program went in a checked-in session."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(ProgramExercise, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=ExerciseOutcome.choices)

    class Meta:
        ordering = ["item__position"]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "item"], name="exercise_result_unique"),
            models.CheckConstraint(condition=Q(outcome__in=ExerciseOutcome.values), name="exercise_result_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.outcome}"


class CheckInCorrection(models.Model):
    """The values a check-in had before its patient corrected it; kept so staff see both."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="corrections")
    previous = models.JSONField(help_text="The check-in's values before this correction.")
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"Correction of {self.checkin_id} at {self.corrected_at}"


class SymptomReport(WarningSymptoms):
    """Warning symptoms, or a flare of sharp pain, that a patient tells the clinic about without a session: from the
    page "Tell the clinic about a new symptom", or from a check-in form whose other answers still needed another look.
    Never a session: the rest rule does not count it (docs/clinical-rules.md, rule 14)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="symptom_reports")
    sharp_pain = models.BooleanField("a flare of sharp or intense pain", default=False)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(rules.NOTE_MAX)])
    idempotency_key = models.UUIDField(unique=True, editable=False)
    form_key = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The check-in form it came from (that form's idempotency key), when the rest of the form still "
        "needed answers.",
    )
    reported_at = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the flag rules last ran on this report; empty until they have."
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bladder_bowel=True)
                | Q(saddle_numbness=True)
                | Q(leg_weakness=True)
                | Q(sharp_pain=True)
                | ~Q(note=""),
                name="symptom_report_says_something",
                violation_error_message=rules.EMPTY_SYMPTOM_REPORT,
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), rules.NOTE_MAX), name="symptom_report_note_length"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "reported_at"], name="symptom_report_patient_idx"),
            models.Index(fields=["form_key"], condition=Q(form_key__isnull=False), name="symptom_report_form_idx"),
            models.Index(
                fields=["reported_at"], condition=Q(evaluated_at__isnull=True), name="symptom_report_unevaluated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: symptoms reported at {self.reported_at}"
