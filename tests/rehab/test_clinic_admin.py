import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from patients.models import Patient
from rehab.models import Clinic, ClinicSettingsChange, User
from rehab.services import user_send_set_password_email
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic):
    return ClinicAdminFactory(clinic=clinic, email="jo@northside.example", first_name="Jo", last_name="Reyes")


def invite(client, **data):
    payload = {"first_name": "Sam", "last_name": "Patel", "email": "sam@northside.example", "role": "physio"}
    return client.post(reverse("staff_invite"), payload | data)


class TestInvitations:
    def test_invite_creates_account_and_queues_the_email(self, client, admin, django_capture_on_commit_callbacks):
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = invite(client)
        assert response.status_code == 302
        sam = User.objects.get(email="sam@northside.example")
        assert (sam.role, sam.clinic, sam.has_usable_password()) == ("physio", admin.clinic, False)
        assert len(callbacks) == 1

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"email": "JO@northside.example"}, "email", "already exists"),
            ({"email": "nope"}, "email", "valid email"),
            ({"role": "patient"}, "role", "Select a valid choice"),
            ({"first_name": ""}, "first_name", "required"),
        ],
    )
    def test_bad_invitation(self, client, admin, data, field, message):
        client.force_login(admin)
        response = invite(client, **data)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors[field])
        assert User.objects.count() == 1

    def test_reloading_a_refused_invitation_goes_back_to_the_staff_page(self, client, admin):
        client.force_login(admin)
        assert client.get(reverse("staff_invite")).url == reverse("staff_list")

    def test_link_expires(self, client, admin):
        sam = User.objects.create_user(email="sam@northside.example", role="physio", clinic=admin.clinic)
        sam.set_unusable_password()
        sam.save()
        user_send_set_password_email(user=sam)
        path = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
        later = datetime.now() + timedelta(days=4)
        original = default_token_generator._now
        default_token_generator._now = lambda: later
        try:
            response = client.get(path, follow=True)
        finally:
            default_token_generator._now = original
        assert response.context["validlink"] is False
        assert "no longer works" in response.content.decode()


class TestActivation:
    def test_deactivated_physio_cannot_log_in_and_keeps_patients(self, client, admin, physio, patient):
        client.force_login(admin)
        client.post(reverse("staff_deactivate", args=[physio.pk]))
        physio.refresh_from_db()
        assert not physio.is_active
        client.logout()
        response = client.post(reverse("login"), {"username": physio.email, "password": PASSWORD})
        assert response.status_code == 200 and "correct email address and password" in response.content.decode()
        assert Patient.objects.get(pk=patient.pk).physiotherapist == physio
        client.force_login(admin)
        assert "needs reassignment" in client.get(reverse("patients:list")).content.decode()
        assert "patients need reassignment" in client.get(reverse("staff_list")).content.decode()
        client.post(reverse("staff_reactivate", args=[physio.pk]))
        physio.refresh_from_db()
        assert physio.is_active

    def test_last_admin_cannot_deactivate_themselves(self, client, admin):
        client.force_login(admin)
        response = client.post(reverse("staff_deactivate", args=[admin.pk]), follow=True)
        assert "at least one active admin" in response.content.decode()
        admin.refresh_from_db()
        assert admin.is_active

    def test_second_admin_can_be_deactivated(self, client, admin):
        other = ClinicAdminFactory(clinic=admin.clinic)
        client.force_login(admin)
        client.post(reverse("staff_deactivate", args=[other.pk]))
        other.refresh_from_db()
        assert not other.is_active

    def test_other_clinics_staff_are_404(self, client, admin):
        outsider = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
        client.force_login(admin)
        assert client.post(reverse("staff_deactivate", args=[outsider.pk])).status_code == 404
        outsider.refresh_from_db()
        assert outsider.is_active
        assert outsider not in client.get(reverse("staff_list")).context["staff"]


def test_bulk_reassignment(client, admin, physio):
    patients = [make_patient(physio=physio) for _ in range(3)]
    sam = PhysioFactory(clinic=physio.clinic, first_name="Sam", last_name="Patel")
    client.force_login(admin)
    response = client.post(reverse("patients:reassign_all", args=[physio.pk]), {"physiotherapist": sam.pk}, follow=True)
    assert "3 patients moved to Sam Patel" in response.content.decode()
    assert all(Patient.objects.get(pk=p.pk).physiotherapist == sam for p in patients)
    response = client.post(reverse("patients:reassign_all", args=[sam.pk]), {"physiotherapist": sam.pk}, follow=True)
    assert "Choose a different physiotherapist" in response.content.decode()
    outsider = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
    response = client.post(reverse("patients:reassign_all", args=[sam.pk]), {"physiotherapist": outsider.pk})
    assert Patient.objects.filter(physiotherapist=sam).count() == 3


class TestSettings:
    def post(self, client, clinic, **changes):
        data = {
            "name": clinic.name,
            "time_zone": clinic.time_zone,
            "urgent_ack_minutes": clinic.urgent_ack_minutes,
            "ack_hours": clinic.ack_hours,
            "rest_days_allowed": clinic.rest_days_allowed,
            "progression_percent": clinic.progression_percent,
            "progress_min_sessions": clinic.progress_min_sessions,
            "progress_min_days": clinic.progress_min_days,
            "progress_min_adherence": clinic.progress_min_adherence,
            "ease_off_percent": clinic.ease_off_percent,
            "flare_up_days": clinic.flare_up_days,
            "max_pause_weeks": clinic.max_pause_weeks,
        }
        return client.post(reverse("clinic_settings"), data | changes)

    def test_change_is_recorded(self, client, admin):
        client.force_login(admin)
        response = self.post(client, admin.clinic, rest_days_allowed=3, time_zone="Europe/Dublin")
        assert response.status_code == 302
        clinic = Clinic.objects.get(pk=admin.clinic_id)
        assert (clinic.rest_days_allowed, clinic.time_zone) == (3, "Europe/Dublin")
        change = ClinicSettingsChange.objects.get()
        assert change.changed_by == admin
        assert change.changes == {"time_zone": ["Europe/London", "Europe/Dublin"], "rest_days_allowed": [2, 3]}
        assert "Rest days allowed in a row: 2 → 3" in client.get(reverse("clinic_settings")).content.decode()

    @pytest.mark.parametrize(
        ("field", "value", "ok"),
        [
            ("urgent_ack_minutes", 0, False),
            ("urgent_ack_minutes", -5, False),
            ("urgent_ack_minutes", 1, True),
            ("urgent_ack_minutes", 1440, True),
            ("urgent_ack_minutes", 43201, False),
            ("ack_hours", 0, False),
            ("ack_hours", 720, True),
            ("ack_hours", 721, False),
            ("progression_percent", 0, False),
            ("progression_percent", 1, True),
            ("progression_percent", 100, True),
            ("progression_percent", 101, False),
            ("time_zone", "Mars/Olympus", False),
            ("rest_days_allowed", 0, False),
            ("ack_hours", "two", False),
            ("phone", "+44 20 7946 0321", True),
            ("phone", "(02) 9876-5432", True),
            ("phone", "", True),
            ("phone", "12345", False),
            ("phone", "call reception", False),
            ("phone", "+44 <b>20</b>", False),
            ("phone", "1" * 31, False),
            ("phone", "020 7946 0321\n0800", False),
        ],
    )
    def test_boundaries(self, client, admin, field, value, ok):
        client.force_login(admin)
        response = self.post(client, admin.clinic, **{field: value})
        assert (response.status_code == 302) is ok
        if not ok:
            assert field in response.context["form"].errors
            message = response.context["form"].errors[field][0]
            if isinstance(value, int):  # in the app's words, not Django's "Ensure this value is ..."
                assert message.startswith("Give a") and " from 1 to " in message, message
            if value == "two":
                assert message == "Enter a whole number."
            assert not ClinicSettingsChange.objects.exists()
            assert getattr(Clinic.objects.get(pk=admin.clinic_id), field) == getattr(admin.clinic, field)

    def test_urgent_window_not_longer_than_the_others(self, client, admin):
        client.force_login(admin)
        response = self.post(client, admin.clinic, urgent_ack_minutes=3000, ack_hours=1)
        assert "cannot wait longer" in " ".join(response.context["form"].errors["urgent_ack_minutes"])

    def test_history_says_none_rather_than_a_blank(self, client, admin):
        client.force_login(admin)
        self.post(client, admin.clinic, phone="020 7946 0321")
        html = client.get(reverse("clinic_settings")).content.decode()
        assert "Clinic phone number: none → 020 7946 0321" in html

    @pytest.mark.parametrize(("value", "shown"), [(True, "on"), (False, "off"), ("", "none"), (None, "none"), (3, "3")])
    def test_history_values_in_words(self, value, shown):
        from django.template.loader import render_to_string

        assert render_to_string("rehab/_setting_value.html", {"value": value}) == shown

    @pytest.mark.parametrize(
        ("phone", "uri"),
        [
            ("020 7946 0321", "tel:02079460321"),
            ("+44 (0)20 7946 0321", "tel:+442079460321"),
            ("(02) 9876-5432", "tel:0298765432"),
            ("", ""),
        ],
    )
    def test_phone_link_dials_the_number(self, phone, uri):
        assert Clinic(phone=phone).phone_uri == uri

    def test_database_refuses_a_malformed_phone(self, admin):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            Clinic.objects.filter(pk=admin.clinic_id).update(phone="not a number")

    def test_physio_cannot_change_settings(self, client, physio):
        client.force_login(physio)
        assert self.post(client, physio.clinic, ack_hours=2).status_code == 403


def test_createclinic_command(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        call_command(
            "createclinic",
            "--name",
            "Lakeside Physio",
            "--time-zone",
            "Europe/Dublin",
            "--admin-email",
            "lead@lakeside.example",
            "--admin-first-name",
            "Ana",
            "--admin-last-name",
            "Silva",
        )
    admin = User.objects.get(email="lead@lakeside.example")
    assert (admin.role, admin.clinic.name, admin.clinic.time_zone) == (
        "clinic_admin",
        "Lakeside Physio",
        "Europe/Dublin",
    )
    with pytest.raises(CommandError, match="not a known time zone"):
        call_command(
            "createclinic",
            "--name",
            "X",
            "--time-zone",
            "Nowhere",
            "--admin-email",
            "x@x.example",
            "--admin-first-name",
            "X",
            "--admin-last-name",
            "Y",
        )
    assert not Clinic.objects.filter(name="X").exists()
