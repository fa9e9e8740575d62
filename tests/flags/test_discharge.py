"""A rest flag's patient who stopped attending: resolving the flag opens their discharge, which resolves it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from flags import services
from flags.models import Flag, FlagOutcome, FlagReason, FlagStatus
from flags.templatetags.flag_tags import flag_values
from tests.factories import ClinicAdminFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def rest_flag(patient):
    flag, _ = services.flag_record(
        patient=patient,
        reason=FlagReason.REST,
        rule="More than 2 whole rest days in a row",
        explanation="No session reported for 9 whole days.",
        values={"rest_days": 9},
        now=timezone.now(),
    )
    return flag


def test_stopped_attending_opens_the_discharge_and_the_discharge_resolves_the_flag(client, patient, physio):
    flag = rest_flag(patient)
    client.force_login(physio)
    page = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
    assert "Stopped attending: discharge" in page
    response = client.post(
        reverse("flags:resolve", args=[flag.pk]), {"outcome": "discharge", "note": "No answer to three calls."}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("patients:discharge", args=[patient.pk]) + "?reason=stopped_attending")
    form = client.get(response.url).context["form"]
    assert (form.initial["reason"], form.initial["note"]) == ("stopped_attending", "No answer to three calls.")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN  # nothing is resolved until the discharge is confirmed
    client.post(
        response.url,
        {
            "reason": "stopped_attending",
            "discharged_on": patient.clinic.local_today().isoformat(),
            "note": "No answer to three calls.",
        },
    )
    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == (FlagStatus.RESOLVED, FlagOutcome.DISCHARGED)
    assert flag.resolution_note == "Closed at discharge: stopped attending."


def test_from_the_dashboard_row_htmx_goes_to_the_discharge_page(client, patient, physio):
    flag = rest_flag(patient)
    client.force_login(physio)
    assert "Stopped attending: discharge" in client.get(reverse("flags:dashboard")).content.decode()
    response = client.post(reverse("flags:resolve", args=[flag.pk]), {"outcome": "discharge", "view": "dash"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("patients:discharge", args=[patient.pk]))


def test_only_for_a_rest_flag_and_a_physiotherapist(client, patient, physio):
    pain, _ = services.flag_record(patient=patient, reason=FlagReason.PAIN, rule="r", explanation="e", values={})
    client.force_login(physio)
    assert "Stopped attending" not in client.get(reverse("flags:detail", args=[pain.pk])).content.decode()
    page = client.post(reverse("flags:resolve", args=[pain.pk]), {"outcome": "discharge"})
    assert "Select a valid choice" in page.content.decode()
    flag = rest_flag(patient)
    admin = ClinicAdminFactory(clinic=patient.clinic)
    client.force_login(admin)
    assert "Stopped attending" not in client.get(reverse("flags:queue")).content.decode()
    page = client.post(reverse("flags:resolve", args=[flag.pk]), {"outcome": "discharge"})
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert Flag.objects.filter(status=FlagStatus.RESOLVED).count() == 0


def test_an_outcome_worse_flag_reads_in_words():
    rows = dict(
        flag_values({"measure": "Pain", "completed_on": "2026-11-23", "baseline": "6", "score": "8", "mcid": "2"})
    )
    assert rows == {
        "Outcome measure": "Pain",
        "Questionnaire answered": "Mon 23 Nov 2026",
        "Score at the start": "6",
        "Score now": "8",
        "Smallest change that matters": "2",
    }
