"""Web Push (RFC 8030, with VAPID, RFC 8292, and the aes128gcm encryption of RFC 8291) through pywebpush: one
notification to one browser, or a batch of them through one Sender."""

import json
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

logger = logging.getLogger(__name__)

GONE = (404, 410)  # the push service no longer knows the subscription: the browser dropped it
TTL_SECONDS = 6 * 60 * 60  # a reminder the phone could not get within six hours is not worth showing late
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class PushResult:
    sent: bool
    gone: bool = False


class Sender:
    """Sends a batch of notifications: the VAPID key read once, and one HTTPS session, so that the connection to each
    push service is kept open from one notification to the next rather than made afresh (a TLS handshake) for each.
    Use it as a context manager: the session's connections close at the end."""

    def __init__(self):
        self._vapid = Vapid.from_string(private_key=settings.WEB_PUSH_VAPID_PRIVATE_KEY)
        self._session = requests.Session()

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *exc) -> None:
        self._session.close()

    def send(self, *, subscription: dict, payload: dict) -> PushResult:
        """Encrypt `payload` for the subscription's browser and hand it to its push service."""
        return _send(subscription, payload, vapid=self._vapid, session=self._session)


def send(*, subscription: dict, payload: dict) -> PushResult:
    """One notification on its own (a batch goes through a Sender)."""
    with Sender() as sender:
        return sender.send(subscription=subscription, payload=payload)


def _send(subscription: dict, payload: dict, *, vapid: Vapid, session: requests.Session) -> PushResult:
    try:
        webpush(
            subscription_info=subscription,
            data=json.dumps(payload),
            vapid_private_key=vapid,
            vapid_claims={"sub": settings.WEB_PUSH_CONTACT},  # a new dict each time: pywebpush adds the service's "aud"
            ttl=TTL_SECONDS,
            timeout=TIMEOUT_SECONDS,
            requests_session=session,
        )
    except WebPushException as error:
        gone = error.status_code in GONE
        if not gone:
            logger.warning("A push notification was not accepted: %s", error.status_code or error.message)
        return PushResult(sent=False, gone=gone)
    except requests.RequestException as error:  # the push service could not be reached: the next reminder tries
        logger.warning("A push service could not be reached: %s", type(error).__name__)
        return PushResult(sent=False)
    return PushResult(sent=True)
