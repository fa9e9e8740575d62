"""Which flag pages are audited, and how each finds its patient."""

from rehab import audit

from .models import Flag


def _flag_patient(*, object_id, **_):
    return Flag.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()


LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "flags:detail": "Flag page",
    "flags:acknowledge": "Flag: acknowledgement",
    "flags:resolve": "Flag: resolution",
    "flags:reassign": "Flag page: reassignment",
    "flags:bulk_resolve": "Rest flags resolved together",
    # Before flags had an app of their own, the trail recorded them under these names.
    "patients:flag_detail": "Flag page",
    "patients:flag_acknowledge": "Flag: acknowledgement",
    "patients:flag_resolve": "Flag: resolution",
    "patients:flag_reassign": "Flag page: reassignment",
    "patients:flag_bulk_resolve": "Rest flags resolved together",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in ("flags:detail", "flags:acknowledge", "flags:resolve", "flags:reassign"):
        audit.register(name, patient_of=_flag_patient)
    audit.register("flags:bulk_resolve", object_kwarg=None, patient_of=lambda **_: None)
