from datetime import timedelta

import pytest
from django.urls import reverse

from checkins import selectors as checkin_selectors
from checkins import services as checkin_services
from flags import services
from tests.factories import PhysioFactory, bulk_active_patients, make_patient
from tests.helpers import assert_same_query_count, count_queries, send_checkin

pytestmark = pytest.mark.django_db


def test_dashboard_rows_flags_first(client, physio, active, library):
    calm = make_patient(physio=physio, last_name="Aaron")  # no program
    flagged = active.program.patient
    for days_ago, pain in ((3, 1), (2, 2), (1, 3)):
        services.checkin_evaluate(checkin_id=send_checkin(active, days_ago=days_ago, max_pain=pain).pk)
    client.force_login(physio)
    response = client.get(reverse("flags:dashboard"))
    rows = response.context["rows"]
    assert [r["patient"].pk for r in rows] == [flagged.pk, calm.pk]
    first = rows[0]
    assert first["patient"].last_pain == 3 and first["pains"] == [1, 2, 3]
    assert first["adherence"] is not None
    html = response.content.decode()
    assert "Last 3 highest pains: 1, 2, 3" in html
    assert [p.pk for p in response.context["without_program"]] == [calm.pk]
    assert {f.reason for f in response.context["flags"]} == {"pain", "worsening"}


def test_dashboard_adherence_agrees_with_the_patient_page_and_leaves_out_an_earlier_programs_reports(
    client, physio, active, library
):
    from programs.services import program_activate, program_add_exercise, program_create

    patient = active.program.patient
    today = patient.clinic.local_today()
    for days_ago in (6, 5, 4):
        send_checkin(active, days_ago=days_ago)
    new = program_create(
        patient=patient,
        created_by=physio,
        title="Block 2",
        start_date=today,
        weekdays=list(range(7)),
    ).versions.get()
    program_add_exercise(version=new, exercise=library["bird-dog"])
    new = program_activate(version=new, activated_by=physio, progression_reason="Second block")
    new.start_date = today - timedelta(days=3)  # in force for four days now
    new.save(update_fields=["start_date"])
    send_checkin(new, days_ago=1)
    client.force_login(physio)
    (row,) = client.get(reverse("flags:dashboard")).context["rows"]
    short, _long = checkin_selectors.adherence(patient=patient, version=new, today=today)
    assert (short["reported"], short["planned"], short["percent"]) == (1, 4, 25)  # every day since it started
    assert row["adherence"] == 25


def test_dashboard_acknowledge_from_row(client, physio, active):
    services.checkin_evaluate(checkin_id=send_checkin(active, max_pain=4).pk)
    client.force_login(physio)
    flag = client.get(reverse("flags:dashboard")).context["flags"][0]
    response = client.post(reverse("flags:acknowledge", args=[flag.pk]), {"view": "dash"}, HTTP_HX_REQUEST="true")
    assert "Acknowledged" in response.content.decode()


def test_dashboard_empty_states(client, physio):
    client.force_login(physio)
    html = client.get(reverse("flags:dashboard")).content.decode()
    assert "No open flags" in html and "You have no patients in a course of care" in html


def test_dashboard_query_count_fixed_at_two_sizes(client, physio, library):
    bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=3)
    client.force_login(physio)
    client.get(reverse("flags:dashboard"))  # the first request of a session also saves it
    with count_queries() as small:
        client.get(reverse("flags:dashboard"))
    patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=60)
    version = patients[0].programs.get().versions.get()
    for days_ago in range(4):
        send_checkin(version, days_ago=days_ago, max_pain=days_ago)
    for p in patients[:5]:
        services.flag_record(patient=p, reason="rest", rule="r", explanation="e", values={})
    make_patient(physio=physio)
    with count_queries() as large:
        response = client.get(reverse("flags:dashboard"))
    assert len(response.context["rows"]) == 25
    assert_same_query_count(small, large)


def test_other_physios_patients_not_on_my_dashboard(client, physio):
    other = PhysioFactory(clinic=physio.clinic)
    make_patient(physio=other, last_name="Theirs")
    client.force_login(physio)
    assert client.get(reverse("flags:dashboard")).context["rows"] == []


def test_adherence_windows_share_one_read_and_leave_out_paused_days(active, physio, django_assert_max_num_queries):
    from checkins.models import CheckIn
    from patients.models import Pause
    from programs.models import ProgramVersion

    patient = active.program.patient
    today = patient.clinic.local_today()
    ProgramVersion.objects.filter(pk=active.pk).update(start_date=today - timedelta(days=40))
    active.refresh_from_db()
    for days_ago in (1, 1, 2, 3):  # two sessions on one day count as one day
        send_checkin(active, days_ago=days_ago)
    older = send_checkin(active, days_ago=7)
    CheckIn.objects.filter(pk=older.pk).update(session_date=today - timedelta(days=20))
    Pause.objects.create(
        patient=patient,
        starts_on=today - timedelta(days=12),
        ends_on=today - timedelta(days=10),
        created_by=physio,
        reason="Flare-up",
    )
    paused = {today - timedelta(days=n) for n in (10, 11, 12)}

    def planned(days):
        window = [today - timedelta(days=n) for n in range(days)]
        return sum(1 for day in window if day.weekday() in (0, 2, 4) and day not in paused)

    with django_assert_max_num_queries(3):  # program start, report dates, pauses
        short, long = checkin_selectors.adherence(patient=patient, version=active, today=today, windows=(14, 28))
    assert (short["days"], short["reported"], short["planned"]) == (14, 3, planned(14))
    assert (long["days"], long["reported"], long["planned"]) == (28, 4, planned(28))
    assert long["percent"] == round(4 * 100 / planned(28))


def test_staff_patient_page_query_count_fixed_at_two_sizes(client, physio, active):
    """The patient's page with its progress panel: flags, recent reports, their exercises and corrections."""
    services.checkin_evaluate(checkin_id=send_checkin(active, days_ago=7, max_pain=1).pk)
    url = reverse("patients:detail", args=[active.program.patient.pk])
    client.force_login(physio)
    client.get(url)  # the first request of a session also saves it
    with count_queries() as small:
        client.get(url)
    for days_ago in range(6, -1, -1):
        services.checkin_evaluate(checkin_id=send_checkin(active, days_ago=days_ago, max_pain=min(5, days_ago)).pk)
    newest = active.program.patient.checkins.order_by("-session_date").first()
    checkin_services.checkin_correct(
        checkin=newest,
        outcomes={item.pk: "partly" for item in active.items.all()},
        max_pain=2,
        pain_now=1,
        sharp_pain=False,
        note="Typed the wrong figure.",
    )
    services.flag_record(patient=active.program.patient, reason="rest", rule="r", explanation="e", values={})
    with count_queries() as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["flags"]) >= 2
    assert "Typed the wrong figure." in response.content.decode()
    assert_same_query_count(small, large)


def test_sparkline_and_adherence_from_one_read_of_the_check_ins(physio, active):
    """The last ten reports draw the sparkline; every report in the adherence window counts, also one older than
    the last ten (two weeks hold more than ten reports when a patient reports most days)."""
    from flags.selectors import caseload, caseload_rows

    patient = active.program.patient
    today = patient.clinic.local_today()
    every_day = [0, 1, 2, 3, 4, 5, 6]  # 14 sessions planned in the window: 11 reported is not 10
    type(active).objects.filter(pk=active.pk).update(start_date=today - timedelta(days=30), weekdays=every_day)
    active.refresh_from_db()
    for days_ago in (20, 19, 18, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2):
        checkin = send_checkin(active, max_pain=days_ago % 6)
        type(checkin).objects.filter(pk=checkin.pk).update(session_date=today - timedelta(days=days_ago))
    patients = list(caseload(physio=physio))
    with count_queries() as queries:
        (row,) = caseload_rows(patients=patients, today=today)
    assert row["pains"] == [days_ago % 6 for days_ago in range(11, 1, -1)]  # the last ten, oldest first
    short, _long = checkin_selectors.adherence(patient=patient, version=active, today=today)
    assert short["reported"] == 11  # 12 days ago to 2 days ago
    assert row["adherence"] == short["percent"] == round(11 * 100 / 14)
    assert sum('"checkins_checkin"' in q["sql"] for q in queries.captured_queries) == 1


def test_the_threshold_reviews_and_the_patients_without_a_program_come_from_one_read(client, physio, active):
    from patients.models import ThresholdChange

    with_program = active.program.patient
    due = make_patient(physio=physio, first_name="Dee", last_name="Zane", onset_days=60)  # subacute, no program
    ThresholdChange.objects.filter(patient=due).update(phase="acute")  # decided when acute: a review is due
    without = [make_patient(physio=physio, first_name="Ann", last_name=name) for name in ("Byrne", "Abbot", "Cole")]
    client.force_login(physio)
    with count_queries() as queries:
        response = client.get(reverse("flags:dashboard"))
    assert [p.pk for p in response.context["reviews"]] == [due.pk]
    assert response.context["reviews"][0].review_default == 1
    assert [p.user.last_name for p in response.context["without_program"]] == ["Abbot", "Byrne", "Cole", "Zane"]
    assert with_program not in response.context["without_program"]
    html = response.content.decode()
    assert f'id="review-{due.pk}"' in html and f'id="no-program-{without[1].pk}"' in html
    # The caseload in care is read once for both lists: the last decision on each threshold with the program in force.
    (read,) = [q["sql"] for q in queries.captured_queries if 'AS "decided_for"' in q["sql"]]
    assert 'AS "has_program"' in read
