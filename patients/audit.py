"""Which patients pages are audited, and how each finds its patient."""

from rehab import audit

from .models import Flag


def _patient_pk(*, object_id, **_):
    return object_id


def _flag_patient(*, object_id, **_):
    return Flag.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()


def register() -> None:
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
