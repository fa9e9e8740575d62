"""The one-tap link in every reminder that stops that kind of reminder: signed (django.core.signing, salted), naming
the patient, the kind and the reminder it came with, so that it works once and nothing can be made up."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from . import rules

SALT = "reminders.stop"


@dataclass(frozen=True)
class StopLink:
    patient_id: int
    kind: str
    reminder_id: int


def stop_token(*, patient_id: int, kind: str, reminder_id: int) -> str:
    return signing.dumps({"p": patient_id, "k": kind, "r": reminder_id}, salt=SALT, compress=True)


def stop_url(*, patient_id: int, kind: str, reminder_id: int) -> str:
    token = stop_token(patient_id=patient_id, kind=kind, reminder_id=reminder_id)
    return settings.SITE_URL.rstrip("/") + reverse("reminders:stop", args=[token])


def read_stop_token(token: str) -> StopLink | None:
    """What a stop link names, or None when it is forged, mangled or stale (older than rules.STOP_LINK_DAYS)."""
    try:
        value = signing.loads(token, salt=SALT, max_age=rules.STOP_LINK_DAYS * 24 * 60 * 60)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(value, dict):
        return None
    patient_id, kind, reminder_id = value.get("p"), value.get("k"), value.get("r")
    if not isinstance(patient_id, int) or not isinstance(reminder_id, int) or kind not in rules.KINDS:
        return None
    return StopLink(patient_id, kind, reminder_id)
