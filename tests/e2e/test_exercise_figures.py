"""The exercise figures in a real browser: they move, a pause control stops them, they stand still under reduced
motion, and the handout prints two exercises to a page."""

import re

import pytest
from playwright.sync_api import expect

from programs.models import Exercise
from programs.services import program_activate, program_add_exercise, program_create
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import CHROMIUM_ARGS, PHONE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIGURE_ANIMATIONS = """() => document.getAnimations()
    .filter(a => a.effect && a.effect.target && a.effect.target.closest('.fig-live'))
    .map(a => a.playState)"""


def patient_with_program(*keys):
    clinic = ClinicFactory(name="Harbour Physio")
    physio = PhysioFactory(clinic=clinic)
    patient = make_patient(physio=physio, email="omar@example.com")
    program = program_create(
        patient=patient, created_by=physio, title="Block 1", start_date=clinic.local_today(), weekdays=[0, 2, 4]
    )
    version = program.versions.get()
    for key in keys:
        program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key=key))
    program_activate(version=version, activated_by=physio, progression_reason="Long-term, used to these exercises")
    return patient, version


def test_the_figure_moves_and_the_pause_control_stops_it(phone_page, shipped_library):
    patient_with_program("glute-bridge", "bird-dog")
    log_in(phone_page, "omar@example.com", PASSWORD)
    figure = phone_page.locator(".exercise-figure").first
    expect(figure.locator(".fig-live")).to_be_visible()
    expect(figure.locator(".fig-stills")).to_be_hidden()
    assert figure.get_attribute("class") == "exercise-figure"
    label = figure.locator(".fig-stage").get_attribute("aria-label")
    assert label.startswith("Glute bridge, drawn at the start and the end") and "Lie on your back" in label
    states = phone_page.evaluate(FIGURE_ANIMATIONS)
    assert states and set(states) == {"running"}

    pause = figure.locator(".fig-pause-control")
    box = pause.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb-sized control
    pause.click()
    expect(pause.locator(".fig-when-paused")).to_be_visible()
    expect(pause.locator(".fig-when-moving")).to_be_hidden()
    expect(figure.get_by_role("checkbox", name="Pause the movement")).to_be_checked()
    first = phone_page.locator(".fig-live").first
    paused = first.evaluate("svg => svg.querySelector('.fig-turn').getAnimations().map(a => a.playState)")
    assert paused == ["paused"]
    # The other exercise's figure still moves: each control pauses its own figure.
    second = phone_page.locator(".fig-live").nth(1)
    assert set(second.evaluate("svg => svg.querySelector('.fig-turn').getAnimations().map(a => a.playState)")) == {
        "running"
    }
    figure.get_by_role("checkbox", name="Pause the movement").press("Space")  # by keyboard too
    expect(pause.locator(".fig-when-moving")).to_be_visible()
    assert set(first.evaluate("svg => svg.querySelector('.fig-turn').getAnimations().map(a => a.playState)")) == {
        "running"
    }


def test_figures_stand_still_under_reduced_motion(browser, live_server, shipped_library):
    patient_with_program("glute-bridge", "clamshell")
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce", **PHONE)
    page = context.new_page()
    try:
        log_in(page, "omar@example.com", PASSWORD)
        figure = page.locator(".exercise-figure").first
        expect(figure.locator(".fig-stills")).to_be_visible()
        expect(figure.locator(".fig-live")).to_be_hidden()
        expect(figure.locator(".fig-pause-control")).to_be_hidden()
        expect(figure.locator(".fig-still-label")).to_have_text(["Start", "End"])
        assert page.evaluate(FIGURE_ANIMATIONS) == []
    finally:
        context.close()


def test_the_handout_prints_two_exercises_to_a_page(browser, live_server, shipped_library):
    assert "--no-sandbox" in CHROMIUM_ARGS
    _patient, version = patient_with_program(  # the tallest figures (standing) and the longest instructions among them
        "wall-sit-ball-squeeze", "standing-side-bend", "bird-dog-elbow-to-knee", "pallof-press", "side-plank"
    )
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        log_in(page, "omar@example.com", PASSWORD)
        page.goto(f"/programs/versions/{version.pk}/handout/")
        expect(page.locator(".handout-exercise .fig-print")).to_have_count(5)
        pdf = page.pdf(format="A4", print_background=False)
    finally:
        context.close()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages == 3  # five exercises, two to a page
