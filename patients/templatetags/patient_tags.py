from django import template

from patients import rules

register = template.Library()


@register.filter
def phase_of(patient, today):
    """The condition phase of a patient on a given day (rule 1)."""
    return rules.condition_phase(patient.onset_date, today)
