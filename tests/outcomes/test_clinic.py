"""The clinic's outcomes: the figures on a known data set, the CSV export, and a query count that does not grow with
the courses of care."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from outcomes.models import Questionnaire
from outcomes.selectors import clinic_outcomes
from patients.models import Episode
from patients.services import episode_discharge
from programs.services import program_activate, program_create
from tests.factories import PhysioFactory, make_patient
from tests.helpers import (
    add_exercises,
    answer_questionnaire,
    assert_same_query_count,
    count_queries,
    evaluate,
    send_checkin,
)

pytestmark = pytest.mark.django_db


def course(physio, library, *, start, end, reason, sessions=0, flagged=False, days=9):
    """A patient of `physio` through a whole course of care: a program every day for `days` + 1 days, `sessions`
    check-ins, the intake and discharge questionnaires with the given (pain, activities, overall change) scores."""
    patient = make_patient(physio=physio)
    today = patient.clinic.local_today()
    Episode.objects.filter(patient=patient).update(referral_date=today - timedelta(days=days))
    program = program_create(
        patient=patient, created_by=physio, title="P", start_date=today, weekdays=[0, 1, 2, 3, 4, 5, 6]
    )
    version = program.versions.get()
    add_exercises(version, library, "dead-bug")
    program_activate(version=version, activated_by=physio)
    type(version).objects.filter(pk=version.pk).update(start_date=today - timedelta(days=days))
    version.refresh_from_db()
    for n in range(sessions):
        checkin = send_checkin(version, days_ago=n, max_pain=4 if flagged and n == 0 else 1)
        evaluate(checkin)
    pain, activities = start
    answer_questionnaire(
        Questionnaire.objects.get(patient=patient, timepoint="intake"),
        {"psfs": {"activities": ["Socks"], "activity-1": activities}, "pain-week": {"pain": pain}},
    )
    episode_discharge(patient=patient, by=physio, reason=reason)
    pain, activities, change = end
    answer_questionnaire(
        Questionnaire.objects.get(patient=patient, timepoint="discharge"),
        {"psfs": {"activity-1": activities}, "pain-week": {"pain": pain}, "grc": {"change": change}},
    )
    return patient


@pytest.fixture
def known(clinic, physio, library):
    """Three courses of care discharged today, two of Alex Morgan's and one of Bea Khan's, one discharged long ago
    and one still in progress (neither counts)."""
    bea = PhysioFactory(clinic=clinic, first_name="Bea", last_name="Khan")
    # Alex: pain 6 -> 2 (4 better, reached), activities 3 -> 8 (5, reached), much better (2, reached); 5 of 10
    # sessions (50%), one pain flag.
    course(physio, library, start=(6, 3), end=(2, 8, 2), reason="goals_met", sessions=5, flagged=True)
    # Alex: pain 5 -> 4 (1, not reached), activities 4 -> 5 (1), a little better (1); 2 of 10 sessions (20%).
    course(physio, library, start=(5, 4), end=(4, 5, 1), reason="stopped_attending", sessions=2)
    # Bea: pain 4 -> 7 (3 worse), activities 5 -> 4 (1 worse), much worse (-2); no session of 10 (0%).
    course(bea, library, start=(4, 5), end=(7, 4, -2), reason="referred_on")
    old = course(bea, library, start=(9, 1), end=(0, 10, 3), reason="goals_met")
    long_ago = clinic.local_today() - timedelta(days=200)
    Episode.objects.filter(patient=old).update(referral_date=long_ago - timedelta(days=30), discharged_on=long_ago)
    make_patient(physio=physio)  # in a course of care: not counted
    return {"alex": physio, "bea": bea}


def test_the_figures_on_a_known_data_set(clinic_admin, known):
    today = clinic_admin.clinic.local_today()
    result = clinic_outcomes(user=clinic_admin, start=today - timedelta(days=90), end=today)
    clinic, alex, bea = result["groups"]
    assert [g.name for g in result["groups"]] == ["Whole clinic", "Alex Morgan", "Bea Khan"]
    assert [name for _key, name in result["measures"]] == [
        "Average back pain over the past week",
        "Global rating of change",
        "Patient-Specific Functional Scale",
    ]
    assert (clinic.episodes, alex.episodes, bea.episodes) == (3, 2, 1)
    assert clinic.by_reason == {
        "goals_met": 1,
        "self_managing": 0,
        "referred_on": 1,
        "stopped_attending": 1,
        "other": 0,
    }
    pain = clinic.measures["pain-week"]
    assert (pain.count, pain.median_improvement, pain.share_reached) == (3, Decimal("1.00"), 33)
    assert sorted(pain.improvements) == [-3, 1, 4]
    assert alex.measures["pain-week"].median_improvement == Decimal("2.50")
    assert alex.measures["pain-week"].share_reached == 50
    assert bea.measures["pain-week"].share_reached == 0
    activities = clinic.measures["psfs"]
    assert (activities.median_improvement, activities.share_reached) == (Decimal("1.00"), 33)
    change = clinic.measures["grc"]
    assert (sorted(change.improvements), change.share_reached) == ([-2, 1, 2], 33)
    assert (clinic.median_adherence, alex.median_adherence, bea.median_adherence) == (20, 35, 0)
    assert (clinic.flags_per_episode, alex.flags_per_episode, bea.flags_per_episode) == (
        Decimal("0.3"),
        Decimal("0.5"),
        Decimal("0.0"),
    )


def test_one_physiotherapist_and_an_empty_period(clinic_admin, known):
    today = clinic_admin.clinic.local_today()
    only_bea = clinic_outcomes(
        user=clinic_admin, start=today - timedelta(days=90), end=today, physiotherapist_id=known["bea"].pk
    )
    assert [(g.name, g.episodes) for g in only_bea["groups"]] == [("Whole clinic", 1), ("Bea Khan", 1)]
    long_ago = clinic_outcomes(user=clinic_admin, start=today - timedelta(days=365), end=today - timedelta(days=100))
    assert [(g.name, g.episodes) for g in long_ago["groups"]] == [("Whole clinic", 1), ("Bea Khan", 1)]


def test_a_course_of_care_without_a_physiotherapist_recorded_and_a_physiotherapist_without_a_last_name(
    clinic_admin, known
):
    Episode.objects.filter(patient__physiotherapist=known["bea"]).update(physiotherapist=None)
    known["alex"].last_name = ""
    known["alex"].save(update_fields=["last_name"])
    today = clinic_admin.clinic.local_today()
    result = clinic_outcomes(user=clinic_admin, start=today - timedelta(days=90), end=today)
    assert [(g.name, g.episodes) for g in result["groups"]] == [
        ("Whole clinic", 3),
        ("Alex", 2),
        ("No physiotherapist recorded", 1),
    ]


def test_only_clinic_admins_read_it(physio, known):
    today = physio.clinic.local_today()
    assert clinic_outcomes(user=physio, start=today, end=today) == {"groups": [], "measures": []}


def test_the_page_and_its_csv(client, clinic_admin, known):
    client.force_login(clinic_admin)
    page = client.get(reverse("outcomes:clinic")).content.decode()
    assert "Whole clinic" in page and "Alex Morgan" in page and "<td>+2.5</td><td>50%</td>" in page
    response = client.get(reverse("outcomes:clinic_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="outcomes-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, clinic, alex, bea = rows
    assert header[:3] == ["Physiotherapist", "Courses of care discharged", "Discharged: Goals met"]
    assert "Average back pain over the past week: median change" in header
    column = header.index("Average back pain over the past week: median change")
    assert (clinic[column], alex[column], bea[column]) == ("1.00", "2.50", "-3.00")
    assert [row[header.index("Median adherence (%)")] for row in (clinic, alex, bea)] == ["20", "35", "0"]
    assert clinic[header.index("Flags per course of care")] == "0.3"


def test_a_period_that_makes_no_sense_is_told_and_the_default_shown(client, clinic_admin, known):
    client.force_login(clinic_admin)
    today = clinic_admin.clinic.local_today()
    page = client.get(
        reverse("outcomes:clinic"), {"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()}
    ).content.decode()
    assert "The end of the period is before its start." in page
    assert "Whole clinic" in page


def test_a_name_a_spreadsheet_would_run_is_written_as_text(client, clinic_admin, physio, library):
    physio.first_name = "=HYPERLINK(1)"
    physio.save(update_fields=["first_name"])
    course(physio, library, start=(6, 3), end=(2, 8, 2), reason="goals_met")
    client.force_login(clinic_admin)
    rows = list(csv.reader(io.StringIO(client.get(reverse("outcomes:clinic_csv")).content.decode())))
    assert rows[2][0].startswith("'=HYPERLINK")


def test_the_query_count_does_not_grow_with_the_courses_of_care(client, clinic_admin, physio, library):
    client.force_login(clinic_admin)
    url = reverse("outcomes:clinic")
    course(physio, library, start=(6, 3), end=(2, 8, 2), reason="goals_met", sessions=2)
    client.get(url)  # the session is saved on the first request
    with count_queries() as few:
        client.get(url)
    other = PhysioFactory(clinic=clinic_admin.clinic)
    for n in range(4):
        course(other if n % 2 else physio, library, start=(5, 4), end=(3, 6, 1), reason="self_managing", sessions=n)
    with count_queries() as many:
        page = client.get(url).content.decode()
    assert ">5<" in page
    assert_same_query_count(few, many, what="the clinic's outcomes page")
