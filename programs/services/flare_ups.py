"""Flare-up plans and flare-ups (docs/clinical-rules.md, rule 18): the physiotherapist keeps an easier plan ready;
the patient switches to it with one tap for the clinic's number of days, the physiotherapist is told (a flag, written
by the flags app from a task queued by name on commit), either of them can end it early, and the patient then says
how it went. Keyword-only, validated, one transaction each."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from patients.selectors import open_episode
from rehab.enqueue import enqueue_on_commit
from rehab.models import User

from .. import rules
from ..models import FlareUp, Program, ProgramVersion
from ..selectors import active_version_for, flare_up_in_force
from .builder import checked_reason, lock_draft

FLAG_TASK = "flags.tasks.flag_flare_up"
DISCHARGED = (
    "Your course of care has ended, so there is no flare-up plan to switch to. Ease off for a day or two and keep "
    "moving gently; if the pain does not settle, call the clinic."
)
NO_PROGRAM = (
    "You have no exercise program in force yet, so there is no flare-up plan to switch to. If your pain worries "
    "you, call the clinic."
)


@transaction.atomic
def flare_plan_keep(
    *, version: ProgramVersion, by: User, progression_reason: str = "", change_note: str = ""
) -> ProgramVersion:
    """Keep a finished flare-up plan ready for the patient's next flare-up; the plan kept before it is replaced.
    The builder's checks apply as they do to a revision (a reason when they warn). It is never put in force as the
    program: only a flare-up does that, for its days."""
    version = lock_draft(version)
    if not version.is_flare_up_plan:
        raise ValidationError("Only a flare-up plan is kept ready: put a revision in force instead.")
    program = Program.objects.select_for_update().get(pk=version.program_id)
    if program.status != Program.Status.ACTIVE:
        raise ValidationError("This program is no longer in force: prepare a flare-up plan for the one that is.")
    if not version.items.exists():
        raise ValidationError("Add at least one exercise before keeping the plan ready.")
    reason = checked_reason(version, progression_reason)
    now = timezone.now()
    program.versions.filter(status=ProgramVersion.Status.ASIDE).update(
        status=ProgramVersion.Status.SUPERSEDED, superseded_at=now
    )
    version.status = ProgramVersion.Status.ASIDE
    version.progression_reason = reason
    if change_note.strip():
        version.change_note = change_note.strip()
    version.save(update_fields=["status", "progression_reason", "change_note"])
    return version


@transaction.atomic
def flare_up_start(*, patient: Patient) -> tuple[FlareUp, bool]:
    """The patient taps "I'm having a flare-up": their flare-up plan, if one is kept ready, is in force from today
    (the clinic's day) for the clinic's number of days, and their physiotherapist is told. Returns (flare-up,
    created). A flare-up already on is returned as it is: a second tap changes nothing and tells nobody twice."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)  # one tap at a time
    today = patient.clinic.local_today()
    current = flare_up_in_force(patient, today=today)
    if current is not None:
        return current, False
    usual = active_version_for(patient)
    if usual is None:
        raise ValidationError(DISCHARGED if open_episode(patient) is None else NO_PROGRAM)
    plan = usual.program.versions.filter(status=ProgramVersion.Status.ASIDE).first()
    last_day = rules.flare_up_last_day(starts_on=today, days=patient.clinic.flare_up_days)
    flare_up = FlareUp(
        patient=patient,
        plan=plan,
        usual=usual,
        starts_on=today,
        planned_last_day=last_day,
        last_day=last_day,
        plan_rest_days=(
            rules.planned_rest_run(weekdays=plan.weekdays, sessions_per_week=plan.sessions_per_week) if plan else None
        ),
    )
    flare_up.full_clean()
    flare_up.save()
    enqueue_on_commit(FLAG_TASK, flare_up.pk)
    return flare_up, True


@transaction.atomic
def flare_up_end(*, flare_up: FlareUp, by: User) -> FlareUp:
    """End a flare-up early (the patient feels ready, or their physiotherapist decides): the usual program is back
    from today, and the patient is asked how it went."""
    flare_up = FlareUp.objects.select_for_update().select_related("patient__clinic").get(pk=flare_up.pk)
    today = flare_up.patient.clinic.local_today()
    if not flare_up.covers(today):
        raise ValidationError("This flare-up is already over: the usual program is in force.")
    flare_up.last_day = rules.flare_up_ended_last_day(starts_on=flare_up.starts_on, today=today)
    flare_up.ended_at, flare_up.ended_by = timezone.now(), by
    flare_up.full_clean()
    flare_up.save(update_fields=["last_day", "ended_at", "ended_by"])
    return flare_up


@transaction.atomic
def flare_up_answer(*, flare_up: FlareUp, answer: str, note: str = "") -> FlareUp:
    """The patient says how their flare-up went, once it is over: a short answer their physiotherapist reads."""
    flare_up = FlareUp.objects.select_for_update().select_related("patient__clinic").get(pk=flare_up.pk)
    note = (note or "").strip()
    errors = {}
    if answer not in FlareUp.Answer.values:
        errors["answer"] = "Choose how your flare-up went."
    if len(note) > rules.FLARE_UP_NOTE_MAX:
        errors["note"] = f"Keep it under {rules.FLARE_UP_NOTE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    if flare_up.answered_at is not None:
        raise ValidationError("You have already told us how this flare-up went.")
    if flare_up.last_day >= flare_up.patient.clinic.local_today():
        raise ValidationError("Your flare-up plan is still on: tell us how it went once it is over.")
    flare_up.answer, flare_up.answer_note, flare_up.answered_at = answer, note, timezone.now()
    flare_up.full_clean()
    flare_up.save(update_fields=["answer", "answer_note", "answered_at"])
    return flare_up
