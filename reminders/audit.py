"""Which reminder pages are audited: the patient's own changes (a stop link is the patient's too, signed in or not:
the trail records signed-in requests)."""

from patients.selectors import own_patient
from rehab import audit

LABELS = {
    "reminders:settings": "Patient's reminder settings",
    "reminders:push_subscription": "Notifications turned on on a device",
    "reminders:push_unsubscription": "Notifications turned off on a device",
}


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in LABELS:
        audit.register(name, object_kwarg=None, patient_of=_own_patient)
