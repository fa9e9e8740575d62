"""On a 360 px phone: a warning symptom ticked, everything else left blank, sent; the urgent advice comes first."""

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn, SymptomReport
from programs import services as program_services
from programs.models import Exercise
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_warning_symptom_with_the_rest_blank_shows_the_advice(phone_page, shipped_library):
    clinic = ClinicFactory(name="Harbour Physio", phone="020 7946 0321")
    physio = PhysioFactory(clinic=clinic)
    patient = make_patient(physio=physio, first_name="Grace", last_name="Lee", email="grace@example.com")
    version = program_services.program_create(
        patient=patient, created_by=physio, title="P", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    program_services.program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key="dead-bug"))
    program_services.program_activate(version=version, activated_by=physio)
    page = phone_page

    log_in(page, patient.user.email, PASSWORD)
    # The way to tell the clinic is on the page itself, not behind the menu (which needs JavaScript to open).
    expect(page.get_by_role("link", name="Tell the clinic about a new symptom")).to_be_visible()
    page.goto("/check-ins/new/")
    page.get_by_text("New weakness in both legs", exact=True).click()  # a large toggle: its words are tapped
    page.get_by_role("button", name="Send my report").click()

    advice = page.get_by_role("heading", name="Get urgent medical help now")
    expect(advice).to_be_visible()
    expect(page.get_by_text("You told us about: new weakness in both legs.")).to_be_visible()
    expect(page.get_by_text("Choose how strong your pain was at its worst (0 to 5).")).to_be_visible()
    expect(page.get_by_label("New weakness in both legs")).to_be_checked()  # the answer is kept
    advice_top = advice.bounding_box()["y"]
    assert advice_top < page.get_by_role("heading", name="Report a session").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    report = SymptomReport.objects.get()
    assert report.leg_weakness and CheckIn.objects.count() == 0
