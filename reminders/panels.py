"""The reminders' sections of pages of lower apps: the patient's own page (settings.PATIENT_MY_DETAILS_PANELS) and the
staff's patient page (settings.PATIENT_DETAIL_PANELS)."""

from django.conf import settings
from django.template.loader import render_to_string

from . import selectors
from .forms import ReminderSettingsForm


def initial_of(row) -> dict:
    return {"time": row.time, "sessions": row.sessions, "nudges": row.nudges, "email": row.email, "push": row.push}


def my_reminders(*, request, patient, form=None) -> str:
    """The patient's reminder time and channels, and the button that turns notifications on in this browser."""
    if form is None:
        form = ReminderSettingsForm(clinic=patient.clinic, initial=initial_of(selectors.settings_for(patient)))
    return render_to_string(
        "reminders/_my_reminders.html",
        {
            "reminder_form": form,
            "vapid_public_key": settings.WEB_PUSH_VAPID_PUBLIC_KEY if selectors.push_configured() else "",
            "devices": selectors.push_subscriptions(patient),
        },
        request=request,
    )


def patient_reminders(*, request, patient) -> str:
    """Whether the patient gets reminders, by which channels, and when the last one went."""
    overview = selectors.reminders_overview(patient)
    return render_to_string(
        "reminders/_patient_panel.html",
        {
            "reminders": overview.settings,
            "last": overview.last,
            "devices": overview.devices,
            "tz": patient.clinic.tzinfo,
        },
        request=request,
    )
