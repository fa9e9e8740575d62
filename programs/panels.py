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
        "adherence": selectors.adherence(patient=patient, version=version, today=today, windows=(14, 28)),
        "page": {"object_list": list(selectors.report_list(patient=patient)[:RECENT_REPORTS])},
        "show_corrections": True,
    }
    return render_to_string("programs/_patient_panel.html", context, request=request)


def flag_context(*, request, flag) -> str:
    """On a flag's page: the pain chart with the reports that fired it marked, recent reports, the program."""
    patient = flag.patient
    version = selectors.active_version_for(patient)
    marked = {e.report_id for e in flag.events.all() if e.report_id} | (
        {flag.details["report_id"]} if flag.details.get("report_id") else set()
    )
    context = {
        "patient": patient,
        "version": version,
        "items": selectors.version_items(version) if version else [],
        "series": selectors.pain_series(patient=patient),
        "marked": ",".join(str(pk) for pk in sorted(marked)),
        "page": {"object_list": list(selectors.report_list(patient=patient)[:RECENT_REPORTS])},
        "show_corrections": True,
    }
    return render_to_string("programs/_flag_panel.html", context, request=request)
