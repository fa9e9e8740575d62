"""The patient's calendar feed: served to whoever holds its secret link (a phone's calendar fetches it with no
session), and reset by the patient from "My details"."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from patients.selectors import own_patient
from rehab.permissions import patient_required

from .. import calendar, selectors, services

MY_DETAILS = "patients:my_details"


@require_safe  # GET, and HEAD, which some calendars send first
def calendar_feed(request, token: str):
    """The iCalendar feed of a calendar link. A link that was reset, or never made, is a 404 like any page that
    does not exist: it says nothing about whether it ever worked."""
    feed = selectors.calendar_feed_by_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    patient = feed.patient
    clinic = patient.clinic
    first, last = calendar.window(clinic.local_today())
    spans, pauses = selectors.calendar_schedule(patient=patient, first=first, last=last)
    body = calendar.feed(
        patient_id=patient.pk,
        host=urlsplit(settings.SITE_URL).hostname or "rehab.invalid",
        clinic_name=clinic.name,
        time_zone=clinic.time_zone,
        spans=spans,
        pauses=pauses,
        today_url=settings.SITE_URL.rstrip("/") + reverse("checkins:today"),
        now=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if "download" in request.GET else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="exercise-sessions.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
@patient_required
def calendar_reset(request):
    """Make the patient's calendar link, or replace it with a new one: the old link stops working at once."""
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record for this account.")
    had_one = selectors.calendar_feed_of(patient) is not None
    services.calendar_feed_reset(patient=patient)
    if had_one:
        messages.success(
            request,
            "Your calendar link is new. The old one no longer works: subscribe to the new link in your calendar.",
        )
    else:
        messages.success(request, "Your calendar link is ready: add it to your phone's calendar.")
    return redirect(reverse(MY_DETAILS) + "#calendar")


def calendar_links(request, feed) -> dict[str, str]:
    """The feed's addresses: to subscribe (webcal://, which phones open in their calendar app), and to download."""
    url = request.build_absolute_uri(reverse("programs:calendar_feed", args=[feed.token]))
    return {"subscribe": "webcal://" + url.split("://", 1)[1], "download": url + "?download=1", "https": url}
