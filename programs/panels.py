"""What the programs app shows on a lower app's page: the calendar link on the patient's "My details" page
(settings.PATIENT_MY_DETAILS_PANELS)."""

from django.template.loader import render_to_string

from . import selectors
from .views.calendar import calendar_links


def my_calendar(*, request, patient) -> str:
    feed = selectors.calendar_feed_of(patient)
    return render_to_string(
        "programs/_my_calendar.html",
        {"feed": feed, "links": calendar_links(request, feed) if feed is not None else None},
        request=request,
    )
