"""Template helpers for programs' pages."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

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
