"""On a phone that loses its connection: Today and the check-in form stay readable from the copies the service worker
kept, saying when they were saved; a check-in sent offline waits on the phone and, once the phone is back online, is
stored exactly once, and the patient reads that it arrived. Sent after the program changed, it is refused with the
clinic's message, and nothing is stored."""

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn
from programs import services as program_services
from programs.models import Exercise
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import log_in, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient_with_program(shipped_library):
    clinic = ClinicFactory(name="Harbour Physio", phone="020 7946 0321")
    physio = PhysioFactory(clinic=clinic)
    patient = make_patient(physio=physio, first_name="Grace", last_name="Lee", email="grace@example.com")
    program = program_services.program_create(
        patient=patient, created_by=physio, title="Back strength", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    )
    version = program.versions.get()
    program_services.program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key="bird-dog"))
    program_services.program_activate(version=version, activated_by=physio)
    return patient, physio, program


def _ready_for_offline(page, patient):
    log_in(page, patient.user.email, PASSWORD)
    expect(page.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    # The service worker is in charge and has kept Today and the check-in form.
    wait_until(page, "document.documentElement.dataset.offlineReady === 'true'", timeout=20)


def _fill_in_the_check_in(page):
    page.locator("label", has_text="Done").click()  # the radio button is drawn by its label
    for name, value in (("max_pain", "1"), ("pain_now", "0"), ("sharp_pain", "no")):  # each drawn by its label too
        choice = page.locator(f"input[name={name}][value='{value}']").get_attribute("id")
        page.locator(f"label[for={choice}]").click()
    page.locator("label", has_text="None of these").click()  # a toggle: its words are what is tapped
    page.get_by_label("Anything else to tell your physiotherapist?").fill("Done on the train, no signal.")


def test_offline_the_pages_stay_readable_and_a_check_in_waits_then_arrives_once(
    phone_page, patient_with_program, live_server
):
    patient, _physio, _program = patient_with_program
    page = phone_page
    _ready_for_offline(page, patient)

    page.context.set_offline(True)
    page.goto("/today/")
    expect(page.get_by_text("you are offline.")).to_be_visible()
    expect(page.get_by_text("Saved on ")).to_be_visible()
    expect(page.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    assert page.locator(".card svg").count() >= 1  # the exercise's figure is in the saved copy

    page.goto("/check-ins/new/")
    expect(page.get_by_role("heading", name="Report a session")).to_be_visible()
    expect(page.get_by_text("you are offline.")).to_be_visible()
    # The saved form gets a key of its own, not the one of the visit it was saved on.
    key = page.locator("input[name=idempotency_key]").input_value()
    _fill_in_the_check_in(page)
    page.get_by_role("button", name="Send my report").click()
    expect(page.get_by_text("is saved on this phone and waiting to be sent")).to_be_visible()
    expect(page.get_by_role("button", name="Send my report")).to_be_hidden()
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)  # the connection returns: the page sends what waits, by itself
    expect(page.get_by_text("has arrived at the clinic")).to_be_visible(timeout=15_000)
    checkin = CheckIn.objects.get()
    assert str(checkin.idempotency_key) == key
    assert checkin.note == "Done on the train, no signal." and checkin.max_pain == 1
    page.get_by_role("link", name="See your report").click()
    expect(page).to_have_url(f"{live_server.url}/check-ins/{checkin.pk}/")

    # Opening pages again sends nothing twice: the phone keeps nothing more to send.
    page.goto("/today/")
    expect(page.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    assert (
        page.evaluate(
            "new Promise((done) => { const r = indexedDB.open('rehab-offline'); r.onsuccess = () => {"
            " const all = r.result.transaction('checkins').objectStore('checkins').getAll();"
            " all.onsuccess = () => done(all.result.length); }; })"
        )
        == 0
    )
    assert CheckIn.objects.count() == 1


def test_a_check_in_sent_offline_twice_over_is_stored_once(phone_page, patient_with_program):
    """The same waiting check-in sent again (a second tab, a page opened while the first was sending) finds the one
    the first sending stored: the key is the check-in's."""
    patient, _physio, _program = patient_with_program
    page = phone_page
    _ready_for_offline(page, patient)
    page.context.set_offline(True)
    page.goto("/check-ins/new/")
    _fill_in_the_check_in(page)
    page.get_by_role("button", name="Send my report").click()
    expect(page.get_by_text("waiting to be sent")).to_be_visible()
    second = page.context.new_page()
    second.goto("/today/")
    expect(second.get_by_text("waiting to be sent")).to_be_visible()

    page.context.set_offline(False)  # both pages send it
    expect(page.get_by_text("has arrived at the clinic")).to_be_visible(timeout=15_000)
    second.reload()
    expect(second.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    wait_until(second, "!document.body.textContent.includes('waiting to be sent')")
    assert CheckIn.objects.count() == 1


def test_a_check_in_sent_offline_after_the_program_changed_is_refused_with_a_message(phone_page, patient_with_program):
    patient, physio, program = patient_with_program
    page = phone_page
    _ready_for_offline(page, patient)
    page.context.set_offline(True)
    page.goto("/check-ins/new/")
    _fill_in_the_check_in(page)
    page.get_by_role("button", name="Send my report").click()
    expect(page.get_by_text("waiting to be sent")).to_be_visible()

    # Meanwhile the physiotherapist revises the program: the form the phone kept was for the version before.
    draft = program_services.program_revise(program=program, created_by=physio)
    program_services.program_activate(version=draft, activated_by=physio, change_note="Harder bird dog")

    page.context.set_offline(False)
    expect(page.get_by_text("could not be sent")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("This is not your current program.")).to_be_visible()
    expect(page.get_by_role("link", name="Report that session again")).to_be_visible()
    assert CheckIn.objects.count() == 0
    page.goto("/today/")  # nothing waits any more: it is not sent again
    expect(page.get_by_role("heading", name="1. Bird dog")).to_be_visible()
    assert not page.get_by_text("waiting to be sent").is_visible()
    assert CheckIn.objects.count() == 0


def test_a_warning_symptom_ticked_offline_shows_the_advice_at_once_and_a_log_out_forgets_the_pages(
    phone_page, patient_with_program
):
    patient, _physio, _program = patient_with_program
    page = phone_page
    _ready_for_offline(page, patient)
    page.context.set_offline(True)
    page.goto("/check-ins/new/")
    _fill_in_the_check_in(page)
    page.locator("label", has_text="None of these").click()  # a toggle: its words are what is tapped
    page.locator("label", has_text="New weakness in both legs").click()  # a toggle: its words are what is tapped
    page.get_by_role("button", name="Send my report").click()
    expect(page.get_by_role("heading", name="You need to see a doctor now")).to_be_visible()
    expect(page.get_by_text("the clinic has not been told yet")).to_be_visible()
    expect(page.get_by_role("link", name="020 7946 0321")).to_be_visible()

    page.context.set_offline(False)
    expect(page.get_by_text("has arrived at the clinic")).to_be_visible(timeout=15_000)
    assert CheckIn.objects.get().leg_weakness

    # Logged out, this browser keeps no copy of the patient's pages for the next person to read offline.
    assert page.evaluate("caches.has('rehab-pages-v1')")
    page.goto("/today/")
    page.get_by_text("Menu", exact=True).click()  # the menu is a <details>
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Email address")).to_be_visible()
    wait_until(page, "caches.has('rehab-pages-v1').then((kept) => !kept)")
