from datetime import date, timedelta

import pytest

from patients.rules import Phase
from programs import rules
from programs.rules import Dose


@pytest.mark.parametrize(
    ("exercises", "missing"),
    [
        ([], ["core", "adductors", "abductors", "lateral"]),
        ([{"core"}], ["adductors", "abductors", "lateral"]),
        ([{"core", "glutes"}, {"adductors"}, {"abductors"}], ["lateral"]),
        ([{"core"}, {"adductors"}, {"abductors"}, {"lateral", "core"}], []),
        ([{"hamstrings"}, {"lower_back"}], ["core", "adductors", "abductors", "lateral"]),
    ],
)
def test_missing_groups(exercises, missing):
    assert rules.missing_groups(exercises) == missing


def test_balance_counts_each_exercise_once_per_group():
    assert rules.balance([["core", "core"], ["core", "lateral"]]) == {
        "core": 2,
        "adductors": 0,
        "abductors": 0,
        "lateral": 1,
    }


@pytest.mark.parametrize(
    ("weekdays", "run", "warns"),
    [
        ([0, 2, 4], 2, False),  # Fri -> Mon: Sat, Sun rest
        ([0, 3], 3, True),  # Mon -> Thu: Tue, Wed; Thu -> Mon: Fri, Sat, Sun = 3
        ([0, 1, 2, 3, 4, 5, 6], 0, False),
        ([0], 6, True),
        ([0, 4], 3, True),  # Mon -> Fri: 3 rest days (Tue-Thu)
        ([0, 1, 2], 4, True),
        ([1, 3, 5], 2, False),
    ],
)
def test_frequency_weekdays(weekdays, run, warns):
    assert rules.longest_rest_run(weekdays) == run
    assert (rules.frequency_warning(weekdays=weekdays, rest_days_allowed=2) is not None) is warns


@pytest.mark.parametrize(("per_week", "warns"), [(1, True), (2, True), (3, False), (5, False), (7, False)])
def test_frequency_sessions_per_week(per_week, warns):
    assert (rules.frequency_warning(sessions_per_week=per_week, rest_days_allowed=2) is not None) is warns


@pytest.mark.parametrize(
    ("schedule", "allowed", "warns"),
    [
        ({"weekdays": [0, 3]}, 2, True),  # Tuesday, Wednesday and Friday to Sunday: 3 rest days
        ({"weekdays": [0, 3]}, 3, False),
        ({"weekdays": [0]}, 5, True),
        ({"sessions_per_week": 2}, 3, False),
        ({"sessions_per_week": 1}, 3, True),
    ],
)
def test_frequency_follows_the_clinics_rest_limit(schedule, allowed, warns):
    warning = rules.frequency_warning(**schedule, rest_days_allowed=allowed)
    assert (warning is not None) is warns
    if warns:
        assert f"more than {allowed} rest days" in warning


@pytest.mark.parametrize(
    ("dose", "repetitions", "seconds_held"),
    [(Dose(2, 10, None), 20, 0), (Dose(3, None, 30), 0, 90), (Dose(2, 8, 5), 16, 80), (Dose(1, 1, None), 1, 0)],
)
def test_dose_measures(dose, repetitions, seconds_held):
    assert (dose.repetitions, dose.seconds_held) == (repetitions, seconds_held)


def test_weekly_volume_keeps_repetitions_and_seconds_apart():
    volume = rules.weekly_volume([Dose(2, 10, None), Dose(3, None, 30), Dose(2, 8, 5)], sessions=3)
    assert volume == rules.Volume(repetitions=3 * (20 + 16), seconds_held=3 * (90 + 80), sessions=3)
    assert volume.words == "108 repetitions a week, 510 seconds held a week, 3 sessions a week"
    assert rules.weekly_volume([Dose(2, 10, None)], sessions=1).words == "20 repetitions a week, 1 session a week"


def reps(n, sessions=1):
    return rules.Volume(repetitions=n, seconds_held=0, sessions=sessions)


@pytest.mark.parametrize(
    ("old", "new", "warns"),
    [
        (reps(100), reps(100), False),
        (reps(100), reps(110), False),  # exactly 10% passes
        (reps(100), reps(111), True),  # just over warns
        (reps(1000), reps(1100), False),
        (reps(1000), reps(1101), True),
        (reps(100), reps(50), False),  # less volume never warns
        (reps(0), reps(50), False),  # nothing to compare with
        # Each measure on its own: 10% more of each passes, though the seconds would swamp the repetitions if added.
        (rules.Volume(100, 1000, 3), rules.Volume(110, 1100, 3), False),
        (rules.Volume(100, 1000, 3), rules.Volume(111, 900, 3), True),  # fewer seconds do not pay for more reps
        (rules.Volume(100, 1000, 3), rules.Volume(90, 1101, 3), True),
        (rules.Volume(100, 0, 3), rules.Volume(100, 30, 3), True),  # holds where there were none
    ],
)
def test_progression_volume_boundary(old, new, warns):
    check = rules.progression_check(old_volume=old, new_volume=new)
    assert (check.volume_warning is not None) is warns
    assert check.needs_confirmation is warns


def test_the_volume_warning_names_each_measure_in_words():
    check = rules.progression_check(old_volume=rules.Volume(100, 300, 3), new_volume=rules.Volume(120, 300, 3))
    assert check.volume_warning == (
        "Weekly volume rises more than the 10% a gradual program should add at once "
        "(repetitions a week: 100 to 120, +20%). Over-extending risks a setback."
    )
    assert [change.words for change in check.changes] == [
        "repetitions a week: 100 to 120, +20%",
        "seconds held a week: 300 to 300, unchanged",
    ]
    assert "777" not in check.volume_warning


def test_progression_custom_percentage():
    assert not rules.progression_check(
        old_volume=reps(100), new_volume=reps(120), max_increase_percent=20
    ).needs_confirmation
    assert rules.progression_check(
        old_volume=reps(100), new_volume=reps(121), max_increase_percent=20
    ).needs_confirmation


@pytest.mark.parametrize(
    ("steps", "warnings"),
    [
        ([("Bridge", 2, 3)], 0),  # one level up is gradual
        ([("Bridge", 2, 4)], 1),  # two levels at once warns
        ([("Bridge", 4, 1)], 0),  # easier never warns
        ([("Bridge", 1, 3), ("Plank", 2, 5)], 2),
    ],
)
def test_progression_difficulty(steps, warnings):
    check = rules.progression_check(old_volume=reps(100), new_volume=reps(100), difficulty_steps=steps)
    assert len(check.difficulty_warnings) == warnings


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"sets": 3, "reps": 10, "hold_seconds": None, "rest_seconds": 30}, set()),
        ({"sets": 0, "reps": 10, "hold_seconds": None, "rest_seconds": 30}, {"sets"}),
        ({"sets": -1, "reps": 10, "hold_seconds": None, "rest_seconds": 30}, {"sets"}),
        ({"sets": 2, "reps": 100, "hold_seconds": None, "rest_seconds": 30}, set()),
        ({"sets": 2, "reps": 101, "hold_seconds": None, "rest_seconds": 30}, {"reps"}),
        ({"sets": 2, "reps": None, "hold_seconds": 300, "rest_seconds": 30}, set()),
        ({"sets": 2, "reps": None, "hold_seconds": 301, "rest_seconds": 30}, {"hold_seconds"}),
        ({"sets": 2, "reps": None, "hold_seconds": None, "rest_seconds": 30}, {"reps"}),
        ({"sets": 2, "reps": 5, "hold_seconds": None, "rest_seconds": 601}, {"rest_seconds"}),
    ],
)
def test_dose_errors(kwargs, fields):
    assert set(rules.dose_errors(**kwargs)) == fields


@pytest.mark.parametrize(
    ("days_from_today", "first_version", "refused"),
    [(-1, True, True), (-30, True, True), (0, True, False), (3, True, False), (-1, False, False)],
)
def test_a_programs_first_version_cannot_be_put_in_force_from_a_day_that_has_passed(
    days_from_today, first_version, refused
):
    today = date(2026, 11, 24)
    error = rules.past_start_error(
        start=today + timedelta(days=days_from_today), today=today, first_version=first_version
    )
    assert (error is not None) == refused
    if refused:
        assert "has passed" in error and "today or later" in error


def test_start_date_limit():
    today = date(2026, 11, 23)
    assert rules.start_date_error(today + timedelta(days=365), today) is None
    assert rules.start_date_error(today + timedelta(days=366), today) is not None
    assert rules.start_date_error(today - timedelta(days=365), today) is None
    assert "before today" in rules.start_date_error(today - timedelta(days=366), today)
    assert rules.start_date_error(date(1900, 1, 1), today) is not None


def test_planned_day():
    monday = date(2026, 11, 23)
    assert rules.is_planned_day(monday, weekdays=[0, 2]) is True
    assert rules.is_planned_day(monday, weekdays=[1]) is False
    assert rules.is_planned_day(monday) is None


# --- Rule 16: starting gently, and difficulty judged along each exercise's variants --------------------------


@pytest.mark.parametrize(
    ("phase", "difficulty", "warns"),
    [
        (Phase.ACUTE, 2, False),
        (Phase.ACUTE, 3, True),
        (Phase.SUBACUTE, 3, False),
        (Phase.SUBACUTE, 4, True),
        (Phase.LONG_TERM, 4, False),
        (Phase.LONG_TERM, 5, True),
    ],
)
def test_starting_ceiling_per_phase(phase, difficulty, warns):
    warnings = rules.starting_warnings(exercises=[("Copenhagen plank, long lever", difficulty)], phase=phase)
    assert bool(warnings) is warns
    if warns:
        assert warnings[0].startswith(f"Copenhagen plank, long lever is difficulty {difficulty}/5, above the starting")


# 1 -> 2 -> 3 is one chain (easier, harder); 10 -> 11 another.
LINKS = {1: (None, 2), 2: (1, 3), 3: (2, None), 10: (None, 11), 11: (10, None)}


def test_variant_family_follows_both_directions():
    assert rules.variant_family(3, LINKS) == {1, 2, 3}
    assert rules.variant_family(11, LINKS) == {10, 11}


def test_a_new_exercise_is_judged_against_its_own_chain_not_the_hardest_elsewhere():
    """The old version had a 1/5 exercise and a 4/5 one elsewhere; the 1/5 is replaced by its 3/5 variant."""
    steps = rules.difficulty_steps(new_items=[("Three", 3, 3, None)], old_items=[(1, 1), (11, 4)], links=LINKS)
    assert steps == [("Three", 1, 3)]
    assert rules.progression_check(old_volume=reps(10), new_volume=reps(10), difficulty_steps=steps).needs_confirmation


def test_an_unrelated_new_exercise_is_no_step_and_a_copied_one_keeps_its_origin():
    steps = rules.difficulty_steps(
        new_items=[("Eleven", 11, 5, None), ("Two", 2, 2, 1)], old_items=[(1, 1)], links=LINKS
    )
    assert steps == [("Two", 1, 2)]
