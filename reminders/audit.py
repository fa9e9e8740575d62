"""Which reminder pages are audited: the patient's own changes (a stop link is the patient's too, signed in or not:
the trail records signed-in requests)."""

from patients.selectors import own_patient
from rehab import audit

from .links import read_stop_token

LABELS = {
    "reminders:settings": "Patient's reminder settings",
    "reminders:push_subscription": "Notifications turned on on a device",
    "reminders:push_unsubscription": "Notifications turned off on a device",
    "reminders:stop": "A reminder's stop link",
}


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


def _patient_of_link(*, kwargs, **_):
    link = read_stop_token(kwargs["token"])
    return link.patient_id if link is not None else None


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in ("reminders:settings", "reminders:push_subscription", "reminders:push_unsubscription"):
        audit.register(name, object_kwarg=None, patient_of=_own_patient)
    audit.register("reminders:stop", object_kwarg=None, patient_of=_patient_of_link)
