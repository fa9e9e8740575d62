"""When a patient is reminded (docs/clinical-rules.md, "Reminders and the nudge before the rest limit"): pure
functions, no database, no I/O."""

from datetime import date, time, timedelta

from flags.rules import rest_days
from programs.rules import is_planned_day

SESSION = "session"
NUDGE = "nudge"
KINDS = (SESSION, NUDGE)

DEFAULT_TIME = time(18, 0)  # in the clinic's time zone
STOP_LINK_DAYS = 60  # a stop link older than this is stale: the patient changes their reminders on My details
ENDPOINT_MAX = 2000
KEY_MAX = 200


def planned_today(*, today: date, weekdays: list[int], sessions_per_week: int | None, reported_this_week: int) -> bool:
    """Whether the schedule in force plans a session today: a fixed weekday, or, with a number of sessions a week
    and no fixed days, any day until the week's sessions are reported."""
    fixed_day = is_planned_day(today, weekdays=weekdays)
    if fixed_day is not None:
        return fixed_day
    return reported_this_week < (sessions_per_week or 0)


def session_reminder_due(
    *,
    today: date,
    local_time: time,
    reminder_time: time,
    planned: bool,
    reported_today: bool,
    paused: bool,
    in_care: bool,
    sent_today: bool,
) -> bool:
    """A reminder on a planned session day, once the patient's time has come, unless they have reported that day,
    are paused or discharged, or were reminded already."""
    return planned and in_care and not (reported_today or paused or sent_today) and local_time >= reminder_time


def nudge_due(*, last_session: date, today: date, allowed_today: int, allowed_tomorrow: int) -> bool:
    """The nudge's day: the last day a session keeps the rest flag away. The rest rule (flags.rules.rest_finding)
    does not flag the patient today, and would tomorrow if today passed without a session. The rests allowed are the
    clinic's, or a flare-up plan's while it lasts, so the two days may allow different rests (a flare-up's last day)."""
    tomorrow = today + timedelta(days=1)
    return (
        today > last_session
        and rest_days(last_session=last_session, today=today) <= allowed_today
        and rest_days(last_session=last_session, today=tomorrow) > allowed_tomorrow
    )


# --- What the reminders say ------------------------------------------------------------------------

TEXTS = {
    SESSION: {
        "subject": "Time for today's back exercises",
        "title": "Today is a session day",
        "body": "Your exercises are ready when you are. Once you have done them, tell the clinic how it went.",
        "stop": "Stop reminders on session days",
        "stopped": "You will get no more reminders on session days.",
    },
    NUDGE: {
        "subject": "A short session keeps your back moving",
        "title": "A short session today?",
        "body": (
            "You have rested for a few days. Even a short, gentle session today keeps your back moving; "
            "tell the clinic how it went afterwards."
        ),
        "stop": "Stop nudges after rest days",
        "stopped": "You will get no more nudges after rest days.",
    },
}
