from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from patients.models import Patient

from .. import rules
from .programs import ProgramVersion

ONE_DAY = timedelta(days=1)


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
