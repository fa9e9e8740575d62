"""Every write of the reminders app: the runs that send the reminders due (set-based, batched, idempotent), the
patient's settings, their browsers' subscriptions and the stop links."""

import contextlib
import logging
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from rehab import db
from rehab.db import id_slices

from . import links, push, rules, selectors
from .models import PushSubscription, ReminderSent, ReminderSettings

logger = logging.getLogger(__name__)

BATCH = 500  # reminders claimed, then delivered, together


def reminders_send_sessions(*, now: datetime | None = None) -> int:
    """Send every session reminder due now, in every clinic time zone: one query finds a zone's patients, each is
    claimed by its ReminderSent row (one per patient, kind and day) before anything is sent, so a rerun, a second
    beat or a re-delivered message sends nothing twice. Returns the reminders sent."""
    now = now or timezone.now()
    sent = 0
    for zone in selectors.zones(now=now):
        due = [(patient_id, None) for patient_id in selectors.due_session_reminders(zone=zone)]
        sent += _claim_and_deliver(kind=rules.SESSION, zone=zone, due=due, now=now)
    return sent


def reminders_send_nudges(*, now: datetime | None = None) -> int:
    """Send every nudge before the rest limit due now, once per rest (see reminders_send_sessions)."""
    now = now or timezone.now()
    sent = 0
    for zone in selectors.zones(now=now):
        sent += _claim_and_deliver(kind=rules.NUDGE, zone=zone, due=selectors.due_nudges(zone=zone), now=now)
    return sent


def _claim_and_deliver(*, kind: str, zone: selectors.Zone, due: list, now: datetime) -> int:
    sent = 0
    for part in id_slices(due, BATCH):
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(patient_id=patient_id, kind=kind, local_date=zone.today, sent_at=now, rest_since=since)
                for patient_id, since in part
            ],
            ignore_conflicts=True,  # claimed already by another run: that run sends it
            batch_size=db.BULK_BATCH,
        )
        claimed = list(
            ReminderSent.objects.filter(
                kind=kind,
                local_date=zone.today,
                sent_at=now,
                patient_id__in=[patient_id for patient_id, _ in part],
                emailed=False,
                pushed=0,
            ).select_related("patient__user", "patient__clinic")
        )
        sent += _deliver(claimed)
    return sent


def _deliver(reminders: list[ReminderSent]) -> int:
    """Send claimed reminders by each patient's channels; remember what reached them. A failure is logged and the
    others go on: a claimed reminder is never sent again."""
    patient_ids = [reminder.patient_id for reminder in reminders]
    own = {row.patient_id: row for row in ReminderSettings.objects.filter(patient_id__in=patient_ids)}
    browsers: dict[int, list[PushSubscription]] = {}
    if selectors.push_configured():
        for subscription in PushSubscription.objects.filter(patient_id__in=patient_ids).order_by("pk"):
            browsers.setdefault(subscription.patient_id, []).append(subscription)
    gone: list[int] = []
    pusher = contextlib.nullcontext()
    if browsers:
        try:
            pusher = push.Sender()
        except Exception:  # a key the server cannot read: the e-mails still go
            logger.exception("Web Push is configured with a key that cannot be read; no notification was sent")
            browsers = {}
    with get_connection() as connection, pusher:  # one SMTP session and one HTTPS session for the batch
        for reminder in reminders:
            wants = own.get(reminder.patient_id) or ReminderSettings(patient_id=reminder.patient_id)  # the defaults
            stop = links.stop_url(patient_id=reminder.patient_id, kind=reminder.kind, reminder_id=reminder.pk)
            if wants.email and reminder.patient.user.email:
                try:
                    reminder.emailed = connection.send_messages([_email(reminder, stop)]) == 1
                except Exception:
                    logger.exception("Could not e-mail reminder %s", reminder.pk)
                    connection.close()  # the next one opens it afresh
            if wants.push:
                payload = _payload(reminder, stop)
                for subscription in browsers.get(reminder.patient_id, []):
                    result = pusher.send(subscription=subscription.info(), payload=payload)
                    reminder.pushed += result.sent
                    if result.gone:
                        gone.append(subscription.pk)
    ReminderSent.objects.bulk_update(reminders, ["emailed", "pushed"], batch_size=db.BULK_BATCH)
    if gone:  # the browser dropped its subscription: forget it
        PushSubscription.objects.filter(pk__in=gone).delete()
    return sum(1 for reminder in reminders if reminder.emailed or reminder.pushed)


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _email(reminder: ReminderSent, stop: str) -> EmailMessage:
    texts = rules.TEXTS[reminder.kind]
    user = reminder.patient.user
    body = "\n".join(
        [
            f"Hello {user.first_name},",
            "",
            texts["body"],
            "",
            f"Today's program: {_site(reverse('checkins:today'))}",
            "",
            f"{texts['stop']}: {stop}",
            "You can change when and how you are reminded on My details: " + _site(reverse("patients:my_details")),
        ]
    )
    return EmailMessage(
        subject=texts["subject"],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _payload(reminder: ReminderSent, stop: str) -> dict:
    texts = rules.TEXTS[reminder.kind]
    return {
        "title": texts["title"],
        "body": texts["body"],
        "tag": f"{reminder.kind}-{reminder.local_date.isoformat()}",
        "url": _site(reverse("checkins:today")),
        "stop_url": stop,
        "stop_label": texts["stop"],
    }


# --- The patient's own settings --------------------------------------------------------------------


@transaction.atomic
def reminder_settings_save(
    *, patient: Patient, time: time, sessions: bool, nudges: bool, email: bool, push: bool
) -> ReminderSettings:
    row = ReminderSettings.objects.select_for_update().filter(patient=patient).first() or ReminderSettings(
        patient=patient
    )
    row.time, row.sessions, row.nudges, row.email, row.push = time, sessions, nudges, email, push
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def reminder_stop(*, link: links.StopLink, now: datetime | None = None) -> bool:
    """Stop the kind of reminder a stop link names, once: the reminder it came with remembers that its link was
    used. False, changing nothing, when the link was used already or names no reminder of that patient."""
    reminder = (
        ReminderSent.objects.select_for_update()
        .filter(pk=link.reminder_id, patient_id=link.patient_id, kind=link.kind, stopped_at__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    row, _ = ReminderSettings.objects.select_for_update().get_or_create(patient_id=link.patient_id)
    setattr(row, "sessions" if link.kind == rules.SESSION else "nudges", False)
    row.save()
    reminder.stopped_at = now or timezone.now()
    reminder.save(update_fields=["stopped_at"])
    return True


@transaction.atomic
def push_subscription_save(*, patient: Patient, endpoint: str, p256dh: str, auth: str) -> bool:
    """Keep a browser's subscription for the patient's notifications. Returns True when it is new. A subscription
    another account holds is refused: one browser's notifications go to one patient."""
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if existing is not None and existing.patient_id != patient.pk:
        raise ValidationError("This browser already receives another account's reminders.", code="taken")
    subscription = existing or PushSubscription(patient=patient, endpoint=endpoint)
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.full_clean(validate_unique=existing is None)
    subscription.save()
    return existing is None


def push_subscription_delete(*, patient: Patient, endpoint: str) -> int:
    return PushSubscription.objects.filter(patient=patient, endpoint=endpoint).delete()[0]


def push_forget_other_devices(*, user, keep_endpoint: str = "") -> int:
    """After the account's other sessions ended (settings.USER_OTHER_DEVICES_HOOKS): a lost or shared phone no longer
    shows the patient's reminders. Every browser's subscription goes but this device's, named by its endpoint (none
    without JavaScript: notifications stop here too until My details is opened here again, which renews them)."""
    subscriptions = PushSubscription.objects.filter(patient__user=user)
    if keep_endpoint:
        subscriptions = subscriptions.exclude(endpoint=keep_endpoint)
    return subscriptions.delete()[0]
