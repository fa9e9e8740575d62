from datetime import date, timedelta

import pytest

from checkins import rules


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


def test_pain_by_week_from_the_start_of_a_course_of_care():
    from checkins.rules import pain_by_week

    start = date(2026, 3, 2)
    points = [(date(2026, 3, 2), 3), (date(2026, 3, 4), 2), (date(2026, 3, 16), 1), (date(2026, 3, 20), 0)]
    assert pain_by_week(points, start=start) == [
        {"week": 1, "from": date(2026, 3, 2), "checkins": 2, "average": 2.5},
        {"week": 3, "from": date(2026, 3, 16), "checkins": 2, "average": 0.5},
    ]
    assert pain_by_week([], start=start) == []


@pytest.mark.parametrize(
    ("days", "words"), [(7, "week"), (14, "two weeks"), (28, "four weeks"), (10, "10 days"), (1, "1 day")]
)
def test_span_words_say_a_span_as_a_patient_would(days, words):
    from checkins.rules import span_words

    assert span_words(days) == words


def test_adherence_words_name_the_window_they_cover():
    from checkins.rules import ADHERENCE_WINDOW_DAYS, adherence_words, span_words

    words = adherence_words(reported=9, planned=10, percent=90, since=None)
    assert words.startswith(f"Over the last {span_words(ADHERENCE_WINDOW_DAYS)}, you reported 9 of the 10 sessions")


def test_adherence_over_versions_each_until_the_next_and_none_started_after_the_end():
    day = date(2026, 3, 2)  # a Monday
    at = lambda n: day + timedelta(days=n)  # noqa: E731
    every_day, mondays = [0, 1, 2, 3, 4, 5, 6], [0]
    versions = [
        (at(0), every_day, None),  # days 0-6 (until the next one's start)
        (at(20), mondays, None),  # put in force next, but starts after the end: no part
        (at(7), mondays, None),  # days 7-9: one Monday
    ]
    figures = rules.adherence_over_versions(
        versions=versions, start=at(0), end=at(9), reported_days=[at(1), at(1), at(7), at(15)], paused_days={at(3)}
    )
    assert figures == {"reported": 2, "planned": 7, "percent": 29}  # 6 days + 1 Monday; day 15 is after the end
