"""The patient's pages on a 360 px phone: every control big enough for a thumb, the check-in answered by tapping
words, the chosen answers in the app's teal, the error summary taking focus, and the menu (with "Log out") opening
without JavaScript."""

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn
from programs import services as program_services
from programs.models import Exercise
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import PHONE, add_exercises, log_in, send_checkin, small_tap_targets, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BRAND = "rgb(11, 85, 99)"  # --brand in static/css/app.css


def wait_for_colour(page, input_id: str) -> None:
    """Wait until the label of the chosen answer is the app's teal (the colour comes in with a short transition)."""
    wait_until(page, f"getComputedStyle(document.querySelector('label[for={input_id}]')).backgroundColor === '{BRAND}'")


def a_patient_with_a_program(*keys):
    clinic = ClinicFactory(name="Harbour Physio", phone="020 7946 0321")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan")
    patient = make_patient(physio=physio, first_name="Grace", last_name="Lee", email="grace@example.com")
    version = program_services.program_create(
        patient=patient, created_by=physio, title="Back basics", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    add_exercises(version, {e.key: e for e in Exercise.objects.filter(clinic=None)}, *keys)
    program_services.program_activate(version=version, activated_by=physio)
    version.refresh_from_db()
    return patient, version


def assert_thumb_sized(page, what: str) -> None:
    small = small_tap_targets(page)
    assert not small, f"controls under 44 x 44 px on {what}: {small}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{what} is wider than the phone"


def test_every_control_on_the_patient_pages_is_at_least_44_px(phone_page, shipped_library, shipped_instruments):
    patient, version = a_patient_with_a_program("dead-bug", "clamshell")
    send_checkin(version, days_ago=0, max_pain=2)
    page = phone_page
    log_in(page, patient.user.email, PASSWORD)

    expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
    assert_thumb_sized(page, "Today")
    page.locator(".how-to summary").first.click()  # the steps unfolded, and the menu open, are measured too
    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_thumb_sized(page, "Today, steps and menu open")

    for path, what in (
        ("/check-ins/new/", "the check-in"),
        ("/check-ins/", "the history"),
        ("/patients/me/", "my details"),
    ):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        assert_thumb_sized(page, what)

    page.goto("/")
    page.get_by_role("link", name="Answer the questionnaire").click()
    expect(page.get_by_text("Question 1 of")).to_be_visible()
    assert_thumb_sized(page, "the questionnaire")


def test_the_patient_taps_the_word_moderate_and_sends_the_check_in(phone_page, shipped_library):
    patient, version = a_patient_with_a_program("dead-bug", "clamshell")
    page = phone_page
    log_in(page, patient.user.email, PASSWORD)
    page.locator("#report-top").click()
    expect(page.get_by_role("heading", name="Report a session")).to_be_visible()

    highest = page.get_by_role("group", name="Highest pain during the session")
    highest.get_by_text("Moderate", exact=True).tap()
    chosen = highest.get_by_role("radio", name="3 Moderate")
    expect(chosen).to_be_checked()
    chosen_id = chosen.get_attribute("id")
    # The chosen answer takes the app's teal, not the browser's blue.
    wait_for_colour(page, chosen_id)
    for name in ("Dead bug", "Clamshell"):
        page.get_by_role("group", name=name).get_by_text("Done", exact=True).tap()
    page.get_by_role("group", name="Pain now").get_by_text("Aware of it", exact=True).tap()
    page.get_by_role("group", name="Did you feel a sharp or intense pain?").get_by_text("No", exact=True).tap()
    page.get_by_text("None of these", exact=True).tap()
    page.get_by_role("button", name="Send my report").tap()

    expect(page.get_by_role("heading", name="Report a session")).to_have_count(0)
    checkin = CheckIn.objects.get(patient=patient)
    assert (checkin.max_pain, checkin.pain_now, checkin.sharp_pain) == (3, 1, False)


def test_after_a_failed_send_the_error_summary_has_the_focus(phone_page, shipped_library):
    patient, _version = a_patient_with_a_program("dead-bug")
    page = phone_page
    log_in(page, patient.user.email, PASSWORD)
    page.goto("/check-ins/new/")
    page.get_by_text("Severe", exact=True).first.tap()
    page.get_by_role("button", name="Send my report").tap()

    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("Some answers need another look")
    expect(summary).to_be_focused()
    assert CheckIn.objects.count() == 0
    # The answer given is kept, in teal.
    expect(
        page.get_by_role("group", name="Highest pain during the session").get_by_role("radio", name="4 Severe")
    ).to_be_checked()


def test_a_warning_symptom_is_a_large_toggle_in_teal(phone_page, shipped_library):
    patient, _version = a_patient_with_a_program("dead-bug")
    page = phone_page
    log_in(page, patient.user.email, PASSWORD)
    page.goto("/check-ins/new/")
    toggle = page.locator("label.toggle-choice", has_text="New weakness in both legs")
    box = toggle.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # across the phone
    toggle.tap()
    expect(page.get_by_role("checkbox", name="New weakness in both legs")).to_be_checked()
    checkbox_id = page.get_by_role("checkbox", name="New weakness in both legs").get_attribute("id")
    wait_for_colour(page, checkbox_id)


def test_without_javascript_the_menu_opens_and_log_out_works(browser, live_server, shipped_library):
    patient, _version = a_patient_with_a_program("dead-bug")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, patient.user.email, PASSWORD)
        expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_hidden()  # folded away on a phone, until the menu opens
        page.get_by_text("Menu", exact=True).click()
        expect(page.locator("#nav").get_by_role("link", name="My history")).to_be_visible()
        expect(log_out).to_be_visible()
        log_out.click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        page.goto("/")
        expect(page.get_by_role("button", name="Log in")).to_be_visible()  # logged out indeed
    finally:
        context.close()


def test_on_a_wide_screen_the_menu_is_open_without_a_tap(desk_page, shipped_library):
    patient, _version = a_patient_with_a_program("dead-bug")
    page = desk_page
    log_in(page, patient.user.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="My details")).to_be_visible()
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
