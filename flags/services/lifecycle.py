"""A flag's life: raised or given new evidence, acknowledged, resolved (by staff, or by the check-in that ends a
rest), and the notes a correction or a reassignment adds to it. Nothing about a flag is ever deleted."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import DischargeReason, Episode, Patient
from programs.models import ProgramVersion
from rehab import db
from rehab.models import User

from .. import rules
from ..models import STAFF_OUTCOMES, Flag, FlagEvent, FlagEventKind, FlagOutcome, FlagReason, FlagStatus
from ..progress import versions_led_to


def _ack_due(clinic, *, urgent: bool, opened_at):
    window = timedelta(minutes=clinic.urgent_ack_minutes) if urgent else timedelta(hours=clinic.ack_hours)
    return opened_at + window


def _source(*, checkin_id: int | None, symptom_report_id: int | None, flare_up_id: int | None = None) -> dict:
    """The report behind an event, as FlagEvent's fields: a check-in, a symptom report, a flare-up, or none."""
    if checkin_id is not None:
        return {"checkin_id": checkin_id}
    if symptom_report_id is not None:
        return {"symptom_report_id": symptom_report_id}
    if flare_up_id is not None:
        return {"flare_up_id": flare_up_id}
    return {}


@transaction.atomic
def flag_record(
    *,
    patient: Patient,
    reason: str,
    rule: str,
    explanation: str,
    values: dict,
    urgent: bool = False,
    checkin_id: int | None = None,
    symptom_report_id: int | None = None,
    flare_up_id: int | None = None,
    alert: bool = True,
    now=None,
) -> tuple[Flag, bool]:
    """Raise a flag, or add the evidence to the patient's open flag for the same reason: one open flag per patient
    and reason.

    Returns (flag, created). Safe to repeat: the same report (check-in, symptom report or flare-up) never adds a
    second event to a flag, and two workers at once end up with one flag (the database refuses a second open one).
    New warning symptoms on an urgent flag alert the physiotherapist again and start a new acknowledgement deadline,
    unless `alert` is False (symptoms the same check-in form already told).
    """
    now = now or timezone.now()
    source = _source(checkin_id=checkin_id, symptom_report_id=symptom_report_id, flare_up_id=flare_up_id)
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
                    details={"rule": rule, "explanation": explanation, "values": values},
                    opened_at=now,
                    last_evidence_at=now,
                    ack_due_at=_ack_due(patient.clinic, urgent=urgent, opened_at=now),
                )
                created = True
        except IntegrityError:
            flag = Flag.objects.select_for_update().get(
                patient=patient, reason=reason, status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]
            )
    # The flag row is locked, so checking for this report's event first is race-free; the partial unique
    # constraints on (flag, checkin) and (flag, symptom report) back it up.
    if created or not source or not flag.events.filter(**source).exists():
        kind = FlagEventKind.RAISED if created else FlagEventKind.EVIDENCE
        event_values = {"explanation": explanation, **values}
        FlagEvent.objects.bulk_create(
            [FlagEvent(flag=flag, kind=kind, at=now, values=event_values, **source)], ignore_conflicts=True
        )
        if not created:
            again = flag.urgent and alert
            _new_evidence([flag], now=now, alert_again=again)
            if again:
                _needs_answer_again([flag], clinic=patient.clinic, now=now, why=explanation)
    return flag, created


def _new_evidence(flags: list[Flag], *, now, alert_again: bool) -> None:
    """Record that evidence came in now. With `alert_again` (warning symptoms, which need a clinician even on a
    flag someone is already working), clear notified_at too, so that flag_send_alert tells it."""
    changed = {"last_evidence_at": now, **({"notified_at": None} if alert_again else {})}
    Flag.objects.filter(pk__in=[flag.pk for flag in flags]).update(**changed)
    for flag in flags:
        for field, value in changed.items():
            setattr(flag, field, value)


def _needs_answer_again(flags: list[Flag], *, clinic, now, why: str) -> None:
    """New warning symptoms on an urgent flag start a new acknowledgement deadline (docs/clinical-rules.md, rule 9),
    escalated like a new urgent flag's. A flag someone acknowledged needs acknowledging again, and one already
    escalated is escalated again if nobody answers; each says so in an event. An open flag nobody has been told is
    late keeps its earlier deadline."""
    due, tz = _ack_due(clinic, urgent=True, opened_at=now), clinic.tzinfo
    for flag in flags:
        if flag.status == FlagStatus.OPEN and flag.escalated_at is None:
            continue
        before = {
            "acknowledged_by": flag.acknowledged_by.get_full_name() if flag.acknowledged_by_id else None,
            "escalated": flag.escalated_at is not None,
        }
        flag.status, flag.acknowledged_at, flag.acknowledged_by = FlagStatus.OPEN, None, None
        flag.ack_due_at, flag.escalated_at = due, None
        flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "ack_due_at", "escalated_at"])
        FlagEvent.objects.create(
            flag=flag,
            kind=FlagEventKind.REOPENED,
            at=now,
            values={
                "explanation": f"New warning symptoms: acknowledge again by {timezone.localtime(due, tz):%H:%M} or "
                f"the clinic's admins are told. {why}",
                **before,
                "ack_due_at": due.isoformat(),
            },
        )


def _transition_error(flag: Flag, action: str) -> ValidationError:
    if flag.status == FlagStatus.RESOLVED:
        return ValidationError(f"This flag is already resolved; it cannot be {action}.")
    return ValidationError(f"This flag is already acknowledged; it cannot be {action}.")


@transaction.atomic
def flag_acknowledge(*, flag: Flag, by: User) -> Flag:
    """Someone has seen the flag and is working it."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise _transition_error(flag, "acknowledged")
    now = timezone.now()
    flag.status, flag.acknowledged_at, flag.acknowledged_by = FlagStatus.ACKNOWLEDGED, now, by
    flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    FlagEvent.objects.create(flag=flag, kind=FlagEventKind.ACKNOWLEDGED, at=now, by=by)
    return flag


def _changed_to(flag: Flag, version: ProgramVersion | None) -> ProgramVersion:
    """The version a flag resolved with "program changed" led to: the one chosen, or the newest since it was raised
    (rule 17: the flag and the program's history then show the link both ways)."""
    candidates = versions_led_to(flag)
    if version is None:
        version = candidates.first()
        if version is None:
            raise ValidationError(
                {
                    "changed_to": "No new version has been made since this flag was raised: put the changed program "
                    "in force (or keep the flare-up plan ready) first, then resolve the flag."
                }
            )
    elif version.program.patient_id != flag.patient_id or version.status == ProgramVersion.Status.DRAFT:
        raise ValidationError({"changed_to": "Choose a version of this patient's program that is, or was, in force."})
    return version


@transaction.atomic
def flag_resolve(
    *, flag: Flag, by: User, outcome: str, note: str = "", changed_to: ProgramVersion | None = None
) -> Flag:
    """Staff close a flag with its outcome and a note. Resolving an open flag acknowledges it too. With "program
    changed", the flag records the version it led to: `changed_to`, or the newest made since it was raised.

    A check-in closes a rest flag through flags_close_rest instead."""
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status == FlagStatus.RESOLVED:
        raise _transition_error(flag, "resolved again")
    if outcome not in {value for value, _label in STAFF_OUTCOMES}:
        raise ValidationError({"outcome": "Choose what was done about this flag."})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2000 characters."})
    flag.changed_to = _changed_to(flag, changed_to) if outcome == FlagOutcome.PROGRAM_CHANGED else None
    now = timezone.now()
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by = now, by
        FlagEvent.objects.create(flag=flag, kind=FlagEventKind.ACKNOWLEDGED, at=now, by=by)
    event = _mark_resolved(flag, by=by, outcome=outcome, note=note, now=now)
    if flag.changed_to is not None:
        event.values["changed_to"] = flag.changed_to.pk
    flag.save(update_fields=["acknowledged_at", "acknowledged_by", "changed_to", *RESOLUTION_FIELDS])
    event.save()
    return flag


RESOLUTION_FIELDS = ("status", "resolved_at", "resolved_by", "outcome", "resolution_note")


def _mark_resolved(flag: Flag, *, by: User | None, outcome: str, note: str, now) -> FlagEvent:
    """Set a flag's RESOLUTION_FIELDS and return its "resolved" event; the caller saves both."""
    flag.status, flag.resolved_at, flag.resolved_by = FlagStatus.RESOLVED, now, by
    flag.outcome, flag.resolution_note = outcome, note
    return FlagEvent(flag=flag, kind=FlagEventKind.RESOLVED, at=now, by=by, values={"outcome": outcome}, note=note)


def rest_since(flag: Flag) -> date | None:
    """The last session a rest flag's rest counts from (older flags have it only in their values)."""
    if flag.rest_since is not None:
        return flag.rest_since
    last = flag.details.get("values", {}).get("last_session")
    return date.fromisoformat(last) if last else None


@transaction.atomic(savepoint=False)
def flags_close_rest(*, ends_rest: dict[int, tuple[int, date]], now=None) -> list[Flag]:
    """Close the open rest flags that a check-in's session ends, in a fixed number of queries.

    `ends_rest` maps a patient's id to a check-in (its id and session date), for at most rehab.db.ID_SLICE
    patients: one statement locks all their flags, in id order, so that two evaluations closing overlapping sets
    wait for each other rather than deadlock. A rest flag is resolved, with the check-in as its resolution and a
    "resolved" event, only when the session is after the last session the rest counted from (rules.ends_rest): a
    late report of an earlier day, or a correction, leaves it as it is, acknowledged or not.
    """
    if len(ends_rest) > db.ID_SLICE:
        raise ValueError(f"flags_close_rest takes at most {db.ID_SLICE} patients at once, not {len(ends_rest)}.")
    flags = [
        flag
        for flag in Flag.objects.select_for_update()
        .filter(patient_id__in=list(ends_rest), reason=FlagReason.REST)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("pk")
        if rules.ends_rest(session_date=ends_rest[flag.patient_id][1], last_session=rest_since(flag))
    ]
    now = now or timezone.now()
    events = []
    for flag in flags:
        checkin_id, session_date = ends_rest[flag.patient_id]
        note = f"Closed automatically: the patient reported a session on {session_date:%d %b %Y} (report {checkin_id})."
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


def flags_note_correction(
    *,
    patient: Patient,
    checkin_id: int,
    correction_id: int,
    corrected_at,
    explanation: str,
    values: dict,
    new_symptoms: bool = False,
) -> list[Flag]:
    """A check-in behind open flags was corrected: say so on each of them, with the new figures (the events that
    raised them keep the figures they were raised on), once per correction. When the correction adds a warning
    symptom, an urgent flag among them is alerted again (as flag_record does for a new check-in). Returns the
    flags told.

    Only flags the check-in had raised or added to before the correction are told: one its evaluation raised after
    the correction (the evaluation of a check-in corrected before its task ran) was raised on the corrected
    figures already, and has nothing to be told."""
    raised_or_added_to = FlagEvent.objects.filter(
        checkin_id=checkin_id, kind__in=[FlagEventKind.RAISED, FlagEventKind.EVIDENCE], at__lt=corrected_at
    ).values("flag_id")
    told_before = FlagEvent.objects.filter(
        checkin_id=checkin_id, kind=FlagEventKind.CORRECTED, values__correction=correction_id
    ).values("flag_id")
    flags = list(
        Flag.objects.select_for_update()
        .filter(patient=patient, pk__in=raised_or_added_to)
        .exclude(pk__in=told_before)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("pk")
    )
    realert = [flag for flag in flags if flag.urgent and new_symptoms]
    FlagEvent.objects.bulk_create(
        FlagEvent(
            flag=flag,
            kind=FlagEventKind.CORRECTED,
            at=corrected_at,
            checkin_id=checkin_id,
            values={
                "explanation": explanation,
                **values,
                "correction": correction_id,
                **({"alert": True} if flag in realert else {}),
            },
        )
        for flag in flags
    )
    if realert:
        _new_evidence(realert, now=corrected_at, alert_again=True)
        _needs_answer_again(realert, clinic=patient.clinic, now=corrected_at, why=explanation)
    return flags


def flags_note_reassignment(
    *, patient_ids: list[int], previous: dict[int, User], to: User, by: User, note: str = ""
) -> int:
    """Patients were given to another physiotherapist: say so on each of their flags not yet resolved, naming who
    looked after the patient before. Listed in settings.PATIENT_REASSIGN_HOOKS, so that the patients app, which
    cannot import this one, records it in the same transaction as the change. Returns the events written."""
    events = [
        FlagEvent(
            flag=flag,
            kind=FlagEventKind.REASSIGNED,
            by=by,
            values={"from": previous[flag.patient_id].get_full_name(), "to": to.get_full_name()},
            note=(note or "").strip(),
        )
        for flag in Flag.objects.filter(patient_id__in=patient_ids).exclude(status=FlagStatus.RESOLVED).order_by("pk")
    ]
    FlagEvent.objects.bulk_create(events, batch_size=db.BULK_BATCH)
    return len(events)


def flags_close_at_discharge(*, episode: Episode, by: User) -> list[Flag]:
    """The patient is discharged: every flag of theirs not yet resolved is resolved with the outcome "discharged"
    (acknowledged too, by the one who discharged them, if nobody had). They stay in the patient's history; with
    nothing open, nothing is escalated. Listed in settings.EPISODE_DISCHARGE_HOOKS, called in the discharge's
    transaction."""
    flags = list(
        Flag.objects.select_for_update().filter(patient_id=episode.patient_id).exclude(status=FlagStatus.RESOLVED)
    )
    now = timezone.now()
    note = f"Closed at discharge: {DischargeReason(episode.discharge_reason).label.lower()}."
    events = []
    for flag in flags:
        if flag.acknowledged_at is None:
            flag.acknowledged_at, flag.acknowledged_by = now, by
            events.append(FlagEvent(flag=flag, kind=FlagEventKind.ACKNOWLEDGED, at=now, by=by))
        events.append(_mark_resolved(flag, by=by, outcome=FlagOutcome.DISCHARGED, note=note, now=now))
    Flag.objects.bulk_update(
        flags, ["acknowledged_at", "acknowledged_by", *RESOLUTION_FIELDS], batch_size=db.BULK_BATCH
    )
    FlagEvent.objects.bulk_create(events, batch_size=db.BULK_BATCH)
    return flags
