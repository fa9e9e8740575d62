"""Template helpers for the outcome pages."""

from decimal import Decimal

from django import template

from outcomes import rules

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
