from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

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
    phone = PhoneNumberField(
        "phone number", blank=True, help_text="Stored in international (E.164) form, for staff to call the patient."
    )
    condition = models.TextField("condition", max_length=1000, help_text="A short description of the condition.")
    pain_threshold = models.PositiveSmallIntegerField(
        validators=THRESHOLD_VALIDATORS,
        help_text="The highest pain (0-5 scale) a session may reach before the patient is flagged.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    set_password_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last link to set a password was sent (at registration or again)."
    )

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
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=rules.E164_PATTERN), name="patient_phone_e164"
            ),
            # A date of birth at least (nearly) a year before the patient was registered: the service holds the exact
            # year against the clinic's today (patients.rules.MIN_AGE_YEARS).
            models.CheckConstraint(
                condition=Q(date_of_birth__lte=Cast("created_at", models.DateTimeField()) - rules.MIN_AGE_DB),
                name="patient_born_a_year_before",
                violation_error_message="The date of birth must be at least a year before today.",
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
    # The condition phase this decision was made for: a later phase asks the physiotherapist to review it (rule 15).
    phase = models.CharField(max_length=10, choices=rules.PHASE_CHOICES, blank=True)
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
            models.CheckConstraint(
                condition=Q(phase__in=["", *rules.PHASE_VALUES]), name="threshold_change_phase_valid"
            ),
        ]
        indexes = [models.Index(fields=["patient", "changed_at"], name="threshold_change_patient_idx")]

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


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    SELF_MANAGING = "self_managing", "Self-managing"
    REFERRED_ON = "referred_on", "Referred on"
    STOPPED_ATTENDING = "stopped_attending", "Stopped attending"
    OTHER = "other", "Other"


OPEN_EPISODE = Q(discharged_at__isnull=True)


class Episode(models.Model):
    """A course of care: from a referral to a discharge. A patient has at most one open episode; a new referral
    after a discharge opens another, with its own onset and condition (the patient's own fields hold the open, or
    last, episode's). Nothing about an episode is deleted."""

    # Part of the patient's own record, as their threshold history and pauses are (their check-ins and flags protect
    # a patient from deletion; a registration made by mistake can be deleted in the Django admin).
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    # The patient's clinic, kept here too so that the clinic's outcomes read its episodes through one index.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    referral_date = models.DateField()
    referrer = models.CharField(
        max_length=200, blank=True, help_text="Who referred the patient, e.g. 'Dr Ann Smith, Riverside GP'."
    )
    condition = models.TextField(max_length=1000)
    onset_date = models.DateField("injury onset date")
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharged_on = models.DateField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The physiotherapist who looked after the patient when they were discharged: the clinic's outcomes count the
    # episode for them.
    physiotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField("outcome and note", blank=True, max_length=rules.DISCHARGE_NOTE_MAX)
    self_management_advice = models.TextField(blank=True, max_length=rules.ADVICE_MAX)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=OPEN_EPISODE,
                name="one_open_episode_per_patient",
                violation_error_message="This patient is already in a course of care.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(discharged_at__isnull=True, discharged_on__isnull=True, discharge_reason="")
                    | (
                        Q(discharged_at__isnull=False, discharged_on__isnull=False)
                        & Q(discharge_reason__in=DischargeReason.values)
                    )
                ),
                name="episode_discharge_complete",
                violation_error_message="A discharge needs its date and reason.",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("referral_date")),
                name="episode_discharged_after_referral",
                violation_error_message="The discharge cannot be before the referral.",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "discharged_on"], name="episode_clinic_discharged_idx"),
            models.Index(fields=["patient", "opened_at"], name="episode_patient_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} from {self.referral_date}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None
