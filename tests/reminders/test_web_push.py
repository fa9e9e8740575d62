"""Web Push end to end: a browser's subscription posted to the app, the reminder run, and a push service of the
test's own on loopback that checks the VAPID signature and decrypts the notification with the subscription's keys, as
the browser would (RFC 8291 aes128gcm, with http_ece and cryptography). No push service outside the machine."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from rehab.vapid import b64url, new_key_pair
from reminders import services
from reminders.models import PushSubscription, ReminderSent

from .conftest import at, last_weekday_before

pytestmark = pytest.mark.django_db

PRIVATE, PUBLIC = new_key_pair()
PUSH_SETTINGS = {
    "WEB_PUSH_VAPID_PRIVATE_KEY": PRIVATE,
    "WEB_PUSH_VAPID_PUBLIC_KEY": PUBLIC,
    "WEB_PUSH_CONTACT": "mailto:clinic@example.com",
    "WEB_PUSH_ALLOW_HTTP": True,
}


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps for one subscription: its key pair and auth secret, and the endpoint its push service
    gave it."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


class PushService:
    """A push service on loopback: it checks each message's VAPID token, decrypts it for the browser it names, and
    answers 410 for the endpoints it was told are gone."""

    def __init__(self):
        self.received: list[dict] = []
        self.browsers: dict[str, Browser] = {}
        self.gone: set[str] = set()
        self.connections: list[tuple] = []  # the client's address of each message: one per connection it opened
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps a connection open for the next message, as push services do

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.connections.append(self.client_address)
                if self.path in service.gone:
                    self.send_response(410)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                browser = service.browsers[self.path]
                service.received.append(
                    {
                        "claims": service.check_vapid(self.headers["Authorization"]),
                        "encoding": self.headers["Content-Encoding"],
                        "ttl": int(self.headers["TTL"]),
                        "payload": json.loads(
                            http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth)
                        ),
                    }
                )
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def browser(self, name: str) -> Browser:
        path = f"/push/{name}"
        self.browsers[path] = Browser(self.origin + path)
        return self.browsers[path]

    @staticmethod
    def check_vapid(authorization: str) -> dict:
        """The VAPID header (RFC 8292): a JWT signed with ES256 by the key it names, which must be the app's."""
        scheme, _, params = authorization.partition(" ")
        assert scheme == "vapid"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        assert fields["k"] == PUBLIC
        header, claims, signature = fields["t"].split(".")
        raw = unb64(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when forged
        return json.loads(unb64(claims))


@pytest.fixture
def push_service():
    service = PushService()
    service.thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()


@override_settings(**PUSH_SETTINGS)
def test_a_reminder_reaches_the_browser_encrypted_for_it_alone(build, client, push_service):
    patient, _ = build(weekdays=[2], reminder_time=None)
    phone = push_service.browser("phone")
    client.force_login(patient.user)
    response = client.post(
        reverse("reminders:push_subscription"), json.dumps(phone.subscription()), content_type="application/json"
    )
    assert response.json() == {"saved": True, "new": True}
    wednesday = last_weekday_before(2)
    assert services.reminders_send_sessions(now=at(patient.clinic.time_zone, wednesday, 18, 1)) == 1
    (message,) = push_service.received
    assert message["encoding"] == "aes128gcm"
    assert message["claims"]["aud"] == push_service.origin
    assert message["claims"]["sub"] == "mailto:clinic@example.com"
    assert message["ttl"] > 0
    payload = message["payload"]
    assert payload["title"] == "Today is a session day"
    assert payload["url"].endswith(reverse("checkins:today"))
    assert "/reminders/stop/" in payload["stop_url"]
    reminder = ReminderSent.objects.get()
    assert (reminder.pushed, reminder.emailed) == (1, True)
    assert len(mail.outbox) == 1  # and by e-mail, the other channel
    # A rerun sends nothing twice, by either channel.
    assert services.reminders_send_sessions(now=at(patient.clinic.time_zone, wednesday, 18, 1)) == 0
    assert len(push_service.received) == 1


@override_settings(**PUSH_SETTINGS)
def test_push_alone_and_a_subscription_the_push_service_dropped_is_forgotten(build, push_service):
    patient, _ = build(weekdays=[2], email=False)
    kept, dropped = push_service.browser("kept"), push_service.browser("dropped")
    for browser in (kept, dropped):
        info = browser.subscription()
        services.push_subscription_save(patient=patient, endpoint=info["endpoint"], **info["keys"])
    push_service.gone.add("/push/dropped")
    assert services.reminders_send_sessions(now=at(patient.clinic.time_zone, last_weekday_before(2), 19)) == 1
    assert [message["payload"]["title"] for message in push_service.received] == ["Today is a session day"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]
    assert mail.outbox == []
    assert ReminderSent.objects.get().pushed == 1


@override_settings(**PUSH_SETTINGS)
def test_a_push_service_that_cannot_be_reached_holds_back_nothing_else(build, push_service):
    patient, _ = build(weekdays=[2])
    info = push_service.browser("phone").subscription()
    info["endpoint"] = "http://127.0.0.1:9/nobody-listens"
    services.push_subscription_save(patient=patient, endpoint=info["endpoint"], **info["keys"])
    assert services.reminders_send_sessions(now=at(patient.clinic.time_zone, last_weekday_before(2), 19)) == 1
    assert len(mail.outbox) == 1
    assert PushSubscription.objects.count() == 1  # unreachable is not gone: the next reminder tries again


@override_settings(**PUSH_SETTINGS)
def test_a_batch_of_notifications_shares_one_connection_to_the_push_service(build, push_service):
    first, _ = build(weekdays=[2], email=False)
    second, _ = build(weekdays=[2], email=False, clinic=first.clinic)
    for patient, name in ((first, "first"), (first, "first-tablet"), (second, "second")):
        info = push_service.browser(name).subscription()
        services.push_subscription_save(patient=patient, endpoint=info["endpoint"], **info["keys"])
    assert services.reminders_send_sessions(now=at(first.clinic.time_zone, last_weekday_before(2), 19)) == 2
    assert len(push_service.received) == 3
    assert all(message["claims"]["aud"] == push_service.origin for message in push_service.received)
    assert len(set(push_service.connections)) == 1  # one TLS handshake, not one per notification
    # Each notification alone (push.send) opens its own and closes it.
    from reminders import push

    push.send(subscription=push_service.browsers["/push/first"].subscription(), payload={"title": "x"})
    assert len(set(push_service.connections)) == 2


@override_settings(**{**PUSH_SETTINGS, "WEB_PUSH_VAPID_PRIVATE_KEY": "not a key"})
def test_a_key_that_cannot_be_read_sends_no_notification_and_holds_back_no_e_mail(build, push_service):
    patient, _ = build(weekdays=[2])
    info = push_service.browser("phone").subscription()
    services.push_subscription_save(patient=patient, endpoint=info["endpoint"], **info["keys"])
    assert services.reminders_send_sessions(now=at(patient.clinic.time_zone, last_weekday_before(2), 19)) == 1
    assert push_service.received == [] and len(mail.outbox) == 1
    assert (ReminderSent.objects.get().pushed, ReminderSent.objects.get().emailed) == (0, True)
