"""The database keeps one reminder per patient, kind and day, one nudge per rest, and one owner per browser: through
full_clean and through a raw create alike."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reminders.models import PushSubscription, ReminderSent

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 18)


def sent(patient, **fields):
    return ReminderSent(patient=patient, sent_at=timezone.now(), **{"kind": "session", "local_date": DAY} | fields)


def refused(row, message: str):
    with pytest.raises(ValidationError, match=message):
        row.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_one_reminder_per_patient_kind_and_day(patient):
    sent(patient).save()
    refused(sent(patient), "already sent that day")
    sent(patient, kind="nudge", rest_since=date(2026, 11, 15)).save()  # another kind, the same day


def test_one_nudge_per_rest(patient):
    sent(patient, kind="nudge", rest_since=date(2026, 11, 15)).save()
    refused(sent(patient, kind="nudge", rest_since=date(2026, 11, 15), local_date=date(2026, 11, 19)), "already nudged")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "nudge"},  # a nudge names its rest
        {"kind": "nudge", "rest_since": DAY},  # which began before the day
        {"kind": "session", "rest_since": date(2026, 11, 15)},
        {"kind": "digest"},
    ],
)
def test_kind_and_rest_agree(patient, fields):
    with pytest.raises(ValidationError):
        sent(patient, **fields).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(patient=patient, sent_at=timezone.now(), local_date=DAY, **fields)


def test_one_owner_per_browser_and_its_keys(patient):
    PushSubscription.objects.create(patient=patient, endpoint="https://push.example.net/a", p256dh="k", auth="a")
    refused(PushSubscription(patient=patient, endpoint="https://push.example.net/a", p256dh="k", auth="a"), "endpoint")
    with pytest.raises(IntegrityError), transaction.atomic():
        PushSubscription.objects.create(patient=patient, endpoint="https://push.example.net/b", p256dh="", auth="a")
