"""Which check-in pages are audited, and how each finds its patient."""

from patients.selectors import own_patient
from rehab import audit

from .models import CheckIn


def _checkin_patient(*, object_id, **_):
    return CheckIn.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "checkins:create": "Session check-in",
    "checkins:detail": "Sent report",
    "checkins:correct": "Report correction",
    "checkins:patient": "Reports and pain chart",
    # Before check-ins had an app of their own, the trail recorded them under these names.
    "programs:checkin": "Session check-in",
    "programs:report_done": "Sent report",
    "programs:report_correct": "Report correction",
    "programs:patient_reports": "Reports and pain chart",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    audit.register("checkins:create", object_kwarg=None, patient_of=_own_patient)
    for name in ("checkins:detail", "checkins:correct"):
        audit.register(name, patient_of=_checkin_patient)
    for name in ("checkins:patient", "programs:patient_reports"):
        audit.register(
            name,
            object_kwarg="patient_pk",
            patient_of=lambda *, kwargs, **_: kwargs["patient_pk"],
            object_is_patient=True,
        )
