from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from patients.models import Episode, Patient
from rehab.models import Clinic

from . import rules


class Scoring(models.TextChoices):
    SINGLE = "single", "The one item's answer"
    SUM = "sum", "Sum of the items"
    MEAN = "mean", "Mean of the items"
    PSFS = "psfs", "Patient-Specific Functional Scale: mean of the activities' ratings"
    ODI = "odi", "Oswestry Disability Index: percentage of the points possible"
    RMDQ = "rmdq", "Roland-Morris: statements that apply"
    START_BACK = "start_back", "STarT Back: overall and psychosocial scores, risk group"


assert set(Scoring.values) == set(rules.SCORING_RULES), "every scoring rule the code knows, and no other"


class Timepoint(models.TextChoices):
    INTAKE = rules.Timepoint.INTAKE.value, rules.Timepoint.INTAKE.label
    FOLLOW_UP = rules.Timepoint.FOLLOW_UP.value, rules.Timepoint.FOLLOW_UP.label
    DISCHARGE = rules.Timepoint.DISCHARGE.value, rules.Timepoint.DISCHARGE.label


SCORE = {"max_digits": 7, "decimal_places": 2}


class Instrument(models.Model):
    """One version of an outcome measure, as its definition file gives it: items, answer options, scoring rule, score
    range, direction of better, minimal clinically important difference and licence. Shipped instruments (free to
    use) have no clinic; a clinic that holds the licence of another loads its wording for itself. A version, once
    loaded, never changes: answers keep pointing at the wording they answered."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    key = models.SlugField(max_length=40)
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    short_name = models.CharField(max_length=40)
    scoring = models.CharField(max_length=20, choices=Scoring.choices)
    score_min = models.DecimalField(**SCORE)
    score_max = models.DecimalField(**SCORE)
    higher_is_better = models.BooleanField()
    mcid = models.DecimalField(
        "minimal clinically important difference",
        null=True,
        blank=True,
        help_text="None for a screening tool.",
        **SCORE,
    )
    compares_with_start = models.BooleanField(
        default=True, help_text="False for a rating of change, whose score is itself the change."
    )
    timepoints = models.JSONField(help_text="When it may be asked: intake, follow_up, discharge.")
    licence = models.TextField()
    definition = models.JSONField(help_text="The instrument file as loaded.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], condition=Q(clinic__isnull=True), name="instrument_shipped_version"
            ),
            models.UniqueConstraint(fields=["clinic", "key", "version"], name="instrument_clinic_version"),
            models.CheckConstraint(condition=Q(score_min__lt=models.F("score_max")), name="instrument_score_range"),
            models.CheckConstraint(condition=Q(mcid__isnull=True) | Q(mcid__gt=0), name="instrument_mcid_positive"),
            models.CheckConstraint(condition=Q(scoring__in=Scoring.values), name="instrument_scoring_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class OutcomeSettings(models.Model):
    """How often a clinic asks the follow-up questionnaire. A clinic without a row asks on the default schedule."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="outcome_settings")
    follow_up_weeks = models.PositiveSmallIntegerField(
        "follow-up questionnaire every (weeks)",
        default=rules.DEFAULT_FOLLOW_UP_WEEKS,
        validators=[MinValueValidator(rules.FOLLOW_UP_WEEKS_MIN), MaxValueValidator(rules.FOLLOW_UP_WEEKS_MAX)],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    follow_up_weeks__gte=rules.FOLLOW_UP_WEEKS_MIN, follow_up_weeks__lte=rules.FOLLOW_UP_WEEKS_MAX
                ),
                name="outcome_settings_weeks_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: every {self.follow_up_weeks} weeks"


class ScheduledMeasure(models.Model):
    """A clinic's choice: this instrument (by key, its latest version) at intake, at follow-ups, at discharge."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    instrument_key = models.SlugField(max_length=40)
    at_intake = models.BooleanField(default=False)
    at_follow_up = models.BooleanField(default=False)
    at_discharge = models.BooleanField(default=False)

    class Meta:
        ordering = ["instrument_key"]
        constraints = [models.UniqueConstraint(fields=["clinic", "instrument_key"], name="scheduled_measure_unique")]

    def __str__(self) -> str:
        return f"{self.clinic}: {self.instrument_key}"


class QuestionnaireStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Planned"
    DUE = "due", "Due"
    COMPLETED = "completed", "Answered"
    EXPIRED = "expired", "Not answered"  # a newer one came due first, or the course of care ended
    CANCELLED = "cancelled", "Not asked"  # nothing to ask (the clinic's schedule has no measure for it)


class Questionnaire(models.Model):
    """The measures a patient is asked at one point of a course of care: at intake, at a follow-up, at discharge.
    Asked once: one per course of care at intake and at discharge, one per due day at follow-ups."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    timepoint = models.CharField(max_length=10, choices=Timepoint.choices)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DUE)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "timepoint"],
                condition=Q(timepoint__in=[Timepoint.INTAKE, Timepoint.DISCHARGE]),
                name="questionnaire_once_per_episode",
            ),
            models.UniqueConstraint(
                fields=["episode", "due_on"],
                condition=Q(timepoint=Timepoint.FOLLOW_UP),
                name="questionnaire_follow_up_once_per_day",
            ),
            models.CheckConstraint(condition=Q(timepoint__in=Timepoint.values), name="questionnaire_timepoint_valid"),
            models.CheckConstraint(
                condition=Q(status__in=QuestionnaireStatus.values), name="questionnaire_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=QuestionnaireStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=QuestionnaireStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="questionnaire_completed_has_time",
            ),
        ]
        indexes = [
            # The hourly task: planned follow-ups whose day has come.
            models.Index(
                fields=["due_on"], condition=Q(status=QuestionnaireStatus.SCHEDULED), name="questionnaire_planned_idx"
            ),
            models.Index(fields=["patient", "status"], name="questionnaire_patient_idx"),
            models.Index(fields=["episode", "status"], name="questionnaire_episode_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_timepoint_display()} questionnaire of {self.patient_id} due {self.due_on}"

    @property
    def started(self) -> bool:
        """Whether the patient has answered any of it (reads the measurements, prefetched where lists show it)."""
        return any(measurement.answers for measurement in self.measurements.all())


class Measurement(models.Model):
    """One instrument's answers within a questionnaire, and once it is sent, its score."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="measurements")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(null=True, blank=True, **SCORE)
    subscores = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=20, blank=True, help_text="A risk group, for a screening tool.")

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "instrument"], name="measurement_once_per_questionnaire"),
            models.UniqueConstraint(fields=["questionnaire", "position"], name="measurement_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.short_name}: {self.score}"
