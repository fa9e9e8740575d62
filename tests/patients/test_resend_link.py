"""Staff send a patient who never set a password a new link to set one: the old link stops working; the patient's
physiotherapist or a clinic admin may; at most one every few minutes; audited."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients import rules
from patients.models import Patient
from patients.services import patient_resend_set_password_link
from rehab.models import AuditEvent
from rehab.services import user_send_set_password_email
from tests.factories import ClinicAdminFactory, PhysioFactory, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(physio):
    """A patient registered an hour ago who has not set a password yet."""
    patient = make_patient(physio=physio, first_name="Nina", password=None)
    Patient.objects.filter(pk=patient.pk).update(set_password_sent_at=timezone.now() - timedelta(hours=1))
    patient.refresh_from_db()
    return patient


def link_of(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def opens(client, link) -> bool:
    response = client.get(link, follow=True)  # Django swaps the token for a session-held one
    return bool(response.context["validlink"])


def test_the_old_link_stops_working_and_the_new_one_works(client, waiting, physio, django_capture_on_commit_callbacks):
    user_send_set_password_email(user=waiting.user)
    old_link = link_of(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        patient_resend_set_password_link(patient=waiting, by=physio)
    assert len(callbacks) == 1  # the e-mail is queued once the transaction commits
    waiting.user.refresh_from_db()
    user_send_set_password_email(user=waiting.user)  # what the queued task does
    new_link = link_of(mail.outbox[-1])
    assert new_link != old_link
    assert not opens(client, old_link)
    client.cookies.clear()
    assert opens(client, new_link)


def test_the_patient_page_offers_it_and_the_post_is_audited(client, waiting, physio):
    client.force_login(physio)
    page = client.get(reverse("patients:detail", args=[waiting.pk])).content.decode()
    assert "Send the link again" in page and "Waiting for the patient to set a password (link sent" in page
    response = client.post(reverse("patients:resend_link", args=[waiting.pk]), follow=True)
    assert f"A new link to set a password is on its way to {waiting.user.email}" in response.content.decode()
    waiting.refresh_from_db()
    assert timezone.now() - waiting.set_password_sent_at < timedelta(minutes=1)
    event = AuditEvent.objects.get(what="patients:resend_link")
    assert (event.user, event.patient_id, event.outcome, event.action) == (physio, waiting.pk, "allowed", "changed")


def test_a_clinic_admin_may_and_another_physiotherapist_may_not(client, waiting, physio):
    colleague = PhysioFactory(clinic=physio.clinic)
    client.force_login(colleague)
    assert "Send the link again" not in client.get(reverse("patients:detail", args=[waiting.pk])).content.decode()
    assert client.post(reverse("patients:resend_link", args=[waiting.pk])).status_code == 403
    with pytest.raises(ValidationError, match="Only the patient's physiotherapist or a clinic admin"):
        patient_resend_set_password_link(patient=waiting, by=colleague)
    before = waiting.set_password_sent_at
    waiting.refresh_from_db()
    assert waiting.set_password_sent_at == before
    admin = ClinicAdminFactory(clinic=physio.clinic)
    client.force_login(admin)
    assert client.post(reverse("patients:resend_link", args=[waiting.pk])).status_code == 302
    waiting.refresh_from_db()
    assert waiting.set_password_sent_at > before


def test_not_again_within_the_wait_and_told_when(client, waiting, physio, django_capture_on_commit_callbacks):
    patient_resend_set_password_link(patient=waiting, by=physio)
    waiting.user.refresh_from_db()
    password = waiting.user.password
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ValidationError) as exc:
        patient_resend_set_password_link(patient=waiting, by=physio)
    assert exc.value.messages == [
        "A link went to the patient less than 5 minutes ago: it may still be on its way. You can send another in 5 "
        "minutes."
    ]
    assert callbacks == []
    waiting.user.refresh_from_db()
    assert waiting.user.password == password  # the link just sent still works
    # Once the wait is over, another may go.
    Patient.objects.filter(pk=waiting.pk).update(set_password_sent_at=timezone.now() - rules.RESEND_LINK_WAIT)
    patient_resend_set_password_link(patient=waiting, by=physio)


def test_a_patient_with_a_password_is_sent_nothing(client, physio, django_capture_on_commit_callbacks):
    patient = make_patient(physio=physio)  # has a password (set after the link went at registration)
    sent = patient.set_password_sent_at
    client.force_login(physio)
    assert "Send the link again" not in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("patients:resend_link", args=[patient.pk]), follow=True)
    assert "The patient has set a password already" in response.content.decode()
    assert callbacks == []
    patient.refresh_from_db()
    assert patient.set_password_sent_at == sent and patient.user.has_usable_password()


@pytest.mark.parametrize(("minutes_ago", "error"), [(None, False), (0, True), (4, True), (5, False), (60, False)])
def test_the_wait_rule(minutes_ago, error):
    now = timezone.now()
    last = None if minutes_ago is None else now - timedelta(minutes=minutes_ago)
    assert (rules.resend_link_error(has_password=False, active=True, last_sent=last, now=now) is not None) is error
    assert rules.resend_link_error(has_password=False, active=False, last_sent=None, now=now).startswith(
        "This patient's account is closed"
    )
