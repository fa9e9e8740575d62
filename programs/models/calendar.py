from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.models import Patient


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
