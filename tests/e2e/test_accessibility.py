"""axe-core (package.json) finds no accessibility problem on Today, the check-in (blank and after a failed send),
the builder and the handout; and the compact builder shows six exercises and its checks on a 1366 x 768 screen."""

import pytest
from playwright.sync_api import expect

from programs import services as program_services
from programs.models import Exercise
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import DESK, PHONE, add_exercises, axe_violations, log_in, send_checkin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIX = ("dead-bug", "adductor-ball-squeeze", "clamshell", "side-plank-knees", "glute-bridge", "bird-dog")


@pytest.fixture
def clinic_with_a_patient(shipped_library):
    clinic = ClinicFactory(name="Harbour Physio", phone="020 7946 0321")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan", email="alex@harbour.example")
    patient = make_patient(physio=physio, first_name="Grace", last_name="Lee", email="grace@example.com")
    version = program_services.program_create(
        patient=patient, created_by=physio, title="Back basics", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    add_exercises(version, {e.key: e for e in Exercise.objects.filter(clinic=None)}, *SIX)
    return physio, patient, version


def activate(version, physio):
    program_services.program_activate(version=version, activated_by=physio)
    version.refresh_from_db()


def open_page(browser, live_server, device):
    # The app's Content-Security-Policy refuses the injected axe script: bypassed for the check only.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **device)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def assert_no_violations(page, what: str) -> None:
    found = axe_violations(page)
    assert found == [], f"axe-core on {what}: {found}"


def test_axe_finds_nothing_on_the_patient_pages(browser, live_server, clinic_with_a_patient):
    physio, patient, version = clinic_with_a_patient
    activate(version, physio)
    send_checkin(version, days_ago=0, max_pain=1)
    context, page = open_page(browser, live_server, PHONE)
    try:
        log_in(page, patient.user.email, PASSWORD)
        expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
        assert_no_violations(page, "Today")
        page.get_by_text("Menu", exact=True).click()
        page.locator(".how-to summary").first.click()
        assert_no_violations(page, "Today, menu and steps open")

        page.goto("/check-ins/new/")
        assert_no_violations(page, "the check-in")
        page.get_by_text("Moderate", exact=True).first.click()
        page.get_by_role("button", name="Send my report").click()
        expect(page.locator("#form-errors")).to_be_visible()
        assert_no_violations(page, "the check-in with its errors")

        page.goto(f"/programs/versions/{version.pk}/handout/")
        expect(page.get_by_role("heading", name="Back basics")).to_be_visible()
        assert_no_violations(page, "the handout")
    finally:
        context.close()


def test_axe_finds_nothing_on_the_builder_and_six_exercises_fit_the_screen(browser, live_server, clinic_with_a_patient):
    physio, _patient, version = clinic_with_a_patient
    context, page = open_page(browser, live_server, {"viewport": {"width": 1366, "height": 768}})
    try:
        log_in(page, physio.email, PASSWORD)
        page.goto(f"/programs/versions/{version.pk}/build/")
        expect(page.locator(".builder-item")).to_have_count(6)
        # Six exercises, each with its thumbnail, and the checks, all on the first screen, without scrolling.
        assert page.evaluate("window.scrollY") == 0
        bottoms = page.locator(".builder-item").evaluate_all("els => els.map(e => e.getBoundingClientRect().bottom)")
        checks = page.locator("section[aria-labelledby=checks-h]").bounding_box()
        assert max(bottoms) <= 768, f"the sixth exercise ends at {max(bottoms):.0f} px"
        assert checks["y"] + checks["height"] <= 768, f"the checks end at {checks['y'] + checks['height']:.0f} px"
        assert page.locator(".builder-item .fig-thumb").count() == 6
        assert page.locator("#picker-results .fig-thumb").count() > 0  # the picker shows thumbnails too
        assert_no_violations(page, "the builder")
        page.get_by_text("Change the dose", exact=False).first.click()  # a dose form, opened on demand
        expect(page.locator(".dose-form").first).to_be_visible()
        assert_no_violations(page, "the builder with a dose form open")

        activate(version, physio)
        page.goto(f"/programs/versions/{version.pk}/handout/")
        assert_no_violations(page, "the handout, as staff print it")
    finally:
        context.close()


def test_a_dose_is_changed_from_its_row_with_and_without_javascript(browser, live_server, clinic_with_a_patient):
    physio, _patient, version = clinic_with_a_patient
    item = version.items.order_by("position").first()
    for javascript in (True, False):
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript, **DESK)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            log_in(page, physio.email, PASSWORD)
            page.goto(f"/programs/versions/{version.pk}/build/")
            row = page.locator(f"#item-{item.pk}")
            expect(row.get_by_label("Sets")).to_be_hidden()  # folded until asked for
            row.locator("summary").click()
            sets = 4 if javascript else 5
            row.get_by_label("Sets").fill(str(sets))
            row.get_by_role("button", name="Save dose").click()
            expect(page.locator(f"#item-{item.pk} .builder-dose")).to_contain_text(f"{sets} ×")
            if javascript:  # saved in place: the focus is on the row's "Change the dose", not lost
                expect(page.locator(f"#edit-{item.pk}")).to_be_focused()
            item.refresh_from_db()
            assert item.sets == sets
        finally:
            context.close()
