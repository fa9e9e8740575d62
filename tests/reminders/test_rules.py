"""The reminder rules on their own, and the set-based queries checked against them day by day."""

from datetime import date, time, timedelta

import pytest

from reminders import rules, services
from reminders.models import ReminderSent
from tests.helpers import send_checkin

from .conftest import at, recent_weekday

MONDAY = date(2026, 11, 16)


@pytest.mark.parametrize(
    ("day", "weekdays", "per_week", "reported", "expected"),
    [
        (MONDAY, [0, 3], None, 0, True),
        (MONDAY + timedelta(days=1), [0, 3], None, 0, False),
        (MONDAY + timedelta(days=3), [0, 3], None, 5, True),  # fixed days do not count the week's sessions
        (MONDAY + timedelta(days=4), [], 3, 2, True),
        (MONDAY + timedelta(days=4), [], 3, 3, False),
        (MONDAY, [], None, 0, False),  # nothing planned
    ],
)
def test_planned_today(day, weekdays, per_week, reported, expected):
    assert (
        rules.planned_today(today=day, weekdays=weekdays, sessions_per_week=per_week, reported_this_week=reported)
        is expected
    )


def test_session_reminder_due():
    due = {
        "today": MONDAY,
        "local_time": time(18),
        "reminder_time": time(18),
        "planned": True,
        "reported_today": False,
        "paused": False,
        "in_care": True,
        "sent_today": False,
    }
    assert rules.session_reminder_due(**due)
    for change in (
        {"local_time": time(17, 59)},
        {"planned": False},
        {"reported_today": True},
        {"paused": True},
        {"in_care": False},
        {"sent_today": True},
    ):
        assert not rules.session_reminder_due(**due | change), change


@pytest.mark.parametrize(
    ("days_after", "allowed_today", "allowed_tomorrow", "expected"),
    [
        (1, 2, 2, False),
        (2, 2, 2, False),
        (3, 2, 2, True),  # two whole days rested; a third without a session is flagged tomorrow
        (4, 2, 2, False),  # flagged already
        (3, 6, 6, False),  # a flare-up plan allows six
        (5, 6, 2, True),  # the flare-up's last day: the clinic's two are back tomorrow
        (7, 6, 6, True),
        (8, 6, 6, False),
        (0, 2, 2, False),
    ],
)
def test_nudge_due(days_after, allowed_today, allowed_tomorrow, expected):
    assert (
        rules.nudge_due(
            last_session=MONDAY,
            today=MONDAY + timedelta(days=days_after),
            allowed_today=allowed_today,
            allowed_tomorrow=allowed_tomorrow,
        )
        is expected
    )


def test_the_queries_agree_with_the_rules_day_by_day(db, build):
    """A fortnight of runs at 19:00 for a patient of Mondays and Thursdays whose last session was on a Monday: the
    session reminders and the nudges sent are exactly the days the rules name."""
    patient, version = build(weekdays=[0, 3])
    monday = recent_weekday(patient.clinic, 0)
    send_checkin(version, days_ago=(patient.clinic.local_today() - monday).days)
    zone = patient.clinic.time_zone
    for offset in range(1, 15):
        day = monday + timedelta(days=offset)
        services.reminders_send_sessions(now=at(zone, day, 19))
        services.reminders_send_nudges(now=at(zone, day, 19))
    sent = set(ReminderSent.objects.values_list("kind", "local_date"))
    expected = {
        ("session", monday + timedelta(days=offset))
        for offset in range(1, 15)
        if rules.planned_today(
            today=monday + timedelta(days=offset), weekdays=[0, 3], sessions_per_week=None, reported_this_week=0
        )
    }
    nudge_days = [
        monday + timedelta(days=offset)
        for offset in range(1, 15)
        if rules.nudge_due(
            last_session=monday, today=monday + timedelta(days=offset), allowed_today=2, allowed_tomorrow=2
        )
    ]
    assert nudge_days == [monday + timedelta(days=3)]
    assert sent == expected | {("nudge", day) for day in nudge_days}
