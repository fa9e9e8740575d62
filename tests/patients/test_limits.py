"""A date of birth at least a year before today, and a pause of at most the clinic's weeks (8 unless it says
otherwise): the form says why beside the field, the service refuses, the database holds what it can."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients import rules
from patients.models import Patient, Pause
from patients.services import patient_register, pause_create
from rehab.models import Clinic
from tests.factories import make_patient
from tests.helpers import patient_form_data

pytestmark = pytest.mark.django_db

A_YEAR = "The date of birth must be at least a year before today; please check the year."


class TestDateOfBirth:
    @pytest.mark.parametrize(
        ("born", "ok"),
        [
            (relativedelta(), False),  # today: the date picker's default, not a birthday
            (relativedelta(months=11), False),
            (relativedelta(years=1, days=-1), False),
            (relativedelta(years=1), True),  # exactly a year passes
            (relativedelta(years=40), True),
        ],
    )
    def test_the_rule(self, born, ok):
        today = Clinic(time_zone="Europe/London").local_today()
        errors = rules.patient_date_errors(date_of_birth=today - born, onset_date=today, today=today)
        assert ("date_of_birth" not in errors) is ok
        if not ok:
            assert errors["date_of_birth"] == A_YEAR

    def test_the_form_says_why_beside_the_field_and_stores_nothing(self, client, physio):
        client.force_login(physio)
        today = physio.clinic.local_today()
        data = patient_form_data(physio, date_of_birth=today.isoformat(), onset_date=today.isoformat())
        response = client.post(reverse("patients:create"), data)
        assert response.status_code == 200
        assert response.context["form"].errors["date_of_birth"] == [A_YEAR]
        assert A_YEAR in response.content.decode()
        assert not Patient.objects.exists()

    def test_the_service_refuses(self, physio):
        today = physio.clinic.local_today()
        with pytest.raises(ValidationError) as exc:
            patient_register(
                clinic=physio.clinic,
                registered_by=physio,
                first_name="Ann",
                last_name="Baby",
                email="ann@example.com",
                date_of_birth=today - timedelta(days=30),
                onset_date=today,
                condition="Back pain.",
                physiotherapist=physio,
            )
        assert exc.value.message_dict["date_of_birth"] == [A_YEAR]
        assert not Patient.objects.exists()

    def test_the_database_refuses_a_date_of_birth_under_a_year_before_registration(self, physio):
        patient = make_patient(physio=physio)
        today = physio.clinic.local_today()
        patient.date_of_birth = today - timedelta(days=10)
        patient.onset_date = today
        with pytest.raises(ValidationError, match="at least a year before today"):
            patient.full_clean()
        with pytest.raises(IntegrityError, match="patient_born_a_year_before"), transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(date_of_birth=today, onset_date=today)
        other = make_patient(physio=physio)
        with pytest.raises(IntegrityError, match="patient_born_a_year_before"), transaction.atomic():
            Patient.objects.create(
                user=other.user,
                clinic=physio.clinic,
                physiotherapist=physio,
                date_of_birth=today,
                onset_date=today,
                condition="x",
                pain_threshold=1,
            )


class TestPauseLength:
    @pytest.mark.parametrize(("days", "weeks", "ok"), [(56, 8, True), (57, 8, False), (7, 1, True), (8, 1, False)])
    def test_the_rule_counts_first_and_last_day(self, days, weeks, ok):
        today = Clinic(time_zone="Europe/London").local_today()
        errors = rules.pause_errors(
            starts_on=today, ends_on=today + timedelta(days=days - 1), today=today, max_weeks=weeks
        )
        assert ("ends_on" not in errors) is ok
        if not ok:
            assert errors["ends_on"].startswith(f"A pause lasts at most {weeks} week")

    def test_the_clinic_setting_is_used(self, physio):
        patient = make_patient(physio=physio)
        today = physio.clinic.local_today()
        ten_weeks = {"starts_on": today, "ends_on": today + timedelta(weeks=10, days=-1), "reason": "Surgery"}
        with pytest.raises(ValidationError, match="A pause lasts at most 8 weeks"):
            pause_create(patient=patient, created_by=physio, **ten_weeks)
        assert not Pause.objects.exists()
        Clinic.objects.filter(pk=physio.clinic_id).update(max_pause_weeks=12)
        patient.clinic.refresh_from_db()
        assert pause_create(patient=patient, created_by=physio, **ten_weeks).ends_on == ten_weeks["ends_on"]

    def test_the_page_says_why_beside_the_field_and_stores_nothing(self, client, physio, active):
        patient = active.program.patient
        client.force_login(physio)
        today = patient.clinic.local_today()
        page = client.get(reverse("programs:patient", args=[patient.pk])).content.decode()
        assert "A pause lasts at most 8 weeks (a clinic setting)." in page
        response = client.post(
            reverse("programs:pause", args=[patient.pk]),
            {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=70)).isoformat(), "reason": "Trip"},
        )
        assert response.status_code == 200
        (message,) = response.context["pause_form"].errors["ends_on"]
        assert message.startswith("A pause lasts at most 8 weeks (the clinic's setting): this one is 71 days.")
        assert f"{today + timedelta(days=55):%d %B %Y} at the latest" in message
        assert not Pause.objects.exists()

    def test_the_setting_is_edited_on_the_settings_page_within_its_range(self, client, clinic_admin):
        from rehab.forms import ClinicSettingsForm

        clinic = clinic_admin.clinic
        data = {f: getattr(clinic, f) for f in Clinic.SETTINGS_FIELDS}
        for weeks, ok in ((0, False), (1, True), (26, True), (27, False)):
            form = ClinicSettingsForm({**data, "max_pause_weeks": weeks}, instance=clinic)
            assert form.is_valid() is ok, form.errors
            if not ok:
                assert form.errors["max_pause_weeks"] == ["Give a number from 1 to 26."]
        with pytest.raises(IntegrityError, match="clinic_max_pause_weeks_range"), transaction.atomic():
            Clinic.objects.filter(pk=clinic.pk).update(max_pause_weeks=27)
        assert Clinic(name="New").max_pause_weeks == rules.DEFAULT_MAX_PAUSE_WEEKS == 8
