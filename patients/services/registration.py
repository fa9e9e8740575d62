"""Registering a patient, changing their details and phone, and (re)sending the link that sets their password."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rehab.models import Clinic, User
from rehab.rules import login_key
from rehab.services import email_in_use, user_create, user_queue_set_password_email

from .. import rules
from ..models import OPEN_EPISODE, Episode, Patient, ThresholdChange
from ..phones import normalise_phone, region_for
from .caseload import patient_reassign
from .common import check_physiotherapist
from .episodes import open_episode


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
    check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
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
    open_episode(patient=patient, by=registered_by, referral_date=referral_date, referrer=referrer)
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
    check_physiotherapist(clinic=clinic, physiotherapist=physiotherapist)
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
def patient_set_phone(*, patient: Patient, phone: str) -> Patient:
    """The patient's own phone number, changed on their "My details" page: staff call them on it about a flag."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    patient.phone = normalise_phone(phone, region=region_for(patient.clinic.time_zone))
    patient.full_clean(validate_unique=False)
    patient.save(update_fields=["phone", "updated_at"])
    return patient
