import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients import services as patient_services
from programs import services
from tests.factories import PhysioFactory, bulk_active_patients, make_patient
from tests.programs.conftest import report

pytestmark = pytest.mark.django_db


def test_dashboard_rows_flags_first(client, physio, active, library):
    calm = make_patient(physio=physio, last_name="Aaron")  # no program
    flagged = active.program.patient
    for days_ago, pain in ((3, 1), (2, 2), (1, 3)):
        services.report_evaluate(report_id=report(active, days_ago=days_ago, max_pain=pain).pk)
    client.force_login(physio)
    response = client.get(reverse("programs:dashboard"))
    rows = response.context["rows"]
    assert [r["patient"].pk for r in rows] == [flagged.pk, calm.pk]
    first = rows[0]
    assert first["patient"].last_pain == 3 and first["pains"] == [1, 2, 3]
    assert first["adherence"] is not None
    html = response.content.decode()
    assert "Last 3 highest pains: 1, 2, 3" in html
    assert [p.pk for p in response.context["without_program"]] == [calm.pk]
    assert {f.reason for f in response.context["flags"]} == {"pain", "worsening"}


def test_dashboard_acknowledge_from_row(client, physio, active):
    services.report_evaluate(report_id=report(active, max_pain=4).pk)
    client.force_login(physio)
    flag = client.get(reverse("programs:dashboard")).context["flags"][0]
    response = client.post(
        reverse("patients:flag_acknowledge", args=[flag.pk]), {"view": "dash"}, HTTP_HX_REQUEST="true"
    )
    assert "Acknowledged" in response.content.decode()


def test_dashboard_empty_states(client, physio):
    client.force_login(physio)
    html = client.get(reverse("programs:dashboard")).content.decode()
    assert "No open flags" in html and "You have no patients yet" in html


def test_dashboard_query_count_fixed_at_two_sizes(client, physio, library):
    bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=3)
    client.force_login(physio)
    client.get(reverse("programs:dashboard"))  # the first request of a session also saves it
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("programs:dashboard"))
    patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=60)
    version = patients[0].programs.get().versions.get()
    for days_ago in range(4):
        report(version, days_ago=days_ago, max_pain=days_ago)
    for p in patients[:5]:
        patient_services.flag_record(patient=p, reason="rest", rule="r", explanation="e", values={})
    make_patient(physio=physio)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("programs:dashboard"))
    assert len(response.context["rows"]) == 25
    assert len(large.captured_queries) == len(small.captured_queries)


def test_other_physios_patients_not_on_my_dashboard(client, physio):
    other = PhysioFactory(clinic=physio.clinic)
    make_patient(physio=other, last_name="Theirs")
    client.force_login(physio)
    assert client.get(reverse("programs:dashboard")).context["rows"] == []
