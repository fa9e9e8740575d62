from datetime import date

from django import template
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from patients import rules
from patients.rules import SYMPTOM_WORDS
from rehab.audit import label_for, object_label

register = template.Library()


@register.filter
def phase_of(patient, today):
    """The condition phase of a patient on a given day (rule 1)."""
    return rules.condition_phase(patient.onset_date, today)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


VALUE_LABELS = {
    "session_date": "Session",
    "max_pain": "Highest pain",
    "threshold": "Threshold then",
    "sharp_pain": "Sharp or intense pain",
    "symptoms": "Warning symptoms",
    "pains": "Highest pain, report by report",
    "last_session": "Last session",
    "rest_days": "Whole days without a session",
    "allowed": "Rest days allowed",
}


def _readable_date(iso: str) -> str:
    """'2026-11-23' -> 'Mon 23 Nov 2026', in the format the report list shows session dates in."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return dateformat.format(day, "D j M Y")


@register.filter
def symptom_words(values) -> str:
    """The warning symptoms a report (or a report's earlier values, as a dict) says yes to, in words."""
    return "; ".join(words for name, words in SYMPTOM_WORDS.items() if values.get(name))


@register.filter
def flag_values(values):
    """A flag's triggering values as (label, readable value) pairs."""
    rows = []
    for key, value in (values or {}).items():
        if key in ("max_pain", "threshold"):
            value = f"{value}/5"
        elif key == "symptoms":
            value = "; ".join(SYMPTOM_WORDS.get(v, v) for v in value)
        elif key == "pains":
            value = " → ".join(str(v) for v in value)
        elif key == "sharp_pain":
            value = "yes" if value else "no"
        elif key in ("session_date", "last_session") and isinstance(value, str):
            value = _readable_date(value)
        rows.append((VALUE_LABELS.get(key, key.replace("_", " ").capitalize()), value))
    return rows


@register.filter
def ago(moment, now=None):
    """'3 hours, 5 minutes ago', or 'just now' within the first minute."""
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now)} ago"


@register.filter
def audit_label(what: str) -> str:
    """An audit event's page or action in words (the URL name stays in the trail itself)."""
    return label_for(what)


@register.filter
def audit_object(event) -> str:
    """The object an audit event is about ("#12"), unless it is the patient the trail belongs to."""
    return object_label(event.what, event.object_id)


@register.simple_tag
def choice_options(field):
    """The <option>s of a single-value field with flat choices, its current value selected, in one step.

    The queue draws one outcome list per row; as template nodes they cost more than the rest of the row.
    """
    chosen = field.value()
    chosen = None if chosen is None else str(chosen)
    options = (
        f'<option value="{conditional_escape(value)}"{" selected" if str(value) == chosen else ""}>'
        f"{conditional_escape(label)}</option>"
        for value, label in field.field.choices
    )
    return mark_safe("".join(options))  # noqa: S308 - every value and label is escaped above
