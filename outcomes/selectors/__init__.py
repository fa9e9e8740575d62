"""Every non-trivial read about outcome measures, one module per part; the names are importable from here."""

from .clinic import CLINIC, clinic_outcomes, episode_summary
from .results import (
    due_questionnaires,
    intake_risk,
    measure_results,
    named_activities,
    open_questionnaires,
    own_questionnaire,
    questionnaires_visible_to,
    questions_of,
    start_of,
)
from .schedule import Schedule, asked_at, instruments_for, schedule_for, schedules_for

__all__ = [
    "CLINIC",
    "Schedule",
    "asked_at",
    "clinic_outcomes",
    "due_questionnaires",
    "episode_summary",
    "instruments_for",
    "intake_risk",
    "measure_results",
    "named_activities",
    "open_questionnaires",
    "own_questionnaire",
    "questionnaires_visible_to",
    "questions_of",
    "schedule_for",
    "schedules_for",
    "start_of",
]
