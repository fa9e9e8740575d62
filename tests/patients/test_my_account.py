"""The patient's own page: changing their password, and logging out on every other device."""

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from rehab.models import AuditEvent
from rehab.services import user_log_out_everywhere
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MY_DETAILS = reverse("patients:my_details")
NEW_PASSWORD = "a-new-password-for-2026"


def signed_in(user) -> Client:
    """A device on which the patient logged in with their password (the session keeps the account's hash)."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and not response.url.startswith(reverse("login"))
    return client


def is_signed_in(client) -> bool:
    return client.get(MY_DETAILS).status_code == 200


class TestChangePassword:
    def test_the_password_changes_this_session_stays_and_the_others_end(self, patient):
        phone, laptop = signed_in(patient.user), signed_in(patient.user)
        response = phone.post(
            reverse("patients:my_password"),
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response.status_code == 302 and response.url == MY_DETAILS + "#password"
        patient.user.refresh_from_db()
        assert patient.user.check_password(NEW_PASSWORD)
        page = phone.get(MY_DETAILS)  # still signed in here
        assert page.status_code == 200 and "Your password is changed" in page.content.decode()
        assert not is_signed_in(laptop)
        assert AuditEvent.objects.filter(what="patients:my_password", outcome="allowed", action="changed").exists()

    def test_a_wrong_old_password_changes_nothing_and_says_so(self, patient):
        phone = signed_in(patient.user)
        response = phone.post(
            reverse("patients:my_password"),
            {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
        patient.user.refresh_from_db()
        assert patient.user.check_password(PASSWORD)
        assert is_signed_in(phone)

    def test_a_weak_or_mismatched_new_password_is_refused_beside_its_field(self, patient):
        phone = signed_in(patient.user)
        page = phone.post(
            reverse("patients:my_password"),
            {"old_password": PASSWORD, "new_password1": "123", "new_password2": "1234"},
        ).content.decode()
        assert "The two password fields didn’t match." in page
        patient.user.refresh_from_db()
        assert patient.user.check_password(PASSWORD)

    def test_the_form_is_on_my_details(self, client, patient):
        client.force_login(patient.user)
        page = client.get(MY_DETAILS).content.decode()
        for words in ("Change your password", 'autocomplete="current-password"', "Log out on all other devices"):
            assert words in page


class TestLogOutEverywhere:
    def test_every_other_session_ends_and_this_one_stays(self, patient):
        phone, laptop, tablet = signed_in(patient.user), signed_in(patient.user), signed_in(patient.user)
        response = phone.post(reverse("patients:my_devices_log_out"))
        assert response.status_code == 302 and response.url == MY_DETAILS + "#devices"
        assert is_signed_in(phone)
        assert not is_signed_in(laptop) and not is_signed_in(tablet)
        assert laptop.get(MY_DETAILS).url.startswith(reverse("login"))
        # The password still works: the patient logs in again on the laptop.
        assert signed_in(patient.user).get(MY_DETAILS).status_code == 200
        assert AuditEvent.objects.filter(what="patients:my_devices_log_out", action="changed").exists()

    def test_a_second_time_ends_the_sessions_made_since(self, patient):
        phone = signed_in(patient.user)
        phone.post(reverse("patients:my_devices_log_out"))
        laptop = signed_in(patient.user)
        phone.post(reverse("patients:my_devices_log_out"))
        assert is_signed_in(phone) and not is_signed_in(laptop)

    def test_sessions_of_other_accounts_are_untouched(self, patient, physio):
        from tests.factories import make_patient

        other = make_patient(physio=physio, email="someone.else@example.com")
        theirs = signed_in(other.user)
        signed_in(patient.user).post(reverse("patients:my_devices_log_out"))
        assert is_signed_in(theirs)

    def test_before_any_log_out_everywhere_the_hash_is_djangos_own(self, patient):
        """So that no session ended when the generation came in."""
        user = patient.user
        assert user.session_generation == 0
        assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
        user_log_out_everywhere(user=user)
        assert user.session_generation == 1
        assert user.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(user)

    def test_staff_cannot_use_the_patients_page(self, client, physio):
        client.force_login(physio)
        assert client.post(reverse("patients:my_devices_log_out")).status_code == 403
        physio.refresh_from_db()
        assert physio.session_generation == 0


class TestOtherDevicesStopShowingReminders:
    """A lost or shared phone stops showing the patient's reminders when they log it out (or change their
    password): the notification subscriptions of every other browser go, this browser's stays."""

    HERE, LOST, TABLET = (f"https://push.example.net/{name}" for name in ("here", "lost", "tablet"))

    def _subscribe(self, patient, *endpoints):
        from reminders.models import PushSubscription

        for endpoint in endpoints:
            PushSubscription.objects.create(patient=patient, endpoint=endpoint, p256dh="key", auth="secret")

    def _endpoints(self, patient) -> set[str]:
        from reminders.models import PushSubscription

        return set(PushSubscription.objects.filter(patient=patient).values_list("endpoint", flat=True))

    def test_log_out_everywhere_keeps_only_this_browsers_notifications(self, patient, physio):
        from tests.factories import make_patient

        other = make_patient(physio=physio, email="someone.else@example.com")
        self._subscribe(patient, self.HERE, self.LOST, self.TABLET)
        self._subscribe(other, "https://push.example.net/theirs")
        phone = signed_in(patient.user)
        page = phone.get(MY_DETAILS).content.decode()
        assert 'name="keep_endpoint"' in page and "data-this-device" in page
        response = phone.post(reverse("patients:my_devices_log_out"), {"keep_endpoint": self.HERE}, follow=True)
        assert "they no longer show your reminders" in response.content.decode()
        assert self._endpoints(patient) == {self.HERE}
        assert self._endpoints(other) == {"https://push.example.net/theirs"}  # another patient's are theirs

    def test_without_javascript_every_browser_is_forgotten_this_one_too(self, patient):
        self._subscribe(patient, self.HERE, self.LOST)
        signed_in(patient.user).post(reverse("patients:my_devices_log_out"))
        assert self._endpoints(patient) == set()

    def test_a_new_password_stops_the_other_browsers_too(self, patient):
        self._subscribe(patient, self.HERE, self.LOST)
        signed_in(patient.user).post(
            reverse("patients:my_password"),
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
                "keep_endpoint": self.HERE,
            },
        )
        assert self._endpoints(patient) == {self.HERE}

    def test_a_refused_password_change_forgets_nothing(self, patient):
        self._subscribe(patient, self.HERE, self.LOST)
        signed_in(patient.user).post(
            reverse("patients:my_password"),
            {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert self._endpoints(patient) == {self.HERE, self.LOST}

    def test_an_endpoint_of_another_patient_keeps_nothing_of_theirs_nor_saves_it(self, patient, physio):
        from tests.factories import make_patient

        other = make_patient(physio=physio, email="someone.else@example.com")
        self._subscribe(other, self.TABLET)
        self._subscribe(patient, self.LOST)
        signed_in(patient.user).post(reverse("patients:my_devices_log_out"), {"keep_endpoint": self.TABLET})
        assert self._endpoints(patient) == set() and self._endpoints(other) == {self.TABLET}
