"""Which flag pages are audited, and how each finds its patient."""

from rehab import audit

from .models import Flag

LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "flags:queue": "Flag queue",
    "flags:dashboard": "Physiotherapist's dashboard",
    "flags:detail": "Flag page",
    "flags:acknowledge": "Flag: acknowledgement",
    "flags:resolve": "Flag: resolution",
    "flags:reassign": "Flag page: reassignment",
    "flags:bulk_resolve": "Rest flags resolved together",
    "flags:ease_off": "Flag page: easier version prepared",
    "flags:step_up": "Step up prepared",
    "flags:patient_acknowledge": "Flag queue: a patient's flags acknowledged",
    "flags:patient_resolve": "Flag queue: a patient's flags resolved",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in ("flags:queue", "flags:dashboard"):  # they list patients: no one patient
        audit.register(name, object_kwarg=None, patient_of=lambda **_: None)
    for name in ("flags:detail", "flags:acknowledge", "flags:resolve", "flags:reassign", "flags:ease_off"):
        audit.register(name, patient_of=audit.patient_via(Flag))
    for name in ("flags:step_up", "flags:patient_acknowledge", "flags:patient_resolve"):
        audit.register(name, object_kwarg="patient_pk", patient_of=audit.patient_in_url, object_is_patient=True)
    audit.register("flags:bulk_resolve", object_kwarg=None, patient_of=lambda **_: None)
