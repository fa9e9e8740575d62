"""Which patients pages are audited, and how each finds its patient."""

from rehab import audit

from .models import Flag, Patient


def _patient_pk(*, object_id, **_):
    return object_id


def _flag_patient(*, object_id, **_):
    return Flag.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()


def _admin_patient(*, object_id, **_):
    return audit.as_id(object_id)


def _clinic_of(patient_id: int) -> int | None:
    return Patient.objects.filter(pk=patient_id).values_list("clinic_id", flat=True).first()


LABELS = {
    "patients:detail": "Opened the patient's page",
    "patients:edit": "Edited the patient's details",
    "patients:threshold": "Changed the pain threshold",
    "patients:audit": "Read this audit trail",
    "patients:flag_detail": "Opened a flag",
    "patients:flag_acknowledge": "Acknowledged a flag",
    "patients:flag_resolve": "Resolved a flag",
    "patients:flag_reassign": "Reassigned the patient from a flag",
    "patients:create": "Registered the patient",
    "patients:flag_bulk_resolve": "Resolved rest flags together",
    "patients:reassign_all": "Moved a physiotherapist's patients",
    "admin:patients_patient_change": "Django admin: the patient's record",
    "admin:patients_patient_history": "Django admin: the record's history",
    "admin:patients_patient_delete": "Django admin: deleted the patient",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in ("patients:detail", "patients:edit", "patients:threshold", "patients:audit"):
        audit.register(name, patient_of=_patient_pk)
    for name in (
        "patients:flag_detail",
        "patients:flag_acknowledge",
        "patients:flag_resolve",
        "patients:flag_reassign",
    ):
        audit.register(name, patient_of=_flag_patient)
    audit.register("patients:create", object_kwarg=None, patient_of=lambda **_: None)
    audit.register("patients:flag_bulk_resolve", object_kwarg=None, patient_of=lambda **_: None)
    audit.register("patients:reassign_all", object_kwarg="physio_pk", patient_of=lambda **_: None)
    # The Django admin's pages of one patient (superusers): recorded in that patient's clinic's trail.
    for name in ("admin:patients_patient_change", "admin:patients_patient_history", "admin:patients_patient_delete"):
        audit.register(name, object_kwarg="object_id", patient_of=_admin_patient, clinic_of=_clinic_of)
