"""Template helpers for the flag pages."""

from datetime import date

from django import template

from patients.rules import SYMPTOM_WORDS
from rehab.markup import date_format

register = template.Library()

VALUE_LABELS = {
    "session_date": "Session",
    "max_pain": "Highest pain",
    "pain_now": "Pain after the session",
    "reported_on": "Reported without a session",
    "note": "The patient's note",
    "threshold": "Threshold then",
    "sharp_pain": "Sharp or intense pain",
    "symptoms": "Warning symptoms",
    "pains": "Highest pain, report by report",
    "last_session": "Last session",
    "rest_days": "Whole days without a session",
    "allowed": "Rest days allowed",
    "measure": "Outcome measure",
    "completed_on": "Questionnaire answered",
    "baseline": "Score at the start",
    "score": "Score now",
    "worse_by": "Worse by",
    "mcid": "Smallest change that matters",
    "started_on": "Flare-up from",
    "until": "Flare-up plan until",
    "plan": "Flare-up plan",
}


def _readable_date(iso: str) -> str:
    """'2026-11-23' -> 'Mon 23 Nov 2026', in the format the check-in list shows session dates in."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return date_format(day, "D j M Y")


DATES = ("session_date", "last_session", "reported_on", "completed_on", "started_on", "until")


@register.filter
def flag_values(values):
    """A flag's triggering values as (label, readable value) pairs."""
    rows = []
    for key, value in (values or {}).items():
        if key in ("max_pain", "pain_now", "threshold"):
            value = f"{value}/5"
        elif key == "symptoms":
            value = "; ".join(SYMPTOM_WORDS.get(v, v) for v in value)
        elif key == "pains":
            value = " → ".join(str(v) for v in value)
        elif key == "sharp_pain":
            value = "yes" if value else "no"
        elif key in DATES and isinstance(value, str):
            value = _readable_date(value)
        rows.append((VALUE_LABELS.get(key, key.replace("_", " ").capitalize()), value))
    return rows
