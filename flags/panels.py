"""The flags section of the staff's patient page (patients cannot import flags): a panel listed in
settings.PATIENT_DETAIL_PANELS, a function (request, patient) -> HTML."""

from django.template.loader import render_to_string

from . import selectors


def patient_flags(*, request, patient) -> str:
    return render_to_string(
        "flags/_patient_panel.html", {"flags": selectors.patient_flags(patient=patient)}, request=request
    )
