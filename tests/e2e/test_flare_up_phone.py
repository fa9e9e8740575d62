"""On a 360 px phone: the patient taps "I'm having a flare-up" on Today and sees the easier plan with the advice; at
the desk, the physiotherapist sees the flare-up flag."""

import pytest
from playwright.sync_api import expect

from flags import services as flag_services
from programs import services as program_services
from programs.models import Exercise, FlareUp
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_flare_up_on_a_phone_and_the_flag_at_the_desk(phone_page, desk_page, shipped_library):
    clinic = ClinicFactory(name="Harbour Physio", phone="020 7946 0321")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan", email="alex@harbour.example")
    patient = make_patient(physio=physio, first_name="Grace", last_name="Lee", email="grace@example.com")
    program = program_services.program_create(
        patient=patient, created_by=physio, title="Back strength", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    )
    version = program.versions.get()
    for key in ("bird-dog", "clamshell"):
        program_services.program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key=key))
    program_services.program_activate(version=version, activated_by=physio)
    draft = program_services.flare_plan_prepare(program=program, created_by=physio)
    program_services.flare_plan_keep(version=draft, by=physio)

    page = phone_page
    log_in(page, patient.user.email, PASSWORD)
    expect(page.get_by_role("heading", name="Back strength")).to_be_visible()
    expect(page.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    button = page.get_by_role("button", name="I'm having a flare-up")
    assert button.bounding_box()["height"] >= 44  # a touch target a thumb can hit
    button.click()

    expect(page.get_by_role("heading", name="You are on your flare-up plan until")).to_be_visible()
    expect(page.get_by_text("Your physiotherapist has been told.")).to_be_visible()
    expect(page.get_by_role("heading", name="Moving gently helps")).to_be_visible()
    expect(page.get_by_role("heading", name="Your flare-up plan", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="1. Four-point leg slide")).to_be_visible()  # the easier variant
    expect(page.get_by_role("button", name="I'm having a flare-up")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    # The worker tells the physiotherapist (its task was queued when the flare-up was saved).
    flag_services.flare_up_flag(flare_up_id=FlareUp.objects.get().pk)
    desk = desk_page
    log_in(desk, physio.email, PASSWORD)
    flags = desk.locator("table.flag-table")
    expect(flags).to_contain_text("Flare-up")
    expect(flags).to_contain_text("The patient switched to their flare-up plan")
    desk.get_by_role("link", name="Grace Lee").first.click()
    expect(desk.get_by_role("heading", name="Why this flag was raised")).to_be_visible()
    expect(desk.get_by_text("On the flare-up plan")).to_be_visible()
    expect(desk.get_by_role("button", name="End the flare-up today")).to_be_visible()
