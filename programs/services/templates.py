"""Writes about a clinic's program templates."""

from django.core.exceptions import ValidationError
from django.db import transaction

from rehab.models import User

from ..models import ProgramTemplate, ProgramVersion, TemplateExercise
from .builder import copy_items


@transaction.atomic
def template_create_from_version(
    *, version: ProgramVersion, created_by: User, name: str, description: str = ""
) -> ProgramTemplate:
    clinic_id = version.program.patient.clinic_id
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    if ProgramTemplate.objects.filter(clinic_id=clinic_id, name__iexact=name).exists():
        raise ValidationError({"name": "Your clinic already has a template with this name."})
    items = list(version.items.all())
    if not items:
        raise ValidationError("A template needs at least one exercise.")
    template = ProgramTemplate(
        clinic_id=clinic_id,
        name=name,
        description=description.strip(),
        weekdays=version.weekdays,
        sessions_per_week=version.sessions_per_week,
        created_by=created_by,
    )
    template.full_clean()
    template.save()
    copy_items(items, TemplateExercise, template=template)
    return template
