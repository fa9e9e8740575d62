"""Pauses in a patient's program: planned breaks that are neither sessions nor rest."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from rehab.models import User

from .. import rules
from ..models import OPEN_EPISODE, Patient, Pause


def _pause_overlaps(*, patient: Patient, starts_on: date, ends_on: date, exclude_id: int | None = None) -> bool:
    pauses = patient.pauses.exclude(pk=exclude_id) if exclude_id else patient.pauses.all()
    # A pause called off before it began (its last day before its first) covers no day at all.
    return any(p.starts_on <= p.last_day and p.starts_on <= ends_on and starts_on <= p.last_day for p in pauses)


@transaction.atomic
def pause_create(*, patient: Patient, created_by: User, starts_on: date, ends_on: date, reason: str) -> Pause:
    """Plan a break in the patient's program (holiday, illness). Rest flags stay quiet while it lasts."""
    reason = (reason or "").strip()
    errors = rules.pause_errors(
        starts_on=starts_on,
        ends_on=ends_on,
        today=patient.clinic.local_today(),
        max_weeks=patient.clinic.max_pause_weeks,
    )
    if not reason:
        errors["reason"] = "Say why the program pauses, e.g. 'Holiday' or 'Flu'."
    if errors:
        raise ValidationError(errors)
    Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.episodes.filter(OPEN_EPISODE).exists():
        raise ValidationError("This patient is discharged: there is no program to pause.")
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
