"""A patient answers a due questionnaire on a 360 px phone, one question per screen."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from outcomes.models import Questionnaire
from programs.services import program_activate, program_create
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import add_exercises, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits_the_phone(page) -> None:
    """Nothing wider than the screen, and the controls big enough for a finger."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for box in page.locator("main .btn, main .pain-option").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 44


def next_question(page):
    page.get_by_role("button", name="Next").click()


def test_a_patient_answers_a_due_questionnaire_on_a_phone(phone_page, shipped_library, shipped_instruments):
    from programs.models import Exercise

    clinic = ClinicFactory(name="Harbour Physio")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan")
    patient = make_patient(physio=physio, first_name="Grace", email="grace@example.com")
    program = program_create(
        patient=patient, created_by=physio, title="Back basics", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    )
    version = program.versions.get()
    add_exercises(version, {e.key: e for e in Exercise.objects.filter(clinic=None)}, "dead-bug")
    program_activate(version=version, activated_by=physio)
    page = phone_page

    log_in(page, patient.user.email, PASSWORD)
    report = page.get_by_role("link", name="Report a session").first  # at the top of Today (and again at its end)
    answer = page.get_by_role("link", name="Answer the questionnaire")
    expect(answer).to_be_visible()
    # Never in the way of a check-in: the questionnaire comes after it.
    assert answer.bounding_box()["y"] > report.bounding_box()["y"]
    fits_the_phone(page)
    answer.click()

    # Screen 1: the activities, named once.
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    assert page.locator("legend").count() == 1
    page.get_by_label("Activity 1", exact=True).fill("Putting on socks")
    page.get_by_label("Activity 2 (if you have another)").fill("Gardening")
    fits_the_phone(page)
    next_question(page)

    # Screen 2: the first rating. Going on without an answer is refused beside the question.
    expect(page.get_by_role("group", name="How well can you manage this today: Putting on socks?")).to_be_visible()
    expect(page.get_by_text("Question 2 of 4")).to_be_visible()
    next_question(page)
    expect(page.get_by_role("alert")).to_have_text("Choose an answer to go on.")
    page.get_by_label("3", exact=True).check()
    fits_the_phone(page)
    next_question(page)

    # Screen 3: the second rating; a look back at the first, which kept its answer, then on again.
    expect(page.get_by_text("Question 3 of 4")).to_be_visible()
    page.get_by_role("link", name="Previous question").click()
    expect(page.get_by_label("3", exact=True)).to_be_checked()
    next_question(page)
    page.get_by_label("4", exact=True).check()
    next_question(page)

    # Screen 4: the pain rating.
    expect(
        page.get_by_role("group", name="Over the past 7 days, how bad has your back pain been on average?")
    ).to_be_visible()
    assert page.locator("legend").count() == 1
    page.get_by_label("6", exact=True).check()
    next_question(page)

    # Check and send.
    expect(page.get_by_role("heading", name="Check and send your answers")).to_be_visible()
    expect(page.get_by_text("Putting on socks; Gardening")).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    intake = Questionnaire.objects.get(patient=patient, timepoint="intake")
    assert intake.status == "completed"
    assert dict(intake.measurements.values_list("instrument__key", "score")) == {
        "psfs": Decimal("3.50"),
        "pain-week": Decimal("6.00"),
    }
    page.get_by_role("link", name="Back to today").click()
    expect(page.locator("#report-top")).to_be_visible()
    expect(page.get_by_role("link", name="Answer the questionnaire")).to_have_count(0)
