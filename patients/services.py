"""Writes about patients. Keyword-only, validated, one transaction each; emails are queued on commit."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from rehab import db
from rehab import tasks as account_tasks
from rehab.db import id_slices
from rehab.models import Clinic, User
from rehab.services import email_in_use, user_create

from . import rules
from .models import (
    STAFF_OUTCOMES,
    Flag,
    FlagEvent,
    FlagEventKind,
    FlagOutcome,
    FlagReason,
    FlagStatus,
    Patient,
    Pause,
    ThresholdChange,
)

logger = logging.getLogger(__name__)


def _check_physiotherapist(*, clinic: Clinic, physiotherapist: User) -> None:
    if (
        physiotherapist.clinic_id != clinic.pk
        or physiotherapist.role != User.Role.PHYSIO
        or not physiotherapist.is_active
    ):
        raise ValidationError({"physiotherapist": "Choose an active physiotherapist of this clinic."})


def _check_dates(*, clinic: Clinic, date_of_birth: date, onset_date: date) -> None:
    errors = rules.patient_date_errors(date_of_birth=date_of_birth, onset_date=onset_date, today=clinic.local_today())
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def patient_register(
    *,
    clinic: Clinic,
    registered_by: User,
    first_name: str,
    last_name: str,
    email: str,
    date_of_birth: date,
    onset_date: date,
    condition: str,
    physiotherapist: User,
) -> Patient:
    """Register a patient with their login account, the default threshold for their phase, and
    queue the email that lets them choose a password."""
    _check_dates(clinic=clinic, date_of_birth=date_of_birth, onset_date=onset_date)
    _check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
    user = user_create(clinic=clinic, role=User.Role.PATIENT, email=email, first_name=first_name, last_name=last_name)
    phase = rules.condition_phase(onset_date, clinic.local_today())
    threshold = rules.default_threshold(phase)
    patient = Patient(
        user=user,
        clinic=clinic,
        physiotherapist=physiotherapist,
        date_of_birth=date_of_birth,
        onset_date=onset_date,
        condition=condition.strip(),
        pain_threshold=threshold,
    )
    patient.full_clean()
    patient.save()
    change = ThresholdChange(
        patient=patient,
        previous_value=None,
        value=threshold,
        reason=rules.default_threshold_reason(phase),
        changed_by=registered_by,
    )
    change.full_clean()
    change.save()
    account_tasks.send_set_password_email.delay_on_commit(user.pk)
    return patient


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    first_name: str,
    last_name: str,
    email: str,
    date_of_birth: date,
    onset_date: date,
    condition: str,
    physiotherapist: User,
) -> Patient:
    """Edit a patient's details. The threshold is a clinical decision and changes only on its own."""
    clinic = patient.clinic
    _check_dates(clinic=clinic, date_of_birth=date_of_birth, onset_date=onset_date)
    _check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
    email = User.objects.normalize_email(email).strip().lower()
    if email_in_use(email, exclude_user_id=patient.user_id):
        raise ValidationError({"email": "An account with this email address already exists."})
    user = patient.user
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email"])
    patient.date_of_birth = date_of_birth
    patient.onset_date = onset_date
    patient.condition = condition.strip()
    patient.physiotherapist = physiotherapist
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def patient_change_threshold(*, patient: Patient, changed_by: User, value: int, reason: str) -> ThresholdChange:
    """Set a new pain threshold, keeping the old one and the reason in the history."""
    reason = (reason or "").strip()
    errors = {}
    if not rules.THRESHOLD_MIN <= value <= rules.THRESHOLD_MAX:
        errors["value"] = f"The threshold must be between {rules.THRESHOLD_MIN} and {rules.THRESHOLD_MAX}."
    if not reason:
        errors["reason"] = "Give the reason for the change; it is kept in the threshold's history."
    if errors:
        raise ValidationError(errors)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if value == patient.pain_threshold:
        raise ValidationError({"value": f"The threshold is already {value}."})
    change = ThresholdChange(
        patient=patient, previous_value=patient.pain_threshold, value=value, reason=reason, changed_by=changed_by
    )
    change.full_clean()
    change.save()
    patient.pain_threshold = value
    patient.save(update_fields=["pain_threshold", "updated_at"])
    return change


def _pause_overlaps(*, patient: Patient, starts_on: date, ends_on: date, exclude_id: int | None = None) -> bool:
    pauses = patient.pauses.exclude(pk=exclude_id) if exclude_id else patient.pauses.all()
    # A pause called off before it began (its last day before its first) covers no day at all.
    return any(p.starts_on <= p.last_day and p.starts_on <= ends_on and starts_on <= p.last_day for p in pauses)


@transaction.atomic
def pause_create(*, patient: Patient, created_by: User, starts_on: date, ends_on: date, reason: str) -> Pause:
    """Plan a break in the patient's program (holiday, illness). Rest flags stay quiet while it lasts."""
    reason = (reason or "").strip()
    errors = rules.pause_errors(starts_on=starts_on, ends_on=ends_on, today=patient.clinic.local_today())
    if not reason:
        errors["reason"] = "Say why the program pauses, e.g. 'Holiday' or 'Flu'."
    if errors:
        raise ValidationError(errors)
    Patient.objects.select_for_update().get(pk=patient.pk)
    if _pause_overlaps(patient=patient, starts_on=starts_on, ends_on=ends_on):
        raise ValidationError({"starts_on": "These dates overlap a pause already planned."})
    pause = Pause(patient=patient, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=created_by)
    pause.full_clean()
    pause.save()
    return pause


@transaction.atomic
def pause_resume(*, pause: Pause, resumed_by: User) -> Pause:
    """End a pause early: the program is back on from today (a future pause is cancelled)."""
    pause = Pause.objects.select_for_update().select_related("patient__clinic").get(pk=pause.pk)
    today = pause.patient.clinic.local_today()
    if pause.resumed_on is not None or pause.last_day < today:
        raise ValidationError("This pause is already over.")
    pause.resumed_on = max(today, pause.starts_on)
    pause.resumed_by = resumed_by
    pause.full_clean()
    pause.save(update_fields=["resumed_on", "resumed_by"])
    return pause


# --- Flags -------------------------------------------------------------------------------------


def _ack_due(clinic, *, urgent: bool, opened_at):
    window = timedelta(minutes=clinic.urgent_ack_minutes) if urgent else timedelta(hours=clinic.ack_hours)
    return opened_at + window


@transaction.atomic
def flag_record(
    *,
    patient: Patient,
    reason: str,
    rule: str,
    explanation: str,
    values: dict,
    urgent: bool = False,
    report_id: int | None = None,
    now=None,
) -> tuple[Flag, bool]:
    """Raise a flag, or add the evidence to the patient's open flag for the same reason (rule 8).

    Returns (flag, created). Safe to repeat: the same report never adds a second event to a flag, and
    two workers at once end up with one flag (the database refuses a second open one).
    """
    now = now or timezone.now()
    flag = (
        Flag.objects.select_for_update()
        .filter(patient=patient, reason=reason)
        .exclude(status=FlagStatus.RESOLVED)
        .first()
    )
    created = False
    if flag is None:
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    patient=patient,
                    reason=reason,
                    urgent=urgent,
                    details={"rule": rule, "explanation": explanation, "values": values, "report_id": report_id},
                    opened_at=now,
                    last_evidence_at=now,
                    ack_due_at=_ack_due(patient.clinic, urgent=urgent, opened_at=now),
                )
                created = True
        except IntegrityError:
            flag = Flag.objects.select_for_update().get(
                patient=patient, reason=reason, status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]
            )
    # The flag row is locked, so checking for this report's event first is race-free; the partial
    # unique constraint on (flag, report_id) backs it up.
    if created or report_id is None or not flag.events.filter(report_id=report_id).exists():
        kind = FlagEventKind.RAISED if created else FlagEventKind.EVIDENCE
        event_values = {"explanation": explanation, **values}
        FlagEvent.objects.bulk_create(
            [FlagEvent(flag=flag, kind=kind, at=now, report_id=report_id, values=event_values)], ignore_conflicts=True
        )
        if not created:
            _new_evidence([flag], now=now, alert_again=flag.urgent)
    return flag, created


def _new_evidence(flags: list[Flag], *, now, alert_again: bool) -> None:
    """Record that evidence came in now. With `alert_again` (warning symptoms, which need a clinician even on a
    flag someone is already working), clear notified_at too, so that flag_send_alert tells it."""
    changed = {"last_evidence_at": now, **({"notified_at": None} if alert_again else {})}
    Flag.objects.filter(pk__in=[flag.pk for flag in flags]).update(**changed)
    for flag in flags:
        for field, value in changed.items():
            setattr(flag, field, value)


def _transition_error(flag: Flag, action: str) -> ValidationError:
    if flag.status == FlagStatus.RESOLVED:
        return ValidationError(f"This flag is already resolved; it cannot be {action}.")
    return ValidationError(f"This flag is already acknowledged; it cannot be {action}.")


@transaction.atomic
def flag_acknowledge(*, flag: Flag, by: User) -> Flag:
    """Someone has seen the flag and is working it (rule 9)."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise _transition_error(flag, "acknowledged")
    now = timezone.now()
    flag.status, flag.acknowledged_at, flag.acknowledged_by = FlagStatus.ACKNOWLEDGED, now, by
    flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    FlagEvent.objects.create(flag=flag, kind=FlagEventKind.ACKNOWLEDGED, at=now, by=by)
    return flag


@transaction.atomic
def flag_resolve(*, flag: Flag, by: User, outcome: str, note: str = "") -> Flag:
    """Staff close a flag with its outcome and a note. Resolving an open flag acknowledges it too.

    A report closes a rest flag through flags_close_rest instead."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status == FlagStatus.RESOLVED:
        raise _transition_error(flag, "resolved again")
    if outcome not in {value for value, _label in STAFF_OUTCOMES}:
        raise ValidationError({"outcome": "Choose what was done about this flag."})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2000 characters."})
    now = timezone.now()
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by = now, by
        FlagEvent.objects.create(flag=flag, kind=FlagEventKind.ACKNOWLEDGED, at=now, by=by)
    event = _mark_resolved(flag, by=by, outcome=outcome, note=note, now=now)
    flag.save(update_fields=["acknowledged_at", "acknowledged_by", *RESOLUTION_FIELDS])
    event.save()
    return flag


RESOLUTION_FIELDS = ("status", "resolved_at", "resolved_by", "outcome", "resolution_note")


def _mark_resolved(flag: Flag, *, by: User | None, outcome: str, note: str, now) -> FlagEvent:
    """Set a flag's RESOLUTION_FIELDS and return its "resolved" event; the caller saves both."""
    flag.status, flag.resolved_at, flag.resolved_by = FlagStatus.RESOLVED, now, by
    flag.outcome, flag.resolution_note = outcome, note
    return FlagEvent(flag=flag, kind=FlagEventKind.RESOLVED, at=now, by=by, values={"outcome": outcome}, note=note)


def flags_note_correction(
    *, patient: Patient, report_id: int, explanation: str, values: dict, new_symptoms: bool = False, now=None
) -> list[Flag]:
    """A report behind open flags was corrected: say so on each of them, with the new figures (the events
    that raised them keep the figures they were raised on). When the correction adds a warning symptom, an
    urgent flag among them is alerted again (as flag_record does for a new report). Returns the flags told."""
    now = now or timezone.now()
    raised_or_added_to = FlagEvent.objects.filter(
        report_id=report_id, kind__in=[FlagEventKind.RAISED, FlagEventKind.EVIDENCE]
    ).values("flag_id")
    flags = list(
        Flag.objects.select_for_update()
        .filter(patient=patient, pk__in=raised_or_added_to)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("pk")
    )
    realert = [flag for flag in flags if flag.urgent and new_symptoms]
    FlagEvent.objects.bulk_create(
        FlagEvent(
            flag=flag,
            kind=FlagEventKind.CORRECTED,
            at=now,
            report_id=report_id,
            values={"explanation": explanation, **values, **({"alert": True} if flag in realert else {})},
        )
        for flag in flags
    )
    if realert:
        _new_evidence(realert, now=now, alert_again=True)
    return flags


def flag_close_rest(*, patient: Patient, report_id: int, session_date: date) -> Flag | None:
    """A new report ends a rest flag: resolve it, recording the report as the resolution (rule 7)."""
    closed = flags_close_rest(ends_rest={patient.pk: (report_id, session_date)})
    return closed[0] if closed else None  # none open, or another report's evaluation closed it a moment ago


@transaction.atomic(savepoint=False)
def flags_close_rest(*, ends_rest: dict[int, tuple[int, date]], now=None) -> list[Flag]:
    """flag_close_rest for many patients at once, in a fixed number of queries.

    `ends_rest` maps a patient's id to the report that ends their rest (its id and session date), for at most
    rehab.db.ID_SLICE patients: one statement locks all their flags, in id order, so that two evaluations
    closing overlapping sets wait for each other rather than deadlock. Each open rest flag is resolved with
    the report as its resolution and a "resolved" event.
    """
    if len(ends_rest) > db.ID_SLICE:
        raise ValueError(f"flags_close_rest takes at most {db.ID_SLICE} patients at once, not {len(ends_rest)}.")
    flags = list(
        Flag.objects.select_for_update()
        .filter(patient_id__in=list(ends_rest), reason=FlagReason.REST)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("pk")
    )
    now = now or timezone.now()
    events = []
    for flag in flags:
        report_id, session_date = ends_rest[flag.patient_id]
        note = f"Closed automatically: the patient reported a session on {session_date:%d %b %Y} (report {report_id})."
        events.append(_mark_resolved(flag, by=None, outcome=FlagOutcome.PATIENT_REPORTED, note=note, now=now))
    if flags:
        Flag.objects.bulk_update(flags, RESOLUTION_FIELDS, batch_size=db.BULK_BATCH)
        FlagEvent.objects.bulk_create(events, batch_size=db.BULK_BATCH)
    return flags


def flag_claim(*, flag_id: int, field: str, now=None) -> bool:
    """Mark a once-only step (notified, escalated, digest) as done; False if someone else already did it.

    The conditional UPDATE is atomic in the database, so two workers never both send the same email.
    """
    now = now or timezone.now()
    return Flag.objects.filter(pk=flag_id, **{f"{field}__isnull": True}).update(**{field: now}) == 1


def flag_unclaim(*, flag_id: int, field: str) -> None:
    """Undo a claim whose email could not be sent, so that the next run tries again."""
    Flag.objects.filter(pk=flag_id).update(**{field: None})


# --- Flag emails ---------------------------------------------------------------------------------


def _flag_link(flag: Flag) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("patients:flag_detail", args=[flag.pk])


def _send(template: str, context: dict, recipients: list[str]) -> None:
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
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
    alert has told yet. An urgent flag is alerted again for each report that brings warning symptoms to it
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
        values = {k: v for k, v in event.values.items() if k not in ("explanation", "alert")}
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
    """Email each clinic's admins about flags nobody acknowledged in time (rule 9); each flag once."""
    now = now or timezone.now()
    due = Flag.objects.filter(
        status=FlagStatus.OPEN, acknowledged_at__isnull=True, escalated_at__isnull=True, ack_due_at__lte=now
    )
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


@transaction.atomic
def flag_bulk_resolve(*, flag_ids: list[int], by: User, outcome: str, note: str = "") -> list[Flag]:
    """Resolve several rest flags at once with one outcome; refuses the lot if any cannot be resolved."""
    flags = list(Flag.objects.select_for_update().filter(pk__in=flag_ids).order_by("pk"))
    if not flags:
        raise ValidationError({"flags": "Select at least one rest flag."})
    if any(f.reason != FlagReason.REST for f in flags):
        raise ValidationError({"flags": "Only rest flags can be resolved together."})
    if any(f.status == FlagStatus.RESOLVED for f in flags):
        raise ValidationError({"flags": "Some of these flags are already resolved; reload the list."})
    return [flag_resolve(flag=f, by=by, outcome=outcome, note=note) for f in flags]


@transaction.atomic
def patient_reassign(*, patient: Patient, physiotherapist: User, by: User, note: str = "") -> Patient:
    """Give a patient (and so their flags) to another physiotherapist of the clinic."""
    _check_physiotherapist(clinic=patient.clinic, physiotherapist=physiotherapist)
    patient = Patient.objects.select_for_update().select_related("physiotherapist").get(pk=patient.pk)
    previous = patient.physiotherapist
    if previous.pk == physiotherapist.pk:
        raise ValidationError(
            {"physiotherapist": f"{physiotherapist.get_full_name()} already looks after this patient."}
        )
    patient.physiotherapist = physiotherapist
    patient.save(update_fields=["physiotherapist", "updated_at"])
    values = {"from": previous.get_full_name(), "to": physiotherapist.get_full_name()}
    FlagEvent.objects.bulk_create(
        FlagEvent(flag=flag, kind=FlagEventKind.REASSIGNED, by=by, values=values, note=(note or "").strip())
        for flag in patient.flags.exclude(status=FlagStatus.RESOLVED)
    )
    return patient


@transaction.atomic
def patients_reassign_all(*, from_physio: User, to_physio: User, by: User) -> int:
    """Move every patient of a (departing) physiotherapist to another one, in one action."""
    if from_physio.clinic_id != by.clinic_id:
        raise ValidationError("Only your own clinic's physiotherapists can be changed here.")
    if from_physio.pk == to_physio.pk:
        raise ValidationError({"physiotherapist": "Choose a different physiotherapist."})
    _check_physiotherapist(clinic=by.clinic, physiotherapist=to_physio)
    patients = list(Patient.objects.select_for_update().filter(physiotherapist=from_physio, clinic_id=by.clinic_id))
    if not patients:
        raise ValidationError(f"{from_physio.get_full_name()} has no patients to reassign.")
    Patient.objects.filter(pk__in=[p.pk for p in patients]).update(physiotherapist=to_physio, updated_at=timezone.now())
    values = {"from": from_physio.get_full_name(), "to": to_physio.get_full_name()}
    FlagEvent.objects.bulk_create(
        FlagEvent(flag=flag, kind=FlagEventKind.REASSIGNED, by=by, values=values)
        for flag in Flag.objects.filter(patient__in=patients).exclude(status=FlagStatus.RESOLVED)
    )
    return len(patients)
