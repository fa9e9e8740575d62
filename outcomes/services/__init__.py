"""Every write about outcome measures, one module per part; the names are importable from here."""

from .answers import questionnaire_answer, questionnaire_send
from .instruments import instrument_load, schedule_update
from .schedule import questionnaires_at_discharge, questionnaires_make_due, questionnaires_open_episode

__all__ = [
    "instrument_load",
    "questionnaire_answer",
    "questionnaire_send",
    "questionnaires_at_discharge",
    "questionnaires_make_due",
    "questionnaires_open_episode",
    "schedule_update",
]
