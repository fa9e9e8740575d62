"""The patient's private calendar link: made, or reset, by the patient."""

import secrets

from django.db import transaction
from django.utils import timezone

from patients.models import Patient

from ..models import CalendarFeed

TOKEN_BYTES = 32  # 43 characters in the link, 256 bits: not to be guessed


@transaction.atomic
def calendar_feed_reset(*, patient: Patient) -> CalendarFeed:
    """Give the patient a calendar link with a new secret: the first one, or one that replaces the link they had
    (which then finds nothing, wherever it was shared or subscribed to)."""
    feed = CalendarFeed.objects.select_for_update().filter(patient=patient).first() or CalendarFeed(patient=patient)
    feed.token = secrets.token_urlsafe(TOKEN_BYTES)
    feed.created_at = timezone.now()
    feed.full_clean(validate_unique=False)
    feed.save()
    return feed
