"""A patient's reminder settings, the reminders sent to them (one per patient, kind and day: what makes a rerun send
nothing twice) and the browsers their Web Push notifications go to."""

from django.db import models
from django.db.models import Q

from patients.models import Patient

from . import rules


class ReminderKind(models.TextChoices):
    SESSION = rules.SESSION, "Reminder on a session day"
    NUDGE = rules.NUDGE, "Nudge before the rest limit"


class ReminderSettings(models.Model):
    """How a patient wants their reminders. A patient without a row has these fields' defaults: the run reads the two
    alike."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="reminder_settings")
    time = models.TimeField("reminder time", default=rules.DEFAULT_TIME)
    sessions = models.BooleanField("remind me on session days", default=True)
    nudges = models.BooleanField("nudge me before my rest days run out", default=True)
    email = models.BooleanField("by e-mail", default=True)
    push = models.BooleanField("by notification on this phone or computer", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Reminders of {self.patient}"


class ReminderSent(models.Model):
    """One reminder sent: a patient gets at most one of each kind on a day of their clinic's calendar, and one nudge
    per rest (the rest's last session day, `rest_since`)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders_sent")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    local_date = models.DateField(help_text="The day, in the clinic's time zone, the reminder was for.")
    sent_at = models.DateTimeField()
    rest_since = models.DateField(null=True, blank=True, help_text="A nudge's rest: the last session before it.")
    emailed = models.BooleanField(default=False)
    pushed = models.PositiveSmallIntegerField(default=0, help_text="Browsers the notification reached.")
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="When its stop link was used.")

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "local_date"],
                name="one_reminder_per_patient_kind_day",
                violation_error_message="This reminder was already sent that day.",
            ),
            models.UniqueConstraint(
                fields=["patient", "rest_since"],
                condition=Q(kind=rules.NUDGE),
                name="one_nudge_per_rest",
                violation_error_message="This rest was already nudged.",
            ),
            models.CheckConstraint(condition=Q(kind__in=[rules.SESSION, rules.NUDGE]), name="reminder_sent_kind"),
            models.CheckConstraint(
                condition=Q(kind=rules.SESSION, rest_since__isnull=True)
                | Q(kind=rules.NUDGE, rest_since__isnull=False, rest_since__lt=models.F("local_date")),
                name="reminder_sent_nudge_rest",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-sent_at"], name="reminder_sent_patient_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.patient} on {self.local_date}"


class PushSubscription(models.Model):
    """A browser that agreed to show the patient's notifications: where to send them (the push service's endpoint)
    and the keys that encrypt them for that browser alone."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=rules.ENDPOINT_MAX, unique=True)
    p256dh = models.CharField(max_length=rules.KEY_MAX)
    auth = models.CharField(max_length=rules.KEY_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(p256dh="") & ~Q(auth=""), name="push_subscription_keys"),
        ]

    def __str__(self) -> str:
        return f"Notifications of {self.patient}"

    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
