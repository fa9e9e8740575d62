"""Web Push (RFC 8030, with VAPID, RFC 8292, and the aes128gcm encryption of RFC 8291) through pywebpush: one
notification to one browser."""

import json
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from pywebpush import WebPushException, webpush

logger = logging.getLogger(__name__)

GONE = (404, 410)  # the push service no longer knows the subscription: the browser dropped it
TTL_SECONDS = 6 * 60 * 60  # a reminder the phone could not get within six hours is not worth showing late
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class PushResult:
    sent: bool
    gone: bool = False


def send(*, subscription: dict, payload: dict) -> PushResult:
    """Encrypt `payload` for the subscription's browser and hand it to its push service."""
    try:
        webpush(
            subscription_info=subscription,
            data=json.dumps(payload),
            vapid_private_key=settings.WEB_PUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEB_PUSH_CONTACT},
            ttl=TTL_SECONDS,
            timeout=TIMEOUT_SECONDS,
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
