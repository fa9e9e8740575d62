"""Template helpers for programs' pages."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def pain_table_rows(series: list[dict]):
    """The pain chart's figures as table rows, one per report. Built in Python: a year of reports is a
    thousand cells, which Django's template loop renders several times slower (measured in bench/)."""
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((p["label"], p["pain"], p["pain_now"], p["threshold"]) for p in series),
    )
