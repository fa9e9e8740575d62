"""{% exercise_figure %}: the drawing or the clinic's own media, at each size, with a fixed number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.urls import reverse

from programs import selectors
from programs.services import exercise_create, exercise_media_attach
from tests.helpers import MP4_BYTES, add_exercises, assert_same_query_count, attach_photo, count_queries


def render(exercise, size, user=None):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load exercise_figures %}{% exercise_figure exercise size %}").render(
        Context({"exercise": exercise, "size": size, "request": request})
    )


def test_a_shipped_exercise_is_drawn_at_every_size(library, physio):
    exercise = library["bird-dog"]
    full, printed, thumb = (render(exercise, size, physio) for size in ("full", "print", "thumb"))
    assert "fig-live" in full and "fig-stills" in full and 'aria-label="Pause the movement"' in full
    assert "fig-live" not in printed and printed.count("<svg") == 2 and 'class="fig-still-label">End<' in printed
    assert thumb.count("<svg") == 1 and 'aria-hidden="true"' in thumb and "fig-thumb-svg" in thumb


def test_a_clinics_own_exercise_has_no_drawing(clinic, physio):
    own = exercise_create(
        clinic=clinic, created_by=physio, name="Glute bridge", category="strength", difficulty=1, equipment="mat",
        summary="Ours.", instructions="Our own way.", muscle_groups=["glutes"], sets=2, reps=8, hold_seconds=None,
        rest_seconds=30,
    )  # fmt: skip
    assert own.key == "glute-bridge"  # the same key as the shipped one, and still not its drawing
    assert render(own, "full", physio).strip() == ""
    assert "fig-thumb-none" in render(own, "thumb", physio)


def test_the_clinics_photo_replaces_the_drawing_and_its_video_stays_on_screen_only(clinic, physio, library):
    photo = attach_photo(clinic=clinic, exercise=library["clamshell"], by=physio)
    full = render(library["clamshell"], "full", physio)
    assert "<svg" not in full and reverse("programs:exercise_media", args=["x"])[:-2] in full
    assert 'alt="Clamshell, as your clinic shows it. Start: Lie on your side' in full
    assert photo.thumbnail_name and "fig-thumb" in render(library["clamshell"], "thumb", physio)
    exercise_media_attach(
        clinic=clinic,
        exercise=library["dead-bug"],
        upload=SimpleUploadedFile("v.mp4", MP4_BYTES),
        uploaded_by=physio,
    )
    assert "<video" in render(library["dead-bug"], "full", physio)
    printed = render(library["dead-bug"], "print", physio)
    assert "<video" not in printed and printed.count("<svg") == 2  # paper gets the drawing


def test_an_unknown_size_is_a_template_error(library, physio):
    with pytest.raises(TemplateSyntaxError, match="size must be one of"):
        render(library["bird-dog"], "huge", physio)


def test_today_and_the_handout_read_the_clinics_media_in_a_fixed_number_of_queries(
    client, patient, physio, draft, library
):
    from programs.services import program_activate

    add_exercises(draft, library, "dead-bug")
    program_activate(version=draft, activated_by=physio)
    attach_photo(clinic=patient.clinic, exercise=library["dead-bug"], by=physio)
    client.force_login(patient.user)
    today, handout = reverse("checkins:today"), reverse("programs:handout", args=[draft.pk])
    client.get(today)
    with count_queries() as few_today:
        assert "Photo from your clinic" in client.get(today).content.decode()
    with count_queries() as few_handout:
        client.get(handout)
    revised = draft.program
    from programs.services import program_revise

    version = program_revise(program=revised, created_by=physio)
    add_exercises(version, library, "clamshell", "bird-dog", "glute-bridge")
    for key in ("clamshell", "glute-bridge"):
        attach_photo(clinic=patient.clinic, exercise=library[key], by=physio)
    program_activate(version=version, activated_by=physio, progression_reason="Ready for more")
    with count_queries() as more_today:
        page = client.get(today).content.decode()
    assert page.count("Photo from your clinic") == 3 and page.count("fig-live") == 1
    with count_queries() as more_handout:
        client.get(reverse("programs:handout", args=[version.pk]))
    assert_same_query_count(few_today, more_today, what="Today's queries")
    assert_same_query_count(few_handout, more_handout, what="the handout's queries")


def test_the_library_prefetches_each_exercises_clinic_media(clinic, physio, library):
    attach_photo(clinic=clinic, exercise=library["clamshell"], by=physio)
    found = {e.key: e for e in selectors.exercise_library(user=physio, search="clam")}
    assert [m.kind for m in found["clamshell"].clinic_media] == ["photo"]
