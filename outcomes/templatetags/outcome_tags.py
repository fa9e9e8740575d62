"""Template helpers for the outcome pages."""

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from outcomes import rules
from rehab.markup import esc

register = template.Library()


@register.filter
def score(value) -> str:
    """A score as people write it: 4, 3.5, 35.56 (no trailing zeros); a dash for none."""
    if value is None or value == "":
        return "–"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def signed(value) -> str:
    """A change with its sign: +2, −1.5, 0."""
    if value is None:
        return "–"
    text = score(abs(Decimal(value)))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def _label(enum, value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value


@register.filter
def timepoint_label(value: str) -> str:
    return _label(rules.Timepoint, value)


@register.filter
def risk_label(value: str) -> str:
    return _label(rules.Risk, value)


@register.simple_tag
def answer_of(measurement, question) -> str:
    """The patient's answer to a question, in the words they chose it by."""
    if question.key not in measurement.answers:
        return "Not answered yet"
    value = measurement.answers[question.key]
    if question.names:
        return "; ".join(value)
    if value is None:
        return "Skipped: does not apply"
    return dict(question.options).get(value, str(value))


@register.simple_tag
def outcome_row(group, measures, reasons, first: bool = False) -> str:
    """One row of the clinic's outcomes (a physiotherapist's, or the whole clinic's as the first), built in one step:
    as template nodes, a loop, a lookup and a filter per cell cost most of the page (measured in bench/, issue 23)."""
    cells = [f"<td>{int(group.episodes)}</td>", *(f"<td>{int(group.by_reason[value])}</td>" for value, _ in reasons)]
    for key, _name in measures:
        figures = group.measures.get(key)
        if figures:
            change = signed(figures.median_improvement)
            cells.append(f"<td>{int(figures.count)}</td><td>{change}</td><td>{int(figures.share_reached)}%</td>")
        else:
            cells.append("<td>0</td><td>–</td><td>–</td>")
    adherence = group.median_adherence
    cells.append("<td>–</td>" if adherence is None else f"<td>{int(adherence)}%</td>")
    per_episode = group.flags_per_episode
    cells.append("<td>–</td>" if per_episode is None else f"<td>{esc(per_episode)}</td>")
    row_class = ' class="table-light fw-semibold"' if first else ""
    # The name is escaped; every other value is a number or a dash.
    return mark_safe(f'<tr{row_class}><th scope="row">{esc(group.name)}</th>{"".join(cells)}</tr>')  # noqa: S308
