from datetime import date, timedelta

import pytest

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
    ("dose", "units"),
    [(Dose(2, 10, None), 20), (Dose(3, None, 30), 90), (Dose(2, 8, 5), 80), (Dose(1, 1, None), 1)],
)
def test_dose_units(dose, units):
    assert dose.units == units


def test_weekly_volume():
    assert rules.weekly_volume([Dose(2, 10, None), Dose(3, None, 30)], sessions=3) == 3 * (20 + 90)


@pytest.mark.parametrize(
    ("old", "new", "warns"),
    [
        (100, 100, False),
        (100, 110, False),  # exactly 10% passes
        (100, 111, True),  # just over warns
        (1000, 1100, False),
        (1000, 1101, True),
        (100, 50, False),  # less volume never warns
        (0, 50, False),  # nothing to compare with
    ],
)
def test_progression_volume_boundary(old, new, warns):
    check = rules.progression_check(old_volume=old, new_volume=new)
    assert (check.volume_warning is not None) is warns
    assert check.needs_confirmation is warns


def test_progression_custom_percentage():
    assert not rules.progression_check(old_volume=100, new_volume=120, max_increase_percent=20).needs_confirmation
    assert rules.progression_check(old_volume=100, new_volume=121, max_increase_percent=20).needs_confirmation


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
    check = rules.progression_check(old_volume=100, new_volume=100, difficulty_steps=steps)
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


def test_planned_day():
    monday = date(2026, 11, 23)
    assert rules.is_planned_day(monday, weekdays=[0, 2]) is True
    assert rules.is_planned_day(monday, weekdays=[1]) is False
    assert rules.is_planned_day(monday) is None


# --- Flag rules ----------------------------------------------------------------------------------

NO_SYMPTOMS = {"bladder_bowel": False, "saddle_numbness": False, "leg_weakness": False}


def reasons(**kwargs):
    args = {"max_pain": 1, "sharp_pain": False, "symptoms": NO_SYMPTOMS, "threshold": 2, "recent_pains": ()}
    args.update(kwargs)
    return [f.reason for f in rules.report_findings(**args)]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"max_pain": 2, "threshold": 2}, []),  # equal to the threshold: no flag
        ({"max_pain": 3, "threshold": 2}, ["pain"]),  # one over: flag
        ({"max_pain": 0, "threshold": 0}, []),
        ({"max_pain": 1, "threshold": 0}, ["pain"]),
        ({"max_pain": 5, "threshold": 4}, ["pain"]),
        ({"sharp_pain": True, "max_pain": 0}, ["sharp_pain"]),  # whatever the number
        ({"symptoms": NO_SYMPTOMS | {"leg_weakness": True}}, ["warning_symptoms"]),
        (
            {"symptoms": NO_SYMPTOMS | {"bladder_bowel": True}, "max_pain": 4, "sharp_pain": True},
            ["warning_symptoms", "pain", "sharp_pain"],
        ),
        ({"recent_pains": (1, 2, 3), "max_pain": 3, "threshold": 2}, ["pain", "worsening"]),
        ({"recent_pains": (1, 2, 2), "max_pain": 2, "threshold": 1}, ["pain"]),  # not strictly rising
        ({"recent_pains": (0, 1, 2), "max_pain": 2, "threshold": 2}, []),  # rising but last not above
        ({"recent_pains": (2, 3), "max_pain": 3, "threshold": 2}, ["pain"]),  # only two reports
        ({"recent_pains": (5, 1, 2, 3), "max_pain": 3, "threshold": 2}, ["pain", "worsening"]),
    ],
)
def test_report_findings(kwargs, expected):
    assert reasons(**kwargs) == expected


def test_findings_explain_values():
    (finding,) = rules.report_findings(
        max_pain=4, sharp_pain=False, symptoms=NO_SYMPTOMS, threshold=2, session_date=date(2026, 11, 20)
    )
    assert finding.values == {"session_date": "2026-11-20", "max_pain": 4, "threshold": 2}
    assert "4/5 is above the threshold of 2/5" in finding.explanation


@pytest.mark.parametrize(
    ("last", "today", "paused", "allowed", "flag"),
    [
        (date(2026, 11, 16), date(2026, 11, 19), False, 2, False),  # Tue, Wed: exactly two whole days
        (date(2026, 11, 16), date(2026, 11, 20), False, 2, True),  # Tue, Wed, Thu: three
        (date(2026, 11, 16), date(2026, 11, 20), True, 2, False),  # paused
        (date(2026, 11, 16), date(2026, 11, 20), False, 3, False),  # a clinic allowing 3 rest days
        (date(2026, 11, 16), date(2026, 11, 21), False, 3, True),
        (date(2026, 11, 16), date(2026, 11, 16), False, 2, False),  # reported today
    ],
)
def test_rest_rule(last, today, paused, allowed, flag):
    finding = rules.rest_finding(last_session=last, today=today, paused=paused, rest_days_allowed=allowed)
    assert (finding is not None) is flag
    assert (last <= rules.rest_cutoff(today=today, rest_days_allowed=allowed)) is (flag or paused)


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        ((4, 2, False), (2, 2, False), "highest pain 4 → 2 out of 5."),
        ((1, 0, False), (1, 0, True), "sharp pain now reported."),
        ((3, 1, True), (3, 1, False), "sharp pain no longer reported."),
        ((3, 1, False), (3, 1, False), "the figures did not change."),
        ((0, 0, False, True), (0, 0, False, False), "new weakness in both legs no longer reported."),
        ((2, 1, False), (2, 1, False, False, True), "numbness between the legs now reported."),
    ],
)
def test_correction_explanation(before, after, said):
    day = date(2026, 11, 23)
    keys = ("max_pain", "pain_now", "sharp_pain", "leg_weakness", "saddle_numbness")
    text = rules.correction_explanation(
        previous=dict(zip(keys, before, strict=False)) | {"session_date": day.isoformat()},
        current=dict(zip(keys, after, strict=False)) | {"session_date": day},
    )
    assert text == f"The patient corrected the report of Mon 23 Nov: {said}"


MON = date(2026, 11, 16)  # a Monday


@pytest.mark.parametrize(
    ("reported", "paused", "schedule", "expected"),
    [
        # Mon/Wed/Fri over two weeks: 6 planned; two reports on one day count once.
        ([MON, MON, MON + timedelta(days=2)], [], {"weekdays": [0, 2, 4]}, (2, 6, 33)),
        # A report before the span (an earlier program's) or after it does not count.
        ([MON - timedelta(days=1), MON + timedelta(days=14)], [], {"weekdays": [0, 2, 4]}, (0, 6, 0)),
        # The first week paused: 3 planned, 3 reported.
        ([MON + timedelta(days=d) for d in (7, 9, 11)], range(7), {"weekdays": [0, 2, 4]}, (3, 3, 100)),
        # More reports than planned is still 100%.
        ([MON + timedelta(days=d) for d in range(14)], [], {"weekdays": [0]}, (14, 2, 100)),
        # 3 a week on any days: 6 planned over two weeks.
        ([MON], [], {"sessions_per_week": 3}, (1, 6, 17)),
        # Every day paused: nothing planned, so no percentage.
        ([], range(14), {"weekdays": [0, 2, 4]}, (0, 0, None)),
    ],
)
def test_adherence(reported, paused, schedule, expected):
    result = rules.adherence(
        start=MON,
        end=MON + timedelta(days=13),
        reported_days=reported,
        paused_days=frozenset(MON + timedelta(days=d) for d in paused),
        **schedule,
    )
    assert (result["reported"], result["planned"], result["percent"]) == expected


@pytest.mark.parametrize(
    ("handled", "now", "worse"),
    [
        ({"max_pain": 4}, {"max_pain": 4}, False),
        ({"max_pain": 4}, {"max_pain": 3}, False),
        ({"max_pain": 4}, {"max_pain": 5}, True),
        ({"symptoms": ["leg_weakness"]}, {"symptoms": ["leg_weakness"]}, False),
        ({"symptoms": ["leg_weakness", "bladder_bowel"]}, {"symptoms": ["bladder_bowel"]}, False),
        ({"symptoms": ["leg_weakness"]}, {"symptoms": ["leg_weakness", "saddle_numbness"]}, True),
        ({"sharp_pain": True, "max_pain": 2}, {"sharp_pain": True, "max_pain": 2}, False),
    ],
)
def test_a_corrected_report_is_flagged_again_only_when_worse(handled, now, worse):
    finding = rules.Finding("pain", "Rule", "Why", now)
    assert rules.worse_than_handled(handled=handled, finding=finding) is worse
