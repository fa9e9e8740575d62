"""When outcome questionnaires are asked (docs/clinical-rules.md, rule 20)."""

from datetime import date, timedelta
from enum import StrEnum

# --- When questionnaires are asked -------------------------------------------------------------------------


class Timepoint(StrEnum):
    INTAKE = "intake"
    FOLLOW_UP = "follow_up"
    DISCHARGE = "discharge"

    @property
    def label(self) -> str:
        return {"intake": "At the start", "follow_up": "Follow-up", "discharge": "At discharge"}[self.value]


DEFAULT_FOLLOW_UP_WEEKS = 4  # a follow-up questionnaire every 4 weeks of a course of care, unless the clinic says
FOLLOW_UP_WEEKS_MIN, FOLLOW_UP_WEEKS_MAX = 1, 26
# What a clinic that has not chosen asks, and when: (at intake, at follow-ups, at discharge) per instrument key.
DEFAULT_SCHEDULE = {
    "psfs": (True, True, True),
    "pain-week": (True, True, True),
    "grc": (False, False, True),
}


def follow_up_after(day: date, *, weeks: int) -> date:
    """The day the next follow-up questionnaire comes due after one due (or the intake) on `day`."""
    return day + timedelta(weeks=weeks)


def next_follow_up_on(*, start: date, today: date, weeks: int) -> date:
    """For a course of care that started on `start` and has no follow-up planned: the first day, on the schedule
    counted from its start, that is today or later (never the start itself)."""
    interval = timedelta(weeks=weeks)
    steps = max(1, -(-(today - start).days // interval.days))  # ceiling division
    return start + steps * interval
