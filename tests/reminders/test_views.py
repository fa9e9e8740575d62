"""The patient's reminder settings and notification subscriptions on My details, and what staff see."""

import json
from datetime import time, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from reminders.models import PushSubscription, ReminderSent, ReminderSettings
from reminders.services import push_subscription_save
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

SUBSCRIPTION = {
    "endpoint": "https://push.example.net/send/abc123",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}


def post_json(client, name, body):
    return client.post(reverse(name), json.dumps(body), content_type="application/json")


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient.user)
    return client


def test_my_details_shows_the_defaults(signed_in):
    page = signed_in.get(reverse("patients:my_details")).content.decode()
    assert 'id="reminders-h"' in page
    assert 'value="18:00"' in page
    assert "Europe/London" in page


@override_settings(WEB_PUSH_VAPID_PRIVATE_KEY="x", WEB_PUSH_VAPID_PUBLIC_KEY="BPUBLIC")
def test_the_notifications_button_is_offered_when_web_push_is_set_up(signed_in):
    page = signed_in.get(reverse("patients:my_details")).content.decode()
    assert 'data-vapid-key="BPUBLIC"' in page
    assert "js/push-subscribe.js" in page


def test_no_notifications_button_without_keys(signed_in):
    assert "push-subscribe.js" not in signed_in.get(reverse("patients:my_details")).content.decode()


def test_saving_the_time_and_channels(signed_in, patient):
    response = signed_in.post(reverse("reminders:settings"), {"time": "07:30", "sessions": "on", "push": "on"})
    assert response.status_code == 302 and response.url == reverse("patients:my_details")
    row = ReminderSettings.objects.get(patient=patient)
    assert (row.time, row.sessions, row.nudges, row.email, row.push) == (time(7, 30), True, False, False, True)
    assert 'value="07:30"' in signed_in.get(reverse("patients:my_details")).content.decode()


@pytest.mark.parametrize("value", ["", "25:00", "half past six", "18:60", "6pm", "99"])
def test_a_time_that_is_not_a_time_is_refused_beside_the_field(signed_in, patient, value):
    response = signed_in.post(reverse("reminders:settings"), {"time": value, "sessions": "on", "email": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "for example 18:00" in page
    assert 'aria-describedby="id_time_' in page or "invalid-feedback" in page
    assert not ReminderSettings.objects.exists()


def test_staff_cannot_post_reminder_settings(client, physio):
    client.force_login(physio)
    assert client.post(reverse("reminders:settings"), {"time": "07:00"}).status_code == 403
    assert not ReminderSettings.objects.exists()


@override_settings(WEB_PUSH_ALLOW_HTTP=False)
def test_subscribing_a_browser(signed_in, patient):
    assert post_json(signed_in, "reminders:push_subscription", SUBSCRIPTION).json() == {"saved": True, "new": True}
    again = post_json(signed_in, "reminders:push_subscription", SUBSCRIPTION)  # the same browser again
    assert again.json() == {"saved": True, "new": False}
    (saved,) = PushSubscription.objects.all()
    assert (saved.patient, saved.endpoint, saved.auth) == (patient, SUBSCRIPTION["endpoint"], "tBHItJI5svbpez7KI4CCXg")
    assert post_json(signed_in, "reminders:push_unsubscription", SUBSCRIPTION).status_code == 200
    assert not PushSubscription.objects.exists()


def test_a_subscription_another_account_holds_is_refused(signed_in, patient, physio):
    from tests.factories import make_patient

    other = make_patient(physio=physio)
    push_subscription_save(patient=other, endpoint=SUBSCRIPTION["endpoint"], **SUBSCRIPTION["keys"])
    changed = {**SUBSCRIPTION, "keys": {"p256dh": "BOTHER", "auth": "other"}}
    response = post_json(signed_in, "reminders:push_subscription", changed)
    assert response.status_code == 409
    assert "another account" in response.json()["error"]
    (kept,) = PushSubscription.objects.all()
    assert (kept.patient, kept.auth) == (other, "tBHItJI5svbpez7KI4CCXg")
    # Nor can the patient turn off another account's notifications.
    post_json(signed_in, "reminders:push_unsubscription", SUBSCRIPTION)
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"endpoint": "https://push.example.net/x"},
        {"endpoint": "not a url", "keys": {"p256dh": "a", "auth": "b"}},
        {"endpoint": "http://push.example.net/x", "keys": {"p256dh": "a", "auth": "b"}},  # not HTTPS
        {"endpoint": "https://push.example.net/" + "x" * 2100, "keys": {"p256dh": "a", "auth": "b"}},
        {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "a" * 300, "auth": "b"}},
    ],
)
def test_a_subscription_that_cannot_be_read_stores_nothing(signed_in, body):
    data = body if isinstance(body, str) else json.dumps(body)
    response = signed_in.post(reverse("reminders:push_subscription"), data, content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_staff_see_the_last_reminder_sent_when_two_went_at_the_same_moment(client, physio, patient):
    from django.utils import timezone

    moment = timezone.now()
    today = timezone.localdate()
    ReminderSent.objects.create(patient=patient, kind="session", local_date=today, sent_at=moment)
    ReminderSent.objects.create(  # recorded later: the last
        patient=patient, kind="nudge", local_date=today, sent_at=moment, rest_since=today - timedelta(days=2)
    )
    client.force_login(physio)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Last sent: nudge before the rest limit" in page


def test_a_subscription_needs_the_sessions_csrf_token(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient.user)
    assert post_json(client, "reminders:push_subscription", SUBSCRIPTION).status_code == 403
    assert not PushSubscription.objects.exists()


def test_the_service_worker_takes_in_the_push_handlers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")  # as rehab.installable serves it
    assert 'importScripts("/static/js/sw-push.js")' in response.content.decode()


def test_staff_see_whether_and_when(client, physio, patient):
    client.force_login(physio)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Session days: reminded at 18:00" in page
    assert "Last sent: none yet" in page
    ReminderSettings.objects.create(patient=patient, time=time(8), sessions=False, email=True, push=False)
    from django.utils import timezone

    ReminderSent.objects.create(
        patient=patient, kind="session", local_date=timezone.localdate(), sent_at=timezone.now()
    )
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Session days: turned off by the patient" in page
    assert "Before the rest limit: nudged at 08:00" in page
    assert "Last sent: reminder on a session day" in page
    ReminderSettings.objects.filter(patient=patient).update(push=True)
    for n in (1, 2):
        PushSubscription.objects.create(
            patient=patient, endpoint=f"https://push.example.org/send/{n}", p256dh="key", auth="secret"
        )
    with count_queries() as queries:
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "By: e-mail and notifications on 2 devices" in page
    # Settings, the last reminder and the devices come in one read.
    assert sum('"reminders_' in q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")) == 1
