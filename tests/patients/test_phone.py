"""Patients' phone numbers: validated for the clinic's country, stored in international form, changed by the patient
on their own page, and a tap-to-call link beside the patient in the flag queue and on the flag page."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from flags.services import checkin_evaluate
from patients.models import Patient
from patients.phones import region_for
from patients.services import patient_set_phone
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import send_checkin
from tests.patients.test_views import form_data

pytestmark = pytest.mark.django_db

NOT_A_NUMBER = "Enter a phone number that can be dialled, e.g. 0121 234 5678, or with + and the country code."


@pytest.mark.parametrize(
    ("time_zone", "region"), [("Europe/London", "GB"), ("Pacific/Auckland", "NZ"), ("America/Chicago", "US")]
)
def test_the_clinics_country_comes_from_its_time_zone(time_zone, region):
    assert region_for(time_zone) == region


class TestRegistration:
    def test_a_number_as_dialled_locally_is_stored_in_international_form(self, client, physio):
        client.force_login(physio)
        client.post(reverse("patients:create"), form_data(physio, phone="020 7946 0321"))
        assert str(Patient.objects.get().phone) == "+442079460321"

    @pytest.mark.parametrize("phone", ["12345", "call me", "020 7946 03211111"])
    def test_a_number_that_is_not_one_is_told_beside_the_field_and_stores_nothing(self, client, physio, phone):
        client.force_login(physio)
        response = client.post(reverse("patients:create"), form_data(physio, phone=phone))
        page = response.content.decode()
        assert response.status_code == 200 and NOT_A_NUMBER in page
        assert 'id="error_1_id_phone"' in page or 'id="id_phone_error"' in page or "is-invalid" in page
        assert Patient.objects.count() == 0

    def test_staff_change_it_on_edit(self, client, physio, patient):
        client.force_login(physio)
        data = form_data(physio, email=patient.user.email, phone="+1 202 555 0143")
        client.post(reverse("patients:edit", args=[patient.pk]), data)
        patient.refresh_from_db()
        assert str(patient.phone) == "+12025550143"

    def test_a_clinic_with_no_country_takes_international_numbers_only(self, physio):
        clinic = ClinicFactory(name="Anywhere", time_zone="UTC")
        patient = make_patient(physio=PhysioFactory(clinic=clinic))
        with pytest.raises(ValidationError):
            patient_set_phone(patient=patient, phone="020 7946 0321")
        assert str(patient_set_phone(patient=patient, phone="+44 20 7946 0321").phone) == "+442079460321"

    def test_the_database_keeps_international_form_only(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(phone="020 7946 0321")


class TestMyDetails:
    url = reverse("patients:my_details")

    def test_the_patient_changes_their_own_number(self, client, patient):
        client.force_login(patient.user)
        assert "My details" in client.get(self.url).content.decode()
        response = client.post(self.url, {"phone": "0161 496 0000"}, follow=True)
        assert "Your details are saved." in response.content.decode()
        patient.refresh_from_db()
        assert str(patient.phone) == "+441614960000"

    def test_bad_input_stores_nothing(self, client, patient):
        patient_set_phone(patient=patient, phone="0161 496 0000")
        client.force_login(patient.user)
        response = client.post(self.url, {"phone": "not a phone"})
        assert NOT_A_NUMBER in response.content.decode()
        patient.refresh_from_db()
        assert str(patient.phone) == "+441614960000"

    def test_clearing_it_is_allowed(self, client, patient):
        patient_set_phone(patient=patient, phone="0161 496 0000")
        client.force_login(patient.user)
        client.post(self.url, {"phone": ""})
        patient.refresh_from_db()
        assert not patient.phone


class TestTapToCall:
    def test_beside_the_patient_in_the_queue_and_on_the_flag_page(self, client, active, clinic_admin):
        patient = active.program.patient
        patient_set_phone(patient=patient, phone="020 7946 0321")
        (flag,) = checkin_evaluate(checkin_id=send_checkin(active, max_pain=4).pk)
        client.force_login(clinic_admin)
        link = 'href="tel:+442079460321"'
        assert link in client.get(reverse("flags:queue")).content.decode()
        page = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
        assert link in page and "+44 20 7946 0321" in page

    def test_beside_the_patient_on_every_rows_view_with_a_number_and_not_without_one(
        self, client, active, clinic_admin, physio
    ):
        patient = active.program.patient
        checkin_evaluate(checkin_id=send_checkin(active, max_pain=4).pk)
        pages = [(clinic_admin, reverse("flags:queue")), (clinic_admin, reverse("flags:queue") + "?rows=flag")]
        pages.append((physio, reverse("flags:dashboard")))
        for user, url in pages:
            client.force_login(user)
            assert "tel:" not in client.get(url).content.decode(), url
        patient_set_phone(patient=patient, phone="020 7946 0321")
        for user, url in pages:
            client.force_login(user)
            assert 'href="tel:+442079460321"' in client.get(url).content.decode(), url

    def test_without_a_number_the_flag_page_says_so(self, client, active, clinic_admin):
        (flag,) = checkin_evaluate(checkin_id=send_checkin(active, max_pain=4).pk)
        client.force_login(clinic_admin)
        assert "no phone number recorded" in client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
