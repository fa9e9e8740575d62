"""Template helpers for the patients' pages."""

from django import template

from patients import rules
from rehab.audit import label_for, object_label

register = template.Library()


@register.filter
def phase_of(patient, today):
    """The condition phase of a patient on a given day."""
    return rules.condition_phase(patient.onset_date, today)


@register.filter
def audit_label(what: str) -> str:
    """An audit event's page or action in words (the URL name stays in the trail itself)."""
    return label_for(what)


@register.filter
def audit_object(event) -> str:
    """The object an audit event is about ("#12"), unless it is the patient the trail belongs to."""
    return object_label(event.what, event.object_id)
