"""Every staff page works on a 360 px wide screen: no page scrolls sideways (tables scroll inside their own box,
long e-mail addresses wrap). Walked as a physiotherapist and as a clinic admin over the demo clinic, whose data
has every feature in it."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARROW = {"viewport": {"width": 360, "height": 740}}
WIDTH = "document.documentElement.scrollWidth"
# What sticks out past the right edge (outside a box that scrolls), innermost first: named in the failure so that it
# can be found.
CULPRITS = """(() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const out = (el) => el.getBoundingClientRect().right > edge;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/ +/).join('.') : '');
  return Array.from(document.querySelectorAll('body *'))
    .filter((el) => !el.closest('.table-responsive') && out(el) && !Array.from(el.children).some(out))
    .slice(0, 4)
    .map((el) => name(el) + ' ' + Math.round(el.getBoundingClientRect().right));
})()"""


def physio_pages():
    from flags.models import Flag
    from patients.models import Episode, Patient
    from programs.models import Exercise, ProgramVersion
    from programs.services import program_revise

    maria = Patient.objects.get(user__email="maria.lopez@example.com")
    flag = Flag.objects.filter(patient=maria).first()
    active = ProgramVersion.objects.get(program__patient=maria, status=ProgramVersion.Status.ACTIVE)
    draft = program_revise(program=active.program, created_by=maria.physiotherapist)
    discharged = Episode.objects.get(discharged_at__isnull=False)
    return [
        reverse("flags:dashboard"),
        reverse("flags:detail", args=[flag.pk]),
        reverse("patients:list"),
        reverse("patients:detail", args=[maria.pk]),
        reverse("patients:create"),
        reverse("patients:edit", args=[maria.pk]),
        reverse("patients:discharge", args=[maria.pk]),
        reverse("programs:patient", args=[maria.pk]),
        reverse("programs:new", args=[maria.pk]),
        reverse("programs:version", args=[active.pk]),
        reverse("programs:handout", args=[active.pk]),
        reverse("programs:builder", args=[draft.pk]),
        reverse("programs:exercise_list"),
        reverse("programs:exercise_detail", args=[Exercise.objects.get(clinic=None, key="glute-bridge").pk]),
        reverse("programs:exercise_create"),
        reverse("programs:template_list"),
        reverse("checkins:patient", args=[maria.pk]),
        reverse("outcomes:summary", args=[discharged.pk]),
        reverse("two_factor_setup"),
    ]


def admin_pages():
    from flags.models import Flag
    from patients.models import Patient

    maria = Patient.objects.get(user__email="maria.lopez@example.com")
    urgent = Flag.objects.filter(reason="warning_symptoms").first()
    return [
        reverse("flags:queue"),
        reverse("flags:queue") + "?status=all",
        reverse("flags:detail", args=[urgent.pk]),
        reverse("patients:list"),
        reverse("patients:detail", args=[maria.pk]),
        reverse("patients:audit", args=[maria.pk]),
        reverse("staff_list"),
        reverse("clinic_settings"),
        reverse("outcomes:clinic"),
        reverse("outcomes:schedule"),
        reverse("programs:exercise_list"),
        reverse("programs:template_list"),
    ]


def too_wide(page, paths) -> dict[str, tuple[int, list[str]]]:
    wide = {}
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        width = page.evaluate(WIDTH)
        if width > NARROW["viewport"]["width"]:
            wide[path] = (width, page.evaluate(CULPRITS))
    return wide


def test_every_staff_page_fits_a_360_px_screen(browser, live_server, shipped_library, shipped_instruments):
    call_command("seed_demo", verbosity=0)
    from demo.data import DEMO_PASSWORD

    for email, pages in (("admin@riverside.example", admin_pages), ("alex.morgan@riverside.example", physio_pages)):
        context = browser.new_context(base_url=live_server.url, **NARROW)
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, email, DEMO_PASSWORD)
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        try:
            assert too_wide(page, pages()) == {}, email
        finally:
            context.close()
