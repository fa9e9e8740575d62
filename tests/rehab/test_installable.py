"""The patient pages as an installable app: the manifest, its icons, the service worker and how pages name them."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from rehab import installable

pytestmark = pytest.mark.django_db


class TestManifest:
    def test_served_as_a_manifest_with_name_icons_and_colours(self, client):
        response = client.get(reverse("web_manifest"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.content)
        assert manifest["name"] == "Back rehab" and manifest["short_name"]
        assert manifest["start_url"] == reverse("checkins:today") and manifest["scope"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"] == "#0b5563"
        purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
        assert purposes == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}

    def test_every_icon_is_a_png_of_its_stated_size(self, client):
        manifest = json.loads(client.get(reverse("web_manifest")).content)
        for icon in manifest["icons"]:
            path = finders.find(icon["src"].removeprefix(settings.STATIC_URL))
            with Image.open(path) as image:
                assert image.format == "PNG"
                assert f"{image.width}x{image.height}" == icon["sizes"]

    def test_a_maskable_icon_keeps_its_drawing_inside_the_safe_zone(self):
        """A phone may crop a maskable icon to a circle of 80% of its width: every white pixel is inside it."""
        with Image.open(finders.find("icons/icon-maskable-512.png")) as image:
            rgba = image.convert("RGBA")
            centre, radius = 256, 0.4 * 512
            drawn = [
                (x, y)
                for x in range(0, 512, 4)
                for y in range(0, 512, 4)
                if min(rgba.getpixel((x, y))[:3]) > 200  # white: the drawing
            ]
            assert drawn
            assert all((x - centre) ** 2 + (y - centre) ** 2 <= radius**2 for x, y in drawn)
            assert rgba.getpixel((0, 0))[3] == 255  # full-bleed: no transparent corners to crop


class TestServiceWorker:
    def test_served_from_the_root_as_javascript_never_cached(self, client):
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/javascript; charset=utf-8"
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
        # At the root its scope is the whole app: no Service-Worker-Allowed header is needed.
        assert reverse("service_worker") == "/sw.js"

    def test_it_imports_its_handlers_and_names_the_pages_it_keeps(self, client):
        body = client.get("/sw.js").content.decode()
        assert 'importScripts("/static/js/sw-offline.js");' in body
        config = json.loads(re.search(r"self\.REHAB_OFFLINE = (\{.*\});", body)[1])
        assert config["pages"] == [reverse("checkins:today"), reverse("checkins:create")]
        assert config["staticPrefix"] == "/static/"
        for path in config["static"]:
            assert finders.find(path.removeprefix("/static/")), path  # every file it keeps exists

    def test_the_policy_lets_the_app_register_its_worker_and_manifest_and_nothing_else(self, client):
        policy = client.get(reverse("login"))["Content-Security-Policy"]
        assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
        worker_policy = client.get("/sw.js")["Content-Security-Policy"]
        assert "script-src 'self'" in worker_policy  # what it may import

    def test_a_member_of_staff_waiting_for_two_factor_still_gets_them(self, client, physio):
        client.force_login(physio)
        physio.clinic.require_two_factor = True
        physio.clinic.save()
        assert client.get(reverse("patients:list")).status_code == 302  # sent to set up two-factor
        assert client.get("/sw.js").status_code == 200
        assert client.get(reverse("web_manifest")).status_code == 200


class TestPages:
    def test_a_patients_page_links_the_manifest_and_names_the_worker(self, client, patient):
        client.force_login(patient.user)
        page = client.get(reverse("checkins:today")).content.decode()
        assert f'<link rel="manifest" href="{reverse("web_manifest")}">' in page
        assert '<meta name="theme-color" content="#0b5563">' in page
        assert f'<meta name="offline-patient" content="{patient.user.pk}" data-worker="/sw.js"' in page
        assert "/static/js/offline.js" in page

    def test_staff_pages_keep_nothing_offline(self, client, physio):
        client.force_login(physio)
        page = client.get(reverse("patients:list")).content.decode()
        assert 'name="offline-patient"' not in page and 'rel="manifest"' not in page
        assert "/static/js/offline.js" in page  # which forgets any patient's pages this browser kept

    def test_the_log_in_page_offers_the_manifest_but_keeps_nothing(self, client):
        page = client.get(reverse("login")).content.decode()
        assert 'rel="manifest"' in page and 'name="offline-patient"' not in page

    def test_the_check_in_form_can_be_kept_offline_and_a_correction_cannot(self, client, active):
        from tests.helpers import send_checkin

        client.force_login(active.program.patient.user)
        form = client.get(reverse("checkins:create")).content.decode()
        assert f'action="{reverse("checkins:create")}" data-offline-checkin' in form
        assert 'id="offline-urgent-advice"' in form
        checkin = send_checkin(active)
        correction = client.get(reverse("checkins:correct", args=[checkin.pk])).content.decode()
        assert "data-offline-checkin" not in correction


def test_the_offline_scripts_are_in_the_app_and_use_no_eval():
    for name in ("js/offline.js", "js/sw-offline.js"):
        source = Path(finders.find(name)).read_text(encoding="utf-8")
        assert "eval(" not in source and "new Function" not in source and "innerHTML" not in source
    assert installable.OFFLINE_PAGES == ("checkins:today", "checkins:create")
