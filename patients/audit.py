"""Which patients pages are audited, and how each finds its patient."""

from rehab import audit

from .models import Patient
from .selectors import own_patient


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


def _patient_pk(*, object_id, **_):
    return object_id


def _admin_patient(*, object_id, **_):
    return audit.as_id(object_id)


def _clinic_of(patient_id: int) -> int | None:
    return Patient.objects.filter(pk=patient_id).values_list("clinic_id", flat=True).first()


LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "patients:list": "Patient list",
    "patients:detail": "Patient page",
    "patients:edit": "Patient details",
    "patients:threshold": "Pain threshold",
    "patients:threshold_review": "Pain threshold: review at a phase change",
    "patients:discharge": "Discharge",
    "patients:refer": "New referral",
    "patients:resend_link": "Set-password link sent again",
    "patients:audit": "Audit trail",
    "patients:create": "Patient registration",
    "patients:my_details": "Patient's own details",
    "patients:my_password": "Patient's own password changed",
    "patients:my_devices_log_out": "Patient logged out on all devices",
    "patients:reassign_all": "A physiotherapist's patients moved",
    "admin:patients_patient_change": "Django admin: patient record",
    "admin:patients_patient_history": "Django admin: record history",
    "admin:patients_patient_delete": "Django admin: deleting the patient",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    audit.PATIENT_CLINIC = _clinic_of
    audit.register("patients:list", object_kwarg=None, patient_of=lambda **_: None)  # lists patients: no one patient
    for name in (
        "patients:detail",
        "patients:edit",
        "patients:threshold",
        "patients:threshold_review",
        "patients:audit",
        "patients:discharge",
        "patients:refer",
        "patients:resend_link",
    ):
        audit.register(name, patient_of=_patient_pk, object_is_patient=True)
    audit.register("patients:create", object_kwarg=None, patient_of=lambda **_: None)
    for name in ("patients:my_details", "patients:my_password", "patients:my_devices_log_out"):
        audit.register(name, object_kwarg=None, patient_of=_own_patient)
    audit.register("patients:reassign_all", object_kwarg="physio_pk", patient_of=lambda **_: None)
    # The Django admin's pages of one patient (superusers): recorded in that patient's clinic's trail.
    for name in ("admin:patients_patient_change", "admin:patients_patient_history", "admin:patients_patient_delete"):
        audit.register(
            name, object_kwarg="object_id", patient_of=_admin_patient, clinic_of=_clinic_of, object_is_patient=True
        )
