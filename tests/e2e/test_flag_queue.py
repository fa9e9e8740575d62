import uuid

import pytest
from playwright.sync_api import expect

from checkins import services as checkin_services
from flags import services as flag_services
from flags.models import Flag, FlagStatus
from programs import services as program_services
from programs.models import Exercise
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import log_in, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def patient_with_report(physio, name, *, max_pain, **symptoms):
    first, last = name.split()
    patient = make_patient(physio=physio, first_name=first, last_name=last)
    version = program_services.program_create(
        patient=patient, created_by=physio, title="P", start_date=patient.clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    program_services.program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key="dead-bug"))
    program_services.program_activate(version=version, activated_by=physio)
    version.refresh_from_db()
    saved, _ = checkin_services.checkin_submit(
        patient=patient,
        version=version,
        idempotency_key=uuid.uuid4(),
        outcomes={i.pk: "done" for i in version.items.all()},
        session_date=patient.clinic.local_today(),
        max_pain=max_pain,
        pain_now=1,
        sharp_pain=False,
        **symptoms,
    )
    flag_services.checkin_evaluate(checkin_id=saved.pk)
    return patient


def test_admin_works_a_pain_flag_from_the_queue(desk_page, shipped_library):
    clinic = ClinicFactory(name="Harbour Physio")
    admin = ClinicAdminFactory(clinic=clinic, email="jo@harbour.example")
    physio = PhysioFactory(clinic=clinic, first_name="Alex", last_name="Morgan")
    patient_with_report(physio, "Peter Novak", max_pain=4)
    patient_with_report(physio, "Grace Lee", max_pain=1, leg_weakness=True)
    page = desk_page

    log_in(page, admin.email, PASSWORD)
    expect(page.get_by_role("heading", name="Flag queue")).to_be_visible()
    open_tile = page.locator("#flag-counts .status-open .count-n")
    expect(open_tile).to_have_text("2")
    # Urgent first.
    expect(page.locator("tbody tr").first).to_contain_text("Grace Lee")

    page.get_by_label("Reason").select_option("pain")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.locator("tbody tr").get_by_role("link", name="Pain over threshold").click()

    expect(page.get_by_role("heading", name="Why this flag was raised")).to_be_visible()
    expect(page.get_by_text("Highest pain 4/5 is above the threshold of 1/5.").first).to_be_visible()
    chart = page.locator("canvas.pain-chart")
    expect(chart).to_be_visible()
    wait_until(page, "document.querySelector('canvas.pain-chart').chart !== undefined")

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged", exact=True).first).to_be_visible()
    expect(page.get_by_text("Acknowledged", exact=False).first).to_be_visible()
    page.get_by_label("Outcome").select_option("contacted_patient")
    page.get_by_label("Note").fill("Called Peter: reduce bridge reps this week.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Contacted the patient").first).to_be_visible()

    page.get_by_role("link", name="Flag queue").first.click()
    expect(page.locator("#flag-counts .status-open .count-n")).to_have_text("1")
    expect(page.locator("#flag-counts .status-resolved .count-n")).to_have_text("1")

    # By keyboard in the queue (one row per patient): acknowledging swaps the row in place, focus stays in that row,
    # and the counts at the top follow.
    urgent = Flag.objects.get(reason="warning_symptoms")
    page.locator(f"#ack-patient-{urgent.patient_id}").focus()
    page.keyboard.press("Enter")
    row = page.locator(f"#patient-row-{urgent.patient_id}")
    expect(row.locator(f"#flag-{urgent.pk}")).to_contain_text("acknowledged")
    expect(row.get_by_text("Resolve 1 flag…")).to_be_focused()
    expect(page.locator("#flag-counts .status-open .count-n")).to_have_text("0")
    flag = Flag.objects.get(reason="pain")
    assert flag.status == FlagStatus.RESOLVED and flag.resolved_by == admin
