"""Writes about patients and their courses of care (episodes). Keyword-only, validated, one transaction each; emails
are queued on commit. By sub-domain: registration and details, thresholds, pauses, caseloads and courses of care.

The apps built on this one are told of changes that concern their rows through hooks listed in settings, called in
the same transaction: a change of physiotherapist (PATIENT_REASSIGN_HOOKS: the flags app notes it on the patient's
open flags), a course of care opened (EPISODE_OPEN_HOOKS: the outcomes app makes the intake questionnaire due) and a
discharge (EPISODE_DISCHARGE_HOOKS: the program ends, open flags close, follow-up questionnaires stop and the
discharge questionnaire comes due)."""

from .caseload import patient_reassign, patients_reassign_all
from .episodes import episode_discharge, episode_open
from .pauses import pause_create, pause_resume
from .registration import (
    can_resend_link,
    patient_register,
    patient_resend_set_password_link,
    patient_set_phone,
    patient_update,
)
from .thresholds import patient_change_threshold, patient_review_threshold

__all__ = [
    "can_resend_link",
    "episode_discharge",
    "episode_open",
    "patient_change_threshold",
    "patient_register",
    "patient_reassign",
    "patient_resend_set_password_link",
    "patient_review_threshold",
    "patient_set_phone",
    "patient_update",
    "patients_reassign_all",
    "pause_create",
    "pause_resume",
]
