"""Writes about patients and their courses of care (episodes). Keyword-only, validated, one transaction each; emails
are queued on commit.

The apps built on this one are told of changes that concern their rows through hooks listed in settings, called in
the same transaction: a change of physiotherapist (PATIENT_REASSIGN_HOOKS: the flags app notes it on the patient's
open flags), a course of care opened (EPISODE_OPEN_HOOKS: the outcomes app makes the intake questionnaire due) and a
discharge (EPISODE_DISCHARGE_HOOKS: the program ends, open flags close, follow-up questionnaires stop and the
discharge questionnaire comes due)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from rehab.models import Clinic, User
from rehab.rules import login_key
from rehab.services import email_in_use, user_create, user_queue_set_password_email

from . import rules
from .models import OPEN_EPISODE, DischargeReason, Episode, Patient, Pause, ThresholdChange
from .phones import normalise_phone, region_for


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
    phone: str = "",
    password: str | None = None,
    referral_date: date | None = None,
    referrer: str = "",
) -> Patient:
    """Register a patient with their login account, the default threshold for their phase and their first course
    of care (referred today unless a referral date is given), and queue the email that lets them choose a password
    (unless the account is given one here, as the demo's are)."""
    _check_dates(clinic=clinic, date_of_birth=date_of_birth, onset_date=onset_date)
    referral_date = referral_date or clinic.local_today()
    errors = rules.referral_errors(referral_date=referral_date, onset_date=onset_date, today=clinic.local_today())
    if errors:
        raise ValidationError(errors)
    _check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
    phone = normalise_phone(phone, region=region_for(clinic.time_zone))
    user = user_create(
        clinic=clinic,
        role=User.Role.PATIENT,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
    )
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
        phone=phone,
        set_password_sent_at=None if password else timezone.now(),
    )
    patient.full_clean()
    patient.save()
    change = ThresholdChange(
        patient=patient,
        previous_value=None,
        value=threshold,
        reason=rules.default_threshold_reason(phase),
        phase=phase.value,
        changed_by=registered_by,
    )
    change.full_clean()
    change.save()
    _open_episode(patient=patient, by=registered_by, referral_date=referral_date, referrer=referrer)
    if not password:
        user_queue_set_password_email(user=user)
    return patient


def can_resend_link(*, user: User, patient: Patient) -> bool:
    """Who may send a patient's set-password link again: their own physiotherapist, or an admin of their clinic."""
    if user.clinic_id != patient.clinic_id:
        return False
    return user.role == User.Role.CLINIC_ADMIN or (
        user.role == User.Role.PHYSIO and patient.physiotherapist_id == user.pk
    )


@transaction.atomic
def patient_resend_set_password_link(*, patient: Patient, by: User) -> Patient:
    """Send a patient who has not set a password yet a new link to set one. The links sent before stop working: the
    link's token covers the account's password field, which gets a new unusable value here. At most one link every
    rules.RESEND_LINK_WAIT; refused (nothing stored, nothing sent) for a patient who has a password already."""
    if not can_resend_link(user=by, patient=patient):
        raise ValidationError("Only the patient's physiotherapist or a clinic admin can send the link again.")
    patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
    user = patient.user
    now = timezone.now()
    error = rules.resend_link_error(
        has_password=user.has_usable_password(), active=user.is_active, last_sent=patient.set_password_sent_at, now=now
    )
    if error:
        raise ValidationError(error)
    user.set_unusable_password()  # a new random value: every link made before no longer matches
    user.save(update_fields=["password"])
    patient.set_password_sent_at = now
    patient.save(update_fields=["set_password_sent_at"])
    user_queue_set_password_email(user=user)
    return patient


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    by: User,
    first_name: str,
    last_name: str,
    email: str,
    date_of_birth: date,
    onset_date: date,
    condition: str,
    physiotherapist: User,
    phone: str | None = None,
) -> Patient:
    """Edit a patient's details (`phone` None leaves the number as it is). The threshold is a clinical decision
    and changes only on its own; a new physiotherapist is a reassignment (patient_reassign), recorded as one."""
    clinic = patient.clinic
    _check_dates(clinic=clinic, date_of_birth=date_of_birth, onset_date=onset_date)
    _check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
    if phone is not None:
        patient.phone = normalise_phone(phone, region=region_for(clinic.time_zone))
    email = login_key(email)
    if email_in_use(email, exclude_user_id=patient.user_id):
        raise ValidationError({"email": "An account with this email address already exists."})
    user = patient.user
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email"])
    if physiotherapist.pk != patient.physiotherapist_id:
        patient = patient_reassign(patient=patient, physiotherapist=physiotherapist, by=by)
    patient.date_of_birth = date_of_birth
    patient.onset_date = onset_date
    patient.condition = condition.strip()
    patient.full_clean()
    patient.save()
    # The patient's condition and onset are those of their course of care: the open one follows the edit.
    Episode.objects.filter(OPEN_EPISODE, patient=patient).update(onset_date=onset_date, condition=patient.condition)
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
        patient=patient,
        previous_value=patient.pain_threshold,
        value=value,
        reason=reason,
        phase=patient.phase().value,  # a change is a decision for the phase the patient is in now
        changed_by=changed_by,
    )
    change.full_clean()
    change.save()
    patient.pain_threshold = value
    patient.save(update_fields=["pain_threshold", "updated_at"])
    return change


@transaction.atomic
def patient_set_phone(*, patient: Patient, phone: str) -> Patient:
    """The patient's own phone number, changed on their "My details" page: staff call them on it about a flag."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    patient.phone = normalise_phone(phone, region=region_for(patient.clinic.time_zone))
    patient.full_clean(validate_unique=False)
    patient.save(update_fields=["phone", "updated_at"])
    return patient


@transaction.atomic
def patient_review_threshold(*, patient: Patient, by: User, apply: bool, phase: str, reason: str) -> ThresholdChange:
    """The physiotherapist's decision when the patient's phase changed (rule 15): apply the new phase's default
    threshold, or keep the current one. Either is recorded in the threshold's history with its reason: a kept value
    is a decision too, and nothing changes silently."""
    errors = {}
    reason_error = rules.threshold_review_reason_error(reason)
    if reason_error:
        errors["reason"] = reason_error
    if phase not in rules.PHASE_VALUES:
        errors["decision"] = "Choose to apply the new phase's default or to keep the threshold."
    if errors:
        raise ValidationError(errors)
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    now_phase = patient.phase()
    if now_phase.value != phase:
        moved = f"The patient is now in the {now_phase.label.lower()} phase: reload the page and decide again."
        raise ValidationError({"decision": moved})
    value = rules.default_threshold(now_phase) if apply else patient.pain_threshold
    change = ThresholdChange(
        patient=patient,
        previous_value=patient.pain_threshold,
        value=value,
        reason=reason.strip(),
        phase=now_phase.value,
        changed_by=by,
    )
    change.full_clean()
    change.save()
    if value != patient.pain_threshold:
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


def _call_hooks(setting: str, **kwargs) -> None:
    """Tell the apps built on this one about a change that concerns their rows: each service listed in the setting,
    in this transaction."""
    for hook in getattr(settings, setting):
        import_string(hook)(**kwargs)


def _tell_reassigned(*, patient_ids: list[int], previous: dict[int, User], to: User, by: User, note: str = "") -> None:
    _call_hooks("PATIENT_REASSIGN_HOOKS", patient_ids=patient_ids, previous=previous, to=to, by=by, note=note)


@transaction.atomic
def patient_reassign(*, patient: Patient, physiotherapist: User, by: User, note: str = "") -> Patient:
    """Give a patient (and so their flags) to another physiotherapist of the clinic."""
    _check_physiotherapist(clinic=patient.clinic, physiotherapist=physiotherapist)
    patient = Patient.objects.select_for_update().select_related("physiotherapist", "clinic", "user").get(pk=patient.pk)
    previous = patient.physiotherapist
    if previous.pk == physiotherapist.pk:
        raise ValidationError(
            {"physiotherapist": f"{physiotherapist.get_full_name()} already looks after this patient."}
        )
    patient.physiotherapist = physiotherapist
    patient.save(update_fields=["physiotherapist", "updated_at"])
    _tell_reassigned(patient_ids=[patient.pk], previous={patient.pk: previous}, to=physiotherapist, by=by, note=note)
    return patient


@transaction.atomic
def patients_reassign_all(*, from_physio: User, to_physio: User, by: User) -> int:
    """Move every patient of a (departing) physiotherapist to another one, in one action."""
    if from_physio.clinic_id != by.clinic_id:
        raise ValidationError("Only your own clinic's physiotherapists can be changed here.")
    if from_physio.pk == to_physio.pk:
        raise ValidationError({"physiotherapist": "Choose a different physiotherapist."})
    _check_physiotherapist(clinic=by.clinic, physiotherapist=to_physio)
    ids = list(
        Patient.objects.select_for_update()
        .filter(physiotherapist=from_physio, clinic_id=by.clinic_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ValidationError(f"{from_physio.get_full_name()} has no patients to reassign.")
    Patient.objects.filter(pk__in=ids).update(physiotherapist=to_physio, updated_at=timezone.now())
    _tell_reassigned(patient_ids=ids, previous=dict.fromkeys(ids, from_physio), to=to_physio, by=by)
    return len(ids)


# --- Courses of care (episodes) -------------------------------------------------------------------


def _open_episode(*, patient: Patient, by: User, referral_date: date, referrer: str) -> Episode:
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
    _call_hooks("EPISODE_OPEN_HOOKS", episode=episode, by=by)
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
    return _open_episode(patient=patient, by=by, referral_date=referral_date, referrer=referrer)


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
    _call_hooks("EPISODE_DISCHARGE_HOOKS", episode=episode, by=by)
    return episode
