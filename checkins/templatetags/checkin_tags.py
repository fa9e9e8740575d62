"""Template helpers for the check-in pages."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from patients.rules import PAIN_WORDS, SYMPTOM_WORDS

register = template.Library()


@register.simple_tag
def pain_table_rows(series: list[dict]):
    """The pain chart's figures as table rows, one per report. Built in Python: a year of reports is a
    thousand cells, which Django's template loop renders several times slower (measured in bench/)."""
    rows = (
        f"<tr><td>{escape(p['label'])}</td><td>{int(p['pain'])}</td><td>{int(p['pain_now'])}</td>"
        f"<td>{int(p['threshold'])}</td></tr>"
        for p in series
    )
    return mark_safe("".join(rows))  # noqa: S308 - the label is escaped, the rest are integers


@register.filter
def symptom_words(values) -> str:
    """The warning symptoms a check-in (or a check-in's earlier values, as a dict) says yes to, in words."""
    return "; ".join(words for name, words in SYMPTOM_WORDS.items() if values.get(name))


@register.filter
def pain_words(value) -> str:
    """A pain score's words on the clinic's 0-5 scale (3: "Moderate"), shown under the number of a choice."""
    try:
        return PAIN_WORDS[int(value)]
    except (KeyError, TypeError, ValueError):
        return ""
