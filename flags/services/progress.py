"""Progress that follows the response (docs/clinical-rules.md, rule 17), prepared for the physiotherapist: a step up
for a patient the criteria find ready, and an easier version after a pain, sharp-pain or worsening flag. Each is a
draft made by the programs app's revision machinery; nothing is put in force here."""

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import Patient
from programs.models import Program, ProgramVersion
from programs.services import program_prepare_ease_off, program_prepare_step_up
from rehab.models import User

from .. import rules
from ..models import Flag
from ..progress import progress_verdict_for


@transaction.atomic
def patient_prepare_step_up(*, patient: Patient, by: User) -> ProgramVersion:
    """A draft one step up for a patient who is ready to progress, the evidence recorded as its reason. The criteria
    are checked again here, not taken from the page: a patient who no longer meets them (a check-in arrived since)
    is refused, and nothing is stored."""
    patient = Patient.objects.select_for_update().select_related("clinic", "user").get(pk=patient.pk)
    found = progress_verdict_for(patient=patient)
    if found is None:
        raise ValidationError(f"{patient.full_name} has no program in force to step up.")
    version, verdict = found
    if not verdict.ready:
        raise ValidationError(
            f"{patient.full_name} no longer meets the criteria for a step up: {verdict.unmet}. Nothing was prepared."
        )
    return program_prepare_step_up(
        program=version.program, created_by=by, why=f"ready to progress ({verdict.evidence})"
    )


@transaction.atomic
def flag_prepare_ease_off(*, flag: Flag, by: User) -> ProgramVersion:
    """A draft easier than the program in force, offered on the page of a pain, sharp-pain or worsening flag."""
    if flag.reason not in rules.EASE_OFF_REASONS:
        raise ValidationError("An easier version is prepared after a pain, sharp-pain or worsening flag.")
    if not flag.is_open:
        raise ValidationError("This flag is resolved: revise the program from its page instead.")
    program = Program.objects.filter(patient_id=flag.patient_id, status=Program.Status.ACTIVE).first()
    if program is None:
        raise ValidationError("The patient has no program in force to ease off.")
    raised = flag.opened_at.astimezone(flag.patient.clinic.tzinfo)
    why = f"after the flag “{flag.get_reason_display()}” raised {raised:%a} {raised.day} {raised:%b}"
    return program_prepare_ease_off(program=program, created_by=by, why=why)
