"""The app's URLs plus the floor: a trivial view that goes through exactly the same middleware stack."""

from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import format_html

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
    path("", include("rehab.urls")),
]
