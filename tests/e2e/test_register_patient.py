from datetime import timedelta

import pytest
from playwright.sync_api import expect

from patients.models import Patient
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory
from tests.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_physio_registers_a_patient_and_finds_them_in_the_list(desk_page):
    clinic = ClinicFactory(name="Harbour Physio")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan", email="alex@harbour.example")
    today = clinic.local_today()
    page = desk_page

    log_in(page, physio.email, PASSWORD)
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_text("You have no patients in a course of care.")).to_be_visible()
    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_text("No patient is in a course of care")).to_be_visible()

    page.get_by_role("link", name="Register the first patient").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Contact email").fill("grace.lee@example.com")
    page.get_by_label("Date of birth").fill((today - timedelta(days=365 * 68)).isoformat())
    # A future onset date is refused beside the field, and nothing is stored.
    page.get_by_label("Injury onset date").fill((today + timedelta(days=3)).isoformat())
    page.get_by_label("Condition").fill("Chronic low-back stiffness with reduced hip mobility.")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#error_1_id_onset_date")).to_contain_text("cannot be in the future")
    assert not Patient.objects.exists()

    page.get_by_label("Injury onset date").fill((today - timedelta(days=400)).isoformat())
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Grace Lee")).to_be_visible()
    expect(page.get_by_text("Long-term", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Pain threshold: 2/5")).to_be_visible()

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name").fill("lee")
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row", name="Lee, Grace")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Long-term")
    expect(row).to_contain_text("Alex Morgan")
