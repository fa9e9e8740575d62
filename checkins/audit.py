"""Which check-in pages are audited, and how each finds its patient."""

from patients.selectors import own_patient
from programs.models import FlareUp
from rehab import audit

from .models import CheckIn, SymptomReport

LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "checkins:create": "Session check-in",
    "checkins:detail": "Sent report",
    "checkins:correct": "Report correction",
    "checkins:patient": "Reports and pain chart",
    "checkins:symptom_report": "New symptom report",
    "checkins:symptom_report_detail": "Sent symptom report",
    "checkins:flare_up_start": "Flare-up started by the patient",
    "checkins:flare_up_end": "Flare-up ended by the patient",
    "checkins:flare_up_answer": "How the flare-up went",
}


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


def register() -> None:
    audit.LABELS.update(LABELS)
    audit.register("checkins:create", object_kwarg=None, patient_of=_own_patient)
    audit.register("checkins:symptom_report", object_kwarg=None, patient_of=_own_patient)
    audit.register("checkins:flare_up_start", object_kwarg=None, patient_of=_own_patient)
    for name in ("checkins:flare_up_end", "checkins:flare_up_answer"):
        audit.register(name, patient_of=audit.patient_via(FlareUp))
    audit.register("checkins:symptom_report_detail", patient_of=audit.patient_via(SymptomReport))
    for name in ("checkins:detail", "checkins:correct"):
        audit.register(name, patient_of=audit.patient_via(CheckIn))
    audit.register(
        "checkins:patient", object_kwarg="patient_pk", patient_of=audit.patient_in_url, object_is_patient=True
    )
