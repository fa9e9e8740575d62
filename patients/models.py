from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from rehab.models import Clinic

from . import rules

THRESHOLD_VALIDATORS = [MinValueValidator(rules.THRESHOLD_MIN), MaxValueValidator(rules.THRESHOLD_MAX)]
THRESHOLD_RANGE = Q(pain_threshold__gte=rules.THRESHOLD_MIN) & Q(pain_threshold__lte=rules.THRESHOLD_MAX)


class Patient(models.Model):
    """A person in rehabilitation. Their name and contact email live on their login account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    physiotherapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload")
    date_of_birth = models.DateField()
    onset_date = models.DateField("injury onset date")
    condition = models.TextField("condition", max_length=1000, help_text="A short description of the condition.")
    pain_threshold = models.PositiveSmallIntegerField(
        validators=THRESHOLD_VALIDATORS,
        help_text="The highest pain (0-5 scale) a session may reach before the patient is flagged.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=THRESHOLD_RANGE,
                name="patient_threshold_range",
                violation_error_message="The pain threshold must be between 0 and 4.",
            ),
            models.CheckConstraint(
                condition=Q(onset_date__gte=F("date_of_birth")),
                name="patient_onset_after_birth",
                violation_error_message="The injury onset date cannot be before the date of birth.",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "onset_date"], name="patient_clinic_onset_idx"),
            models.Index(fields=["clinic", "physiotherapist"], name="patient_clinic_physio_idx"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name()

    @property
    def full_name(self) -> str:
        return self.user.get_full_name()

    def phase(self, today=None) -> rules.Phase:
        return rules.condition_phase(self.onset_date, today or self.clinic.local_today())


class ThresholdChange(models.Model):
    """One step in the history of a patient's pain threshold; the first is the default at registration."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="threshold_changes")
    previous_value = models.PositiveSmallIntegerField(null=True, blank=True, validators=THRESHOLD_VALIDATORS)
    value = models.PositiveSmallIntegerField(validators=THRESHOLD_VALIDATORS)
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        get_latest_by = "changed_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=rules.THRESHOLD_MIN) & Q(value__lte=rules.THRESHOLD_MAX),
                name="threshold_change_value_range",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="threshold_change_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.previous_value} -> {self.value}"


class Pause(models.Model):
    """A break the physiotherapist planned (holiday, illness): no rest flags while it lasts."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day of the pause.")
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resumed_on = models.DateField(null=True, blank=True, help_text="Set when the program resumes early.")
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="pause_ends_after_start",
                violation_error_message="The pause cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(resumed_on__isnull=True) | Q(resumed_on__gte=F("starts_on")),
                name="pause_resumed_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="pause_reason_required"),
        ]
        indexes = [models.Index(fields=["patient", "starts_on", "ends_on"], name="pause_patient_dates_idx")]

    def __str__(self) -> str:
        return f"{self.starts_on} to {self.ends_on}"

    @property
    def last_day(self):
        """The last paused day, earlier than planned if the program resumed early."""
        if self.resumed_on is not None:
            return min(self.ends_on, self.resumed_on - timedelta(days=1))
        return self.ends_on

    def covers(self, day) -> bool:
        return self.starts_on <= day <= self.last_day


class FlagReason(models.TextChoices):
    WARNING_SYMPTOMS = "warning_symptoms", "Warning symptoms"
    PAIN = "pain", "Pain over threshold"
    SHARP_PAIN = "sharp_pain", "Sharp or intense pain"
    WORSENING = "worsening", "Pain getting worse"
    REST = "rest", "Resting too long"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class FlagOutcome(models.TextChoices):
    CONTACTED_PATIENT = "contacted_patient", "Contacted the patient"
    PROGRAM_CHANGED = "program_changed", "Program changed"
    REFERRED = "referred", "Referred"
    NO_ACTION = "no_action", "No action needed"
    PATIENT_REPORTED = "patient_reported", "Patient reported a session"


STAFF_OUTCOMES = [c for c in FlagOutcome.choices if c[0] != FlagOutcome.PATIENT_REPORTED]
UNRESOLVED = ~Q(status=FlagStatus.RESOLVED)


class Flag(models.Model):
    """A patient who needs a clinician's attention, and why. Nothing about a flag is ever deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    details = models.JSONField(default=dict, help_text="The rule that fired and the values that fired it.")
    opened_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField(help_text="Escalated to the clinic's admins if not acknowledged by then.")
    last_evidence_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=FlagOutcome.choices, blank=True)
    resolution_note = models.TextField(blank=True, max_length=2000)
    notified_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-urgent", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "reason"],
                condition=UNRESOLVED,
                name="one_open_flag_per_patient_and_reason",
                violation_error_message="This patient already has an open flag for this reason.",
            ),
            models.CheckConstraint(condition=Q(reason__in=FlagReason.values), name="flag_reason_valid"),
            models.CheckConstraint(condition=Q(status__in=FlagStatus.values), name="flag_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.RESOLVED) | (Q(resolved_at__isnull=False) & ~Q(outcome="")),
                name="flag_resolved_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="flag_acknowledged_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "urgent", "opened_at"], name="flag_queue_idx"),
            models.Index(fields=["patient", "status"], name="flag_patient_status_idx"),
            models.Index(fields=["ack_due_at"], condition=Q(acknowledged_at__isnull=True), name="flag_ack_due_idx"),
            # The sweep's "resolved lately" test: a patient's rest flags by when staff resolved them.
            models.Index(fields=["patient", "resolved_at"], condition=Q(reason="rest"), name="flag_rest_resolved_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.status != FlagStatus.RESOLVED

    def is_overdue(self, now=None) -> bool:
        return (
            self.acknowledged_at is None
            and self.status == FlagStatus.OPEN
            and (now or timezone.now()) > self.ack_due_at
        )


class FlagEventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    EVIDENCE = "evidence", "New evidence"
    NOTIFIED = "notified", "Physiotherapist notified"
    ESCALATED = "escalated", "Escalated to clinic admins"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    REASSIGNED = "reassigned", "Patient reassigned"
    CORRECTED = "corrected", "Report corrected by the patient"


class FlagEvent(models.Model):
    """Something that happened to a flag, with the values behind it. Appended, never changed."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=FlagEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The session report behind the event, when there is one (a plain id: reports live in the programs app).
    report_id = models.BigIntegerField(null=True, blank=True)
    values = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # Evaluating a report twice adds no second event for it.
            models.UniqueConstraint(
                fields=["flag", "report_id"],
                condition=Q(report_id__isnull=False) & Q(kind__in=["raised", "evidence"]),
                name="flag_event_once_per_report",
            ),
            models.CheckConstraint(condition=Q(kind__in=FlagEventKind.values), name="flag_event_kind_valid"),
        ]
        indexes = [models.Index(fields=["flag", "at"], name="flag_event_flag_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at}"
