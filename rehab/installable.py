"""The patient pages as an app on the phone's home screen: the web app manifest and the service worker.

The service worker is served from the site's root (/sw.js), so that its scope is the whole app, from a template
that names the pages it keeps for offline reading and the static files it keeps with them, by their current
(in production, fingerprinted) addresses. Its handlers live in the static files it imports (static/js/sw-offline.js).
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

APP_NAME = "Back rehab"
THEME_COLOUR = "#0b5563"  # the brand colour of the navigation bar (static/css/app.css)
BACKGROUND_COLOUR = "#ffffff"
# Kept by the service worker so that every patient page looks right offline, and the app's icons.
STATIC_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/htmx/htmx.min.js",
    "css/app.css",
    "css/figures.css",
    "css/figure-motion.css",
    "js/app.js",
    "js/offline.js",
    "favicon.svg",
    "icons/icon-any-192.png",
)
# The pages kept for reading offline (each a copy of its last visit): today's program with its figures, and the
# check-in form, which a patient can fill in offline (js/offline.js keeps what they send until it can go).
OFFLINE_PAGES = ("checkins:today", "checkins:create")


def icons() -> list[dict]:
    return [
        {
            "src": static(f"icons/icon-{purpose}-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for purpose in ("any", "maskable")
        for size in (192, 512)
    ]


@require_GET
@cache_control(max_age=60 * 60)
def web_manifest(request):
    """What a phone needs to put the app on its home screen: a name, icons, the colours, and where it opens."""
    manifest = {
        "name": APP_NAME,
        "short_name": "Rehab",
        "description": "Your back exercise program and your session reports.",
        "id": "/",
        "start_url": reverse("checkins:today"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons(),
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request):
    """The service worker. Never cached by the browser's HTTP cache, so that a new version reaches phones on their
    next visit (browsers check at most once a day anyway)."""
    config = {
        "pages": [reverse(name) for name in OFFLINE_PAGES],
        "static": [static(path) for path in STATIC_FILES],
        "staticPrefix": settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
    }
    return render(
        request,
        "sw.js",
        {"config": json.dumps(config)},
        content_type="text/javascript; charset=utf-8",
    )
