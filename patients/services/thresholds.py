"""A patient's pain threshold: changed with a reason, and reviewed when the condition's phase changes."""

from django.core.exceptions import ValidationError
from django.db import transaction

from rehab.models import User

from .. import rules
from ..models import Patient, ThresholdChange


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
