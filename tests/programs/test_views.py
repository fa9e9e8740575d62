import pytest
from django.urls import reverse

from programs import services
from programs.models import Exercise, ProgramVersion
from tests.factories import ClinicFactory, PhysioFactory
from tests.helpers import BALANCED, add_exercises, assert_same_query_count, count_queries

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_builder_query_count_does_not_grow_with_exercises(client, physio, draft, library):
    client.force_login(physio)
    url = reverse("programs:builder", args=[draft.pk])
    add_exercises(draft, library, "dead-bug")
    client.get(url)  # the first request of a session also saves it
    with count_queries() as one:
        client.get(url)
    add_exercises(draft, library, "clamshell", "bird-dog", "side-plank-knees", "adductor-ball-squeeze", "glute-bridge")
    with count_queries() as more:
        response = client.get(url)
    assert_same_query_count(one, more)
    assert len(response.context["item_rows"]) == 6


def test_revision_builder_query_count_is_fixed(client, physio, draft, library):
    add_exercises(draft, library, "dead-bug")
    services.program_activate(version=draft, activated_by=physio)
    v2 = services.program_revise(program=draft.program, created_by=physio)
    client.force_login(physio)
    url = reverse("programs:builder", args=[v2.pk])
    client.get(url)  # the first request of a session also saves it
    with count_queries() as one:
        client.get(url)
    add_exercises(v2, library, "clamshell", "bird-dog", "side-plank-knees")
    with count_queries() as more:
        client.get(url)
    assert_same_query_count(one, more)


def test_add_with_htmx_returns_the_builder_fragment(client, physio, draft, library):
    client.force_login(physio)
    response = client.post(
        reverse("programs:builder_add", args=[draft.pk]), {"exercise": library["dead-bug"].pk}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Dead bug" in html
    assert "Nothing in this program works the adductors, abductors, lateral muscles" in html


def test_add_without_javascript_redirects_back(client, physio, draft, library):
    client.force_login(physio)
    response = client.post(reverse("programs:builder_add", args=[draft.pk]), {"exercise": library["dead-bug"].pk})
    assert response.status_code == 302
    assert response.url == reverse("programs:builder", args=[draft.pk])


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_add_unknown_exercise_is_404(client, physio, draft, value):
    client.force_login(physio)
    assert client.post(reverse("programs:builder_add", args=[draft.pk]), {"exercise": value}).status_code == 404
    assert not draft.items.exists()


def test_add_other_clinics_own_exercise_is_404(client, physio, draft):
    outsider = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
    theirs = services.exercise_create(
        clinic=outsider.clinic,
        created_by=outsider,
        name="Their secret",
        category="strength",
        difficulty=2,
        equipment="mat",
        summary="s",
        instructions="a\nb",
        muscle_groups=["core"],
        sets=2,
        reps=5,
        hold_seconds=None,
        rest_seconds=30,
    )
    client.force_login(physio)
    assert client.post(reverse("programs:builder_add", args=[draft.pk]), {"exercise": theirs.pk}).status_code == 404
    assert client.get(reverse("programs:exercise_detail", args=[theirs.pk])).status_code == 404


def test_balanced_program_has_no_warning(client, physio, draft, library):
    add_exercises(draft, library, *BALANCED)
    client.force_login(physio)
    html = client.get(reverse("programs:builder", args=[draft.pk])).content.decode()
    assert "All four supporting groups are worked" in html
    assert 'id="balance-warning"' not in html


def test_frequency_warning_shown(client, physio, draft):
    client.force_login(physio)
    response = client.post(
        reverse("programs:builder_schedule", args=[draft.pk]),
        {"title": "T", "start_date": draft.start_date.isoformat(), "weekdays": ["0", "4"]},
        **HTMX,
    )
    assert "3 rest days in a row" in response.content.decode()
    clinic = draft.program.patient.clinic
    clinic.rest_days_allowed = 3  # the clinic allows three: Monday and Friday are fine
    clinic.save()
    assert 'id="frequency-warning"' not in client.get(reverse("programs:builder", args=[draft.pk])).content.decode()


def test_handout_states_the_clinics_rest_limit(client, physio, active):
    clinic = active.program.patient.clinic
    clinic.rest_days_allowed = 3
    clinic.save()
    client.force_login(physio)
    handout = client.get(reverse("programs:handout", args=[active.pk])).content.decode()
    assert "Try not to rest more than 3 days in a row." in handout


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"sets": "0"}, "sets", "Sets must be between 1 and"),
        ({"sets": "-1"}, "sets", "Sets must be between 1 and"),
        ({"reps": "101"}, "reps", "Repetitions must be between 1 and 100."),
        ({"reps": "", "hold_seconds": "301"}, "hold_seconds", "A hold must be between"),
        ({"rest_seconds": "2.5"}, "rest_seconds", "Enter a whole number."),
        ({"reps": "", "hold_seconds": ""}, "reps", "Give repetitions, a hold time, or both"),
        ({"sets": "two"}, "sets", "Enter a whole number"),
    ],
)
def test_bad_dose_shown_beside_field(client, physio, draft, library, data, field, message):
    (item,) = add_exercises(draft, library, "dead-bug")
    client.force_login(physio)
    payload = {"sets": "2", "reps": "8", "hold_seconds": "", "rest_seconds": "30", "notes": ""} | data
    response = client.post(
        reverse("programs:item_update", args=[item.pk]), {f"item-{item.pk}-{k}": v for k, v in payload.items()}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="error_1_id_item-{item.pk}-{field}"' in html
    item.refresh_from_db()
    assert (item.sets, item.reps) == (library["dead-bug"].sets, library["dead-bug"].reps)


def test_activate_empty_program_explained(client, physio, draft):
    client.force_login(physio)
    response = client.post(reverse("programs:builder_activate", args=[draft.pk]), {})
    assert response.status_code == 200
    assert "Add at least one exercise" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ProgramVersion.Status.DRAFT


@pytest.mark.parametrize(
    ("start", "message"),
    [(400, "more than a year from today"), (-400, "more than a year before today"), (None, "before today")],
)
def test_a_start_date_over_a_year_away_either_way_is_refused_beside_its_field(client, physio, draft, start, message):
    from datetime import date, timedelta

    client.force_login(physio)
    day = date(1900, 1, 1) if start is None else draft.start_date + timedelta(days=start)
    response = client.post(
        reverse("programs:builder_schedule", args=[draft.pk]),
        {"title": "T", "start_date": day.isoformat(), "weekdays": ["0"]},
    )
    assert message in response.content.decode()
    assert response.context["schedule_form"].errors["start_date"]
    draft.refresh_from_db()
    assert draft.weekdays == [0, 2, 4] and draft.start_date != day


def test_builder_warns_of_a_start_that_has_passed_and_activation_explains_it(client, physio, draft, library):
    from datetime import timedelta

    add_exercises(draft, library, *BALANCED)
    draft.start_date -= timedelta(days=3)
    draft.save(update_fields=["start_date"])
    client.force_login(physio)
    page = client.get(reverse("programs:builder", args=[draft.pk])).content.decode()
    assert 'id="start-warning"' in page and "has passed" in page
    response = client.post(reverse("programs:builder_activate", args=[draft.pk]), {})
    assert response.status_code == 200 and "Set the start to today or later" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ProgramVersion.Status.DRAFT
    draft.start_date += timedelta(days=3)
    draft.save(update_fields=["start_date"])
    assert 'id="start-warning"' not in client.get(reverse("programs:builder", args=[draft.pk])).content.decode()


def test_activate_redirects_to_program_page_and_version_readable(client, physio, draft, library, patient):
    add_exercises(draft, library, *BALANCED)
    client.force_login(physio)
    response = client.post(reverse("programs:builder_activate", args=[draft.pk]), {})
    assert response.url == reverse("programs:patient", args=[patient.pk])
    page = client.get(response.url).content.decode()
    assert "Version 1 in force" in page
    assert client.get(reverse("programs:builder", args=[draft.pk])).status_code == 404  # no longer a draft
    handout = client.get(reverse("programs:handout", args=[draft.pk])).content.decode()
    assert "Dead bug" in handout and "print.css" in handout


def test_program_page_lists_pauses_plainly(client, physio, active):
    from datetime import timedelta

    from patients.services import pause_create, pause_resume

    patient = active.program.patient
    today = patient.clinic.local_today()
    kw = {"patient": patient, "created_by": physio}
    later = pause_create(**kw, starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=35), reason="Trip")
    pause_resume(pause=later, resumed_by=physio)  # called off before it began
    now = pause_create(**kw, starts_on=today, ends_on=today + timedelta(days=50), reason="Surgery")
    client.force_login(physio)
    page = client.get(reverse("programs:patient", args=[patient.pk])).content.decode()
    assert 'Trip <span class="text-muted">(cancelled before it began, by ' in page
    assert f"Paused until {now.last_day:%A} {now.last_day.day} {now.last_day:%B %Y}: Surgery." in page


def test_library_filters(client, physio):
    client.force_login(physio)
    url = reverse("programs:exercise_list")
    response = client.get(url, {"group": "adductors", "difficulty": "1"})
    names = [e.name for e in response.context["page"].object_list]
    assert names
    expected = Exercise.objects.filter(clinic=None, muscles__group="adductors", difficulty=1).count()
    assert len(names) == expected
    assert client.get(url, {"category": "dance"}).context["form"].errors["category"]


def test_staff_add_their_own_exercise(client, physio):
    client.force_login(physio)
    data = {
        "name": "Towel hip hinge",
        "category": "motor_control",
        "difficulty": "2",
        "equipment": "none",
        "muscle_groups": ["lower_back", "glutes"],
        "summary": "Learn to bend from the hips.",
        "instructions": "Stand tall\nHinge at the hips",
        "sets": "2",
        "reps": "8",
        "rest_seconds": "30",
    }
    response = client.post(reverse("programs:exercise_create"), data)
    exercise = Exercise.objects.get(name="Towel hip hinge")
    assert response.url == reverse("programs:exercise_detail", args=[exercise.pk])
    assert exercise.clinic == physio.clinic
    assert list(exercise.muscles.values_list("group", "primary")) == [("lower_back", True), ("glutes", False)]
    response = client.post(reverse("programs:exercise_create"), data | {"name": "towel HIP hinge"})
    assert "already has an exercise with this name" in response.content.decode()


class TestPicker:
    def test_named_matches_first_and_a_note_when_there_are_more(self, client, physio, draft, library):
        client.force_login(physio)
        url = reverse("programs:builder", args=[draft.pk])
        results = client.get(url, {"q": "side", "picker": 1}, **HTMX).context["results"]
        named = [e for e in results if "side" in e.name.lower()]
        assert named and results[: len(named)] == named  # names containing the word before summaries that do
        everything = client.get(url, {"picker": 1}, **HTMX)
        assert len(everything.context["results"]) == 12 and everything.context["more_results"]
        assert 'id="picker-more"' in everything.content.decode()
        one = client.get(url, {"q": "dead bug", "picker": 1}, **HTMX)
        assert not one.context["more_results"] and 'id="picker-more"' not in one.content.decode()

    def test_add_keeps_the_search_and_marks_what_is_in_the_program(self, client, physio, draft, library):
        client.force_login(physio)
        add_url = reverse("programs:builder_add", args=[draft.pk])
        data = {"exercise": library["dead-bug"].pk, "q": "dead", "group": "core"}
        html = client.post(add_url, data, **HTMX).content.decode()
        assert 'id="picker-q" name="q" value="dead"' in html
        assert 'Dead bug</a> <span class="badge text-bg-secondary">in this program</span>' in html
        assert 'aria-label="Add Dead bug"' not in html  # nothing to add twice
        response = client.post(add_url, data, **HTMX)  # a stale page adds it again: refused, and said
        assert "Dead bug is already in this program" in response.content.decode()
        assert draft.items.filter(exercise=library["dead-bug"]).count() == 1
        response = client.post(add_url, data | {"exercise": library["clamshell"].pk})  # without JavaScript
        assert response.url == reverse("programs:builder", args=[draft.pk]) + "?q=dead&group=core"


def test_the_builder_tells_the_weekly_volume_in_words(client, physio, draft, library):
    """Repetitions a week, seconds held a week and sessions a week, never one number adding them up."""
    dead_bug, plank = add_exercises(draft, library, "dead-bug", "side-plank-knees")
    services.program_update_item(item=dead_bug, sets=3, reps=8, hold_seconds=None, rest_seconds=30, notes="")
    services.program_update_item(item=plank, sets=3, reps=None, hold_seconds=20, rest_seconds=30, notes="")
    services.program_activate(version=draft, activated_by=physio)
    v2 = services.program_revise(program=draft.program, created_by=physio)
    services.program_update_item(
        item=v2.items.get(exercise__key="dead-bug"), sets=3, reps=10, hold_seconds=None, rest_seconds=30, notes=""
    )
    client.force_login(physio)
    page = client.get(reverse("programs:builder", args=[v2.pk])).content.decode()
    # Three sessions a week (Monday, Wednesday, Friday): 3 x 3 x 10 repetitions, 3 x 3 x 20 seconds.
    assert "90 repetitions a week, 180 seconds held a week, 3 sessions a week" in page
    assert "repetitions a week: 72 to 90, +25%; seconds held a week: 180 to 180, unchanged" in page
    assert "Weekly volume rises more than the 10% a gradual program should add at once" in page
    assert "270" not in page  # the two measures are never added up
    detail = client.get(reverse("programs:version", args=[v2.pk])).content.decode()
    assert "repetitions a week: 72 to 90, +25%" in detail
