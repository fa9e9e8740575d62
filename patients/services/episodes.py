"""Courses of care: opened at registration or a new referral, ended by a discharge."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rehab.models import User

from .. import rules
from ..models import OPEN_EPISODE, DischargeReason, Episode, Patient, ThresholdChange
from .common import call_hooks


def open_episode(*, patient: Patient, by: User, referral_date: date, referrer: str) -> Episode:
    episode = Episode(
        patient=patient,
        clinic_id=patient.clinic_id,
        referral_date=referral_date,
        referrer=(referrer or "").strip(),
        condition=patient.condition,
        onset_date=patient.onset_date,
        opened_by=by,
    )
    episode.full_clean()
    episode.save()
    call_hooks("EPISODE_OPEN_HOOKS", episode=episode, by=by)
    return episode


@transaction.atomic
def episode_open(
    *, patient: Patient, by: User, referral_date: date, referrer: str, condition: str, onset_date: date
) -> Episode:
    """A new referral of a discharged patient: a new course of care with its own condition and onset, so its own
    phase, and the threshold that phase starts with (kept in the threshold's history). Earlier courses of care
    stay as they were."""
    patient = Patient.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=patient.pk)
    today = patient.clinic.local_today()
    if patient.episodes.filter(OPEN_EPISODE).exists():
        raise ValidationError("This patient is already in a course of care: discharge them before a new referral.")
    last = patient.episodes.exclude(OPEN_EPISODE).order_by("-discharged_on", "-pk").first()
    errors = rules.patient_date_errors(date_of_birth=patient.date_of_birth, onset_date=onset_date, today=today)
    errors.pop("date_of_birth", None)
    for field, message in rules.referral_errors(
        referral_date=referral_date,
        onset_date=onset_date,
        today=today,
        last_discharged_on=last.discharged_on if last else None,
    ).items():
        errors.setdefault(field, message)
    condition = (condition or "").strip()
    if not condition:
        errors["condition"] = "Describe the condition this referral is for."
    if errors:
        raise ValidationError(errors)
    patient.onset_date, patient.condition = onset_date, condition
    phase = rules.condition_phase(onset_date, today)
    threshold = rules.default_threshold(phase)
    change = ThresholdChange(
        patient=patient,
        previous_value=patient.pain_threshold,
        value=threshold,
        reason=f"New course of care (referred {referral_date:%d %b %Y}): "
        + rules.default_threshold_reason(phase).replace(" at registration", ""),
        phase=phase.value,
        changed_by=by,
    )
    change.full_clean()
    change.save()
    patient.pain_threshold = threshold
    patient.full_clean()
    patient.save(update_fields=["onset_date", "condition", "pain_threshold", "updated_at"])
    return open_episode(patient=patient, by=by, referral_date=referral_date, referrer=referrer)


@transaction.atomic
def episode_discharge(
    *,
    patient: Patient,
    by: User,
    reason: str,
    note: str = "",
    discharged_on: date | None = None,
    advice: str = "",
) -> Episode:
    """Discharge a patient: their course of care ends with a reason, a note and the self-management advice they
    keep. In the same transaction every app built on this one stops what it does for the patient
    (EPISODE_DISCHARGE_HOOKS): the program ends, open flags close with the outcome "discharged", follow-up
    questionnaires stop and the discharge questionnaire comes due. The patient keeps their login and history."""
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("clinic", "physiotherapist").get(pk=patient.pk)
    )
    episode = patient.episodes.select_for_update().filter(OPEN_EPISODE).first()
    if episode is None:
        raise ValidationError("This patient is not in a course of care: they are discharged already.")
    today = patient.clinic.local_today()
    discharged_on = discharged_on or today
    note, advice = (note or "").strip(), (advice or "").strip()
    errors = {}
    if reason not in DischargeReason.values:
        errors["reason"] = "Choose why the patient is discharged."
    date_error = rules.discharge_date_error(
        discharged_on=discharged_on, referral_date=episode.referral_date, today=today
    )
    if date_error:
        errors["discharged_on"] = date_error
    if len(note) > rules.DISCHARGE_NOTE_MAX:
        errors["note"] = f"Keep the note under {rules.DISCHARGE_NOTE_MAX:,} characters."
    if len(advice) > rules.ADVICE_MAX:
        errors["advice"] = f"Keep the advice under {rules.ADVICE_MAX:,} characters."
    if errors:
        raise ValidationError(errors)
    episode.discharged_on, episode.discharged_at, episode.discharged_by = discharged_on, timezone.now(), by
    episode.discharge_reason, episode.discharge_note = reason, note
    episode.self_management_advice = advice or rules.DEFAULT_SELF_MANAGEMENT_ADVICE
    episode.physiotherapist = patient.physiotherapist
    episode.full_clean()
    episode.save()
    call_hooks("EPISODE_DISCHARGE_HOOKS", episode=episode, by=by)
    return episode
