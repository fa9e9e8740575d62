"""Moving patients between physiotherapists, one or a whole caseload, with the higher apps told."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rehab.models import User

from ..models import Patient
from .common import call_hooks, check_physiotherapist


def _tell_reassigned(*, patient_ids: list[int], previous: dict[int, User], to: User, by: User, note: str = "") -> None:
    call_hooks("PATIENT_REASSIGN_HOOKS", patient_ids=patient_ids, previous=previous, to=to, by=by, note=note)


@transaction.atomic
def patient_reassign(*, patient: Patient, physiotherapist: User, by: User, note: str = "") -> Patient:
    """Give a patient (and so their flags) to another physiotherapist of the clinic."""
    check_physiotherapist(clinic=patient.clinic, physiotherapist=physiotherapist)
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
    check_physiotherapist(clinic=by.clinic, physiotherapist=to_physio)
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
