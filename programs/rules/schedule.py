"""Rule 13, frequency: when sessions are planned, how long the rests between them run, and the schedule in words.
Pure: plain values in, plain values out."""

import math
from collections.abc import Iterable, Sequence
from datetime import date

DAYS_IN_WEEK = 7
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def longest_rest_run(weekdays: Iterable[int]) -> int:
    """The longest run of consecutive rest days when sessions fall on `weekdays` (0 = Monday) every week."""
    days = sorted(set(weekdays))
    if not days:
        return DAYS_IN_WEEK
    # The gap after each session day up to the next one, wrapping round into the next week.
    return max((days[(i + 1) % len(days)] - day - 1) % DAYS_IN_WEEK for i, day in enumerate(days))


def longest_rest_run_per_week(sessions_per_week: int) -> int:
    """The shortest possible longest rest run with that many sessions spread evenly over a week."""
    if sessions_per_week <= 0:
        return DAYS_IN_WEEK
    return math.ceil((DAYS_IN_WEEK - min(sessions_per_week, DAYS_IN_WEEK)) / sessions_per_week)


def frequency_warning(
    *, weekdays: Sequence[int] = (), sessions_per_week: int | None = None, rest_days_allowed: int
) -> str | None:
    """A warning when the schedule plans more rest days in a row than the clinic's rest rule allows (rule 13 against
    rule 7), else None."""
    days = f"{rest_days_allowed} rest day{'s' if rest_days_allowed != 1 else ''}"
    if weekdays:
        run = longest_rest_run(weekdays)
        if run > rest_days_allowed:
            return (
                f"This schedule leaves {run} rest days in a row. Resting more than {days} tends to make back pain "
                "worse, and the patient will be flagged for it: spread the sessions out."
            )
        return None
    if sessions_per_week is not None:
        run = longest_rest_run_per_week(sessions_per_week)
        if run > rest_days_allowed:
            return (
                f"With {sessions_per_week} session{'s' if sessions_per_week != 1 else ''} a week there will be "
                f"at least {run} rest days in a row, and the patient is flagged after more than {days}: plan more "
                "sessions a week."
            )
    return None


def planned_rest_run(*, weekdays: Sequence[int] = (), sessions_per_week: int | None = None) -> int:
    """The longest run of rest days a schedule plans: fixed weekdays, or a number of sessions spread evenly."""
    if weekdays:
        return longest_rest_run(weekdays)
    return longest_rest_run_per_week(sessions_per_week or 0)


def sessions_per_week(*, weekdays: Sequence[int] = (), sessions_per_week: int | None = None) -> int:
    return len(set(weekdays)) if weekdays else (sessions_per_week or 0)


def is_planned_day(day: date, *, weekdays: Sequence[int] = ()) -> bool | None:
    """Whether `day` is a planned session day; None when the schedule is a count per week."""
    if not weekdays:
        return None
    return day.weekday() in set(weekdays)


def describe_schedule(*, weekdays: Sequence[int] = (), sessions_per_week: int | None = None) -> str:
    if weekdays:
        return ", ".join(WEEKDAY_NAMES[d] for d in sorted(set(weekdays)))
    if sessions_per_week:
        return f"{sessions_per_week} session{'s' if sessions_per_week != 1 else ''} a week, on days of your choice"
    return "No schedule set"
