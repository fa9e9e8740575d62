"""Every reminder's stop link: it stops that kind of reminder, once; a forged, mangled or stale one changes nothing."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from reminders import links, rules, services
from reminders.models import ReminderSent, ReminderSettings

from .conftest import at, last_weekday_before

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(build):
    patient, _ = build(weekdays=[2])
    services.reminders_send_sessions(now=at(patient.clinic.time_zone, last_weekday_before(2), 19))
    (message,) = mail.outbox
    return patient, message.extra_headers["List-Unsubscribe"].strip("<>")


def path_of(url: str) -> str:
    return urlsplit(url).path


class SignedLongAgo(signing.TimestampSigner):
    """Signs as the app did a day more than a stop link lasts ago."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - (rules.STOP_LINK_DAYS + 1) * 24 * 60 * 60)


def test_the_link_asks_then_stops_that_kind_once(reminded):
    patient, url = reminded
    client = Client()  # not signed in: the link is enough
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert "Stop reminders on session days" in page.content.decode()
    assert not ReminderSettings.objects.filter(patient=patient).exists()  # opening it changes nothing
    done = client.post(path_of(url))
    assert done.status_code == 200
    assert "You will get no more reminders on session days." in done.content.decode()
    row = ReminderSettings.objects.get(patient=patient)
    assert (row.sessions, row.nudges, row.email) == (False, True, True)  # that kind only
    assert ReminderSent.objects.get().stopped_at is not None
    # Used once: a second tap, or a later opening, says it no longer works and changes nothing.
    row.sessions = True
    row.save()
    again = client.post(path_of(url))
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()
    assert client.get(path_of(url)).status_code == 404
    assert ReminderSettings.objects.get(patient=patient).sessions is True


def test_one_click_unsubscribe_from_a_mail_service(reminded):
    """RFC 8058: the mail service posts List-Unsubscribe=One-Click, with no session and no CSRF token."""
    patient, url = reminded
    client = Client(enforce_csrf_checks=True)
    response = client.post(path_of(url), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ReminderSettings.objects.get(patient=patient).sessions is False


def test_stopped_reminders_are_not_sent(reminded):
    patient, url = reminded
    Client().post(path_of(url))
    ReminderSent.objects.all().delete()
    services.reminders_send_sessions(now=at(patient.clinic.time_zone, last_weekday_before(2), 20))
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("kind", ["forged", "other_salt", "other_patient", "other_kind", "mangled", "stale"])
def test_forged_or_stale_links_change_nothing(reminded, build, kind):
    patient, url = reminded
    reminder = ReminderSent.objects.get()
    other, _ = build(weekdays=[2])
    named = {"p": patient.pk, "k": "session", "r": reminder.pk}
    tokens = {
        "forged": signing.dumps(named, key="not-the-key", salt=links.SALT),
        "other_salt": signing.dumps(named, salt="another.salt"),
        "other_patient": links.stop_token(patient_id=other.pk, kind="session", reminder_id=reminder.pk),
        "other_kind": links.stop_token(patient_id=patient.pk, kind="nudge", reminder_id=reminder.pk),
        "mangled": path_of(url).rstrip("/").rsplit("/", 1)[1][:-3] + "xyz",
        "stale": SignedLongAgo(salt=links.SALT).sign_object(named, compress=True),
    }
    client = Client()
    path = reverse("reminders:stop", args=[tokens[kind]])
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not ReminderSettings.objects.exists()
    assert ReminderSent.objects.get().stopped_at is None


def test_the_nudges_link_stops_nudges_only(build):
    from tests.helpers import send_checkin

    patient, version = build(weekdays=list(range(7)))
    send_checkin(version, days_ago=0)
    today = patient.clinic.local_today()
    services.reminders_send_nudges(now=at(patient.clinic.time_zone, today + timedelta(days=3), 19))
    (message,) = mail.outbox
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "Stop nudges after rest days" in Client().get(path_of(url)).content.decode()
    Client().post(path_of(url))
    row = ReminderSettings.objects.get(patient=patient)
    assert (row.sessions, row.nudges) == (True, False)
