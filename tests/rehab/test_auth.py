import re

import pytest
from django.core import mail
from django.urls import reverse

from rehab.services import user_send_set_password_email
from tests.factories import PASSWORD


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "landing"),
    [("physio", "flags:dashboard"), ("clinic_admin", "flags:queue"), ("patient", "checkins:today")],
)
def test_each_role_lands_on_its_page(client, request, who, landing):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)  # the patient fixture is the Patient record
    response = client.post(reverse("login"), {"username": user.email.upper(), "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


@pytest.mark.django_db
def test_wrong_password_explained(client, physio):
    response = client.post(reverse("login"), {"username": physio.email, "password": "wrong"})
    assert response.status_code == 200
    assert response.content.decode().count("correct email address and password") == 1  # once, not twice


@pytest.mark.django_db
def test_field_errors_get_a_summary_once(client, physio):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    html = response.content.decode()
    assert html.count("Please correct the highlighted fields below.") == 1
    assert "Enter your email address." in html and "Enter your password." in html


@pytest.mark.django_db
def test_logout_is_a_post(client, physio):
    client.force_login(physio)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 302


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


@pytest.mark.django_db
def test_set_password_link_logs_the_patient_in(client, patient):
    patient.user.set_unusable_password()
    patient.user.save()
    user_send_set_password_email(user=patient.user)
    (email,) = mail.outbox
    assert email.to == ["maria@example.com"]
    assert "Northside Physio" in email.subject
    link = _link(email.body)
    response = client.get(link, follow=True)  # Django swaps the token for a session-held one
    assert response.context["validlink"]
    new_password = "my-own-password-2026"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("checkins:today")
    patient.user.refresh_from_db()
    assert patient.user.check_password(new_password)
    # The link works once.
    client.logout()
    assert not client.get(link, follow=True).context["validlink"]


@pytest.mark.django_db
def test_weak_password_refused(client, patient):
    user_send_set_password_email(user=patient.user)
    response = client.get(_link(mail.outbox[0].body), follow=True)
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()


@pytest.mark.django_db
def test_forgotten_password_reaches_account_without_password(client, patient):
    patient.user.set_unusable_password()
    patient.user.save()
    response = client.post(reverse("password_reset"), {"email": "MARIA@example.com"})
    assert response.status_code == 302
    (email,) = mail.outbox
    assert "/accounts/password-reset/" in email.body


@pytest.mark.django_db
def test_unknown_email_reset_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.django_db
def test_setting_a_new_password_by_email_lifts_a_lockout(client, physio):
    for _ in range(5):
        client.post(reverse("login"), {"username": physio.email.upper(), "password": "wrong"})
    assert client.post(reverse("login"), {"username": physio.email, "password": PASSWORD}).status_code == 429
    client.post(reverse("password_reset"), {"email": physio.email})
    (email,) = mail.outbox
    response = client.get(_link(email.body), follow=True)
    new_password = "a-fresh-start-2026"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_reset_complete")
    response = client.post(reverse("login"), {"username": physio.email, "password": new_password})
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_login_page_says_who_is_signed_in_and_offers_to_log_them_out(client, physio, patient):
    client.force_login(physio)
    response = client.get(reverse("login"))
    assert response.status_code == 200  # not carried on as the colleague
    html = response.content.decode()
    assert "Alex Morgan" in html and "alex@northside.example" in html and "is logged in on this device" in html
    assert f'action="{reverse("logout")}"' in html and 'name="password"' not in html
    client.post(reverse("logout"))
    assert 'name="password"' in client.get(reverse("login")).content.decode()
    # Someone else logging in on the page replaces the colleague's session.
    client.force_login(physio)
    response = client.post(reverse("login"), {"username": patient.user.email, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(patient.user.pk)


@pytest.mark.django_db
def test_the_admins_own_login_page_sends_to_the_apps(client):
    response = client.get("/admin/login/?next=/admin/rehab/user/")
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/admin/rehab/user/"


@pytest.mark.django_db
def test_a_password_reset_by_email_stops_the_reminders_on_every_device(client, patient):
    """A patient who lost their phone and resets their password: the phone stops showing their reminders."""
    from reminders.models import PushSubscription

    PushSubscription.objects.create(patient=patient, endpoint="https://push.example.net/lost", p256dh="k", auth="a")
    client.post(reverse("password_reset"), {"email": patient.user.email})
    (email,) = mail.outbox
    response = client.get(_link(email.body), follow=True)
    new_password = "a-fresh-start-2026"
    client.post(response.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    patient.user.refresh_from_db()
    assert patient.user.check_password(new_password)
    assert not PushSubscription.objects.filter(patient=patient).exists()
