"""The app's URLs plus the floor: a trivial view that goes through exactly the same middleware stack."""

from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import format_html

from bench import floors

FLOOR_HTML = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Floor</title></head>"
    "<body><p>Hello, {}.</p></body></html>"
)


def floor(request):
    """A short HTML page. It reads request.user, as every real page does (the clinic time-zone middleware
    loads the user and their clinic anyway), so the floor pays for the session and the user, nothing else."""
    name = request.user.get_full_name() if request.user.is_authenticated else "visitor"
    return HttpResponse(format_html(FLOOR_HTML, name))


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/floor/flags/", floors.flag_queue, name="bench_queue"),
    path("bench/floor/dashboard/", floors.dashboard, name="bench_dashboard"),
    path("bench/floor/patients/<int:pk>/", floors.patient_detail, name="bench_patient"),
    path("bench/floor/outcomes/", floors.clinic_outcomes, name="bench_outcomes"),
    path("bench/floor/check-ins/new/", floors.checkin, name="bench_checkin"),
    path("", include("rehab.urls")),
]
