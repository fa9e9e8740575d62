from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from checkins.models import CheckIn, SymptomReport
from patients.models import Patient
from programs.models import FlareUp, ProgramVersion

from . import rules


class FlagReason(models.TextChoices):
    WARNING_SYMPTOMS = "warning_symptoms", "Warning symptoms"
    PAIN = "pain", "Pain over threshold"
    SHARP_PAIN = "sharp_pain", "Sharp or intense pain"
    WORSENING = "worsening", "Pain getting worse"
    REST = "rest", "Resting too long"
    NEW_SYMPTOM = "new_symptom", "New symptom reported"
    OUTCOME_WORSE = "outcome_worse", "Outcome worse"
    FLARE_UP = "flare_up", "Flare-up"


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
    DISCHARGED = "discharged", "Patient discharged"


# What staff choose when they resolve a flag: the others are recorded by the app (a check-in that ends a rest, a
# discharge that closes the patient's flags).
STAFF_OUTCOMES = [c for c in FlagOutcome.choices if c[0] not in (FlagOutcome.PATIENT_REPORTED, FlagOutcome.DISCHARGED)]
UNRESOLVED = ~Q(status=FlagStatus.RESOLVED)


def overdue_at(now) -> Q:
    """Flags nobody acknowledged by their deadline (rule 9), at `now`: Flag.is_overdue as a query condition, for the
    queue's rows and tiles and the escalation."""
    return Q(status=FlagStatus.OPEN, acknowledged_at__isnull=True, ack_due_at__lt=now)


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
    # Resolved with "program changed": the version it led to (rule 17). The link lives here, on the flag, because
    # flags may know about programs and not the other way round; the program's history reads it through a hook.
    changed_to = models.ForeignKey(
        ProgramVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="version it led to",
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Rest flags only: the last session the rest counts from, and the whole days since, kept current by the sweep.
    rest_since = models.DateField(null=True, blank=True)
    rest_days = models.PositiveSmallIntegerField(null=True, blank=True)

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
            models.CheckConstraint(
                condition=Q(changed_to__isnull=True)
                | Q(status=FlagStatus.RESOLVED, outcome=FlagOutcome.PROGRAM_CHANGED),
                name="flag_changed_to_when_program_changed",
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

    @property
    def explanation(self) -> str:
        """Why the flag was raised, in words; an open rest flag's with its count of days as it is now."""
        if self.rest_days is not None and self.rest_since is not None and self.is_open:
            return rules.rest_explanation(days=self.rest_days, last_session=self.rest_since)
        return self.details.get("explanation", "")

    def is_overdue(self, now=None) -> bool:
        """Nobody acknowledged it by its deadline (rule 9); overdue_at() is the same as a query condition."""
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
    REOPENED = "reopened", "Needs acknowledging again"


class FlagEvent(models.Model):
    """Something that happened to a flag, with the values behind it. Appended, never changed."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=FlagEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The report behind the event, when there is one: a check-in, or a symptom report sent without a session.
    checkin = models.ForeignKey(CheckIn, on_delete=models.PROTECT, null=True, blank=True, related_name="flag_events")
    symptom_report = models.ForeignKey(
        SymptomReport, on_delete=models.PROTECT, null=True, blank=True, related_name="flag_events"
    )
    flare_up = models.ForeignKey(FlareUp, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    values = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # Evaluating a check-in twice adds no second event for it.
            models.UniqueConstraint(
                fields=["flag", "checkin"],
                condition=Q(checkin__isnull=False) & Q(kind__in=["raised", "evidence"]),
                name="flag_event_once_per_checkin",
            ),
            models.UniqueConstraint(
                fields=["flag", "symptom_report"],
                condition=Q(symptom_report__isnull=False) & Q(kind__in=["raised", "evidence"]),
                name="flag_event_once_per_symptom_report",
            ),
            models.UniqueConstraint(
                fields=["flare_up"],
                condition=Q(flare_up__isnull=False) & Q(kind__in=["raised", "evidence"]),
                name="flag_event_once_per_flare_up",
            ),
            models.CheckConstraint(
                condition=(Q(checkin__isnull=True) | Q(symptom_report__isnull=True))
                & (Q(flare_up__isnull=True) | (Q(checkin__isnull=True) & Q(symptom_report__isnull=True))),
                name="flag_event_one_source",
            ),
            models.CheckConstraint(condition=Q(kind__in=FlagEventKind.values), name="flag_event_kind_valid"),
        ]
        indexes = [models.Index(fields=["flag", "at"], name="flag_event_flag_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at}"
