"""What flags send: the alert to the physiotherapist, the escalation to the clinic's admins when nobody
acknowledged a flag in time, and the daily digest of rest flags. Each email goes out once, even with two workers
at once: a flag is claimed by an atomic conditional UPDATE before its email is sent, and given back if the email
cannot be sent."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from patients.selectors import in_care
from rehab.db import id_slices
from rehab.models import User

from ..models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus, overdue_at
from .lifecycle import flag_claim, flag_unclaim

logger = logging.getLogger(__name__)

# What an event's values keep for the app's own use, never told in an email: its explanation (told as a sentence),
# whether it alerts again, and which correction it records.
BOOKKEEPING = ("explanation", "alert", "correction")


def _flag_link(flag: Flag) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("flags:detail", args=[flag.pk])


def _send(template: str, context: dict, recipients: list[str]) -> None:
    subject = render_to_string(f"flags/emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"flags/emails/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _unalerted(flag: Flag) -> tuple[list[FlagEvent], bool]:
    """The evidence on a flag that no alert has told yet, oldest first, and whether an alert went out before.

    Each "notified" event records the events its email told; one recorded before it did so told everything
    before it. Evidence is a "raised" or "evidence" event, or a "corrected" one that added a warning symptom."""
    pending: list[FlagEvent] = []
    alerted = False
    for event in flag.events.order_by("pk"):
        if event.kind == FlagEventKind.NOTIFIED:
            told = event.values.get("events")
            pending = [e for e in pending if e.pk not in told] if told is not None else []
            alerted = True
        elif event.kind in (FlagEventKind.RAISED, FlagEventKind.EVIDENCE) or (
            event.kind == FlagEventKind.CORRECTED and event.values.get("alert")
        ):
            pending.append(event)
    return pending, alerted


def flag_send_alert(*, flag_id: int) -> bool:
    """Email the assigned physiotherapist about a flag (urgent and pain-related flags), telling the evidence no
    alert has told yet. An urgent flag is alerted again for each check-in that brings warning symptoms to it
    (flag_record and flags_note_correction clear notified_at). False when there was nothing to send."""
    flag = Flag.objects.select_related("patient__user", "patient__physiotherapist", "patient__clinic").get(pk=flag_id)
    if flag.notified_at is not None or not flag_claim(flag_id=flag.pk, field="notified_at"):
        return False
    # Read after the claim: evidence that lands later clears the claim again and is told by its own alert.
    pending, again = _unalerted(flag)
    if not pending:
        return False  # an alert a moment ago told it all
    evidence = []
    for event in pending:
        values = {k: v for k, v in event.values.items() if k not in BOOKKEEPING}
        evidence.append({"at": event.at, "explanation": event.values.get("explanation", ""), "values": values})
    physio = flag.patient.physiotherapist
    # A deactivated physiotherapist reads no email: their clinic's admins get it instead.
    recipients = (
        [physio.email]
        if physio.is_active
        else list(
            User.objects.filter(
                clinic_id=flag.patient.clinic_id, role=User.Role.CLINIC_ADMIN, is_active=True
            ).values_list("email", flat=True)
        )
    )
    context = {"flag": flag, "patient": flag.patient, "link": _flag_link(flag), "again": again, "evidence": evidence}
    try:
        _send("flag_alert", context, recipients)
    except Exception:
        flag_unclaim(flag_id=flag.pk, field="notified_at")
        raise
    FlagEvent.objects.create(
        flag=flag, kind=FlagEventKind.NOTIFIED, values={"to": recipients, "events": [e.pk for e in pending]}
    )
    return True


def _claim_batch(flags, *, field: str, now, key) -> list[Flag]:
    """Mark a batch of flags as handled (field = now) and return the ones this run got, sorted by `key`.

    A run at the same moment claims with its own timestamp, so each flag goes to exactly one run. The ids
    go to the database in slices (rehab.db.id_slices): a backlog can outgrow one statement's parameters.
    """
    ids = list(flags.values_list("pk", flat=True))
    claimed = []
    for part in id_slices(ids):
        Flag.objects.filter(pk__in=part, **{f"{field}__isnull": True}).update(**{field: now})
        claimed += Flag.objects.filter(pk__in=part, **{field: now}).select_related(
            "patient__user", "patient__physiotherapist", "patient__clinic"
        )
    return sorted(claimed, key=key)


def _active_admin_emails(clinic_ids) -> dict[int, list[str]]:
    emails: dict[int, list[str]] = {}
    for clinic_id, email in User.objects.filter(
        clinic_id__in=clinic_ids, role=User.Role.CLINIC_ADMIN, is_active=True
    ).values_list("clinic_id", "email"):
        emails.setdefault(clinic_id, []).append(email)
    return emails


def _send_groups(groups: dict, *, field: str, now, kind: str, send) -> int:
    """Send one email per group of claimed flags. A group whose email fails is given back (its flags are
    claimed again by the next run) without holding up the others; each sent group gets its events."""
    done = 0
    for key, flags in groups.items():
        try:
            recipients = send(key, flags)
        except Exception:
            logger.exception("Could not email about flags %s; the next run tries again", [f.pk for f in flags])
            Flag.objects.filter(pk__in=[f.pk for f in flags]).update(**{field: None})
            continue
        FlagEvent.objects.bulk_create(FlagEvent(flag=f, kind=kind, at=now, values={"to": recipients}) for f in flags)
        done += len(flags)
    return done


def flag_escalate_overdue(*, now=None) -> int:
    """Email each clinic's admins about flags nobody acknowledged in time; each flag once. A discharged patient's flags
    are not escalated (a discharge closes them; one raised later by a check-in sent before it goes to the
    physiotherapist only)."""
    now = now or timezone.now()
    due = Flag.objects.filter(overdue_at(now), in_care(OuterRef("patient")), escalated_at__isnull=True)
    claimed = _claim_batch(
        due, field="escalated_at", now=now, key=lambda f: (f.patient.clinic_id, not f.urgent, f.opened_at, f.pk)
    )
    by_clinic: dict[int, list[Flag]] = {}
    for flag in claimed:
        by_clinic.setdefault(flag.patient.clinic_id, []).append(flag)
    admins = _active_admin_emails(by_clinic)

    def send(clinic_id, flags):
        # A clinic without an active admin: the physiotherapists concerned are told instead.
        recipients = admins.get(clinic_id) or sorted({f.patient.physiotherapist.email for f in flags})
        rows = [(f, _flag_link(f)) for f in flags]
        _send("flag_escalation", {"flags": flags, "clinic": flags[0].patient.clinic, "rows": rows}, recipients)
        return recipients

    return _send_groups(by_clinic, field="escalated_at", now=now, kind=FlagEventKind.ESCALATED, send=send)


def flag_send_rest_digests(*, now=None) -> int:
    """One email per physiotherapist listing their patients' new rest flags; each flag goes out once."""
    now = now or timezone.now()
    pending = Flag.objects.filter(reason=FlagReason.REST, digest_sent_at__isnull=True).exclude(
        status=FlagStatus.RESOLVED
    )
    claimed = _claim_batch(
        pending, field="digest_sent_at", now=now, key=lambda f: (f.patient.physiotherapist_id, f.opened_at, f.pk)
    )
    by_physio: dict[int, list[Flag]] = {}
    for flag in claimed:
        by_physio.setdefault(flag.patient.physiotherapist_id, []).append(flag)
    admins = _active_admin_emails({f.patient.clinic_id for f in claimed})

    def send(_physio_id, flags):
        physio, clinic = flags[0].patient.physiotherapist, flags[0].patient.clinic
        # A deactivated physiotherapist reads no email: their clinic's admins get the digest.
        recipients = [physio.email] if physio.is_active else admins.get(clinic.pk, [])
        if not recipients:
            raise RuntimeError(f"Nobody active to send the rest digest of {physio} to")
        _send(
            "rest_digest", {"physio": physio, "rows": [(f, _flag_link(f)) for f in flags], "clinic": clinic}, recipients
        )
        return recipients

    return _send_groups(by_physio, field="digest_sent_at", now=now, kind=FlagEventKind.NOTIFIED, send=send)
