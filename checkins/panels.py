"""The check-ins section of the staff's patient page (patients cannot import check-ins): a panel listed in
settings.PATIENT_DETAIL_PANELS, a function (request, patient) -> HTML."""

from datetime import date

from django.template.loader import render_to_string

from programs.selectors import program_version_and_flare_up

from . import selectors

RECENT = 5


def patient_progress(*, request, patient) -> str:
    today = patient.clinic.local_today()
    version, flare_up = program_version_and_flare_up(patient, today=today)
    series = selectors.pain_series(patient=patient)
    # Every report's day is in the pain series already: the adherence figures count from it.
    session_days = {date.fromisoformat(point["date"]) for point in series}
    context = {
        "patient": patient,
        "version": version,
        "flare_up": flare_up,
        "series": series,
        "adherence": selectors.adherence(patient=patient, version=version, today=today, session_days=session_days),
        "page": {"object_list": selectors.latest_checkins(patient=patient, count=RECENT)},
        "show_corrections": True,
    }
    return render_to_string("checkins/_patient_panel.html", context, request=request)
