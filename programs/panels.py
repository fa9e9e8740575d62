"""Panels that programs adds to the staff's patient page (patients cannot import programs).

Each panel is a function (request, patient) -> HTML, listed in settings.PATIENT_DETAIL_PANELS.
"""

from django.template.loader import render_to_string

from . import selectors

RECENT_REPORTS = 5


def patient_progress(*, request, patient) -> str:
    today = patient.clinic.local_today()
    version = selectors.active_version_for(patient)
    context = {
        "patient": patient,
        "version": version,
        "series": selectors.pain_series(patient=patient),
        "adherence": [
            selectors.adherence(patient=patient, version=version, today=today, days=days) for days in (14, 28)
        ],
        "page": {"object_list": list(selectors.report_list(patient=patient)[:RECENT_REPORTS])},
        "show_corrections": True,
    }
    return render_to_string("programs/_patient_panel.html", context, request=request)
