"""Writes about a patient's programs: a new program and its versions, built in a draft, put in force, revised
or thrown away. Keyword-only, validated, one transaction each."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from patients.models import Episode, Patient
from patients.selectors import open_episode
from rehab.models import User

from .. import rules
from ..models import Exercise, Program, ProgramExercise, ProgramTemplate, ProgramVersion
from ..selectors import flare_ups_on, progression_for, starting_warnings_for
from .library import check_dose

COPIED_FIELDS = ("exercise_id", "position", "sets", "reps", "hold_seconds", "rest_seconds", "notes")


def copy_items(items, model, *, derive: bool = False, **owner) -> None:
    """Copy ordered, dosed exercises between versions and templates; `derive` links each copy to its source."""
    model.objects.bulk_create(
        model(**owner, **{f: getattr(item, f) for f in COPIED_FIELDS}, **({"derived_from": item} if derive else {}))
        for item in items
    )


def _check_schedule(*, weekdays: list[int], sessions_per_week: int | None, start_date: date, today: date) -> None:
    errors = {}
    if weekdays and any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Choose days of the week from the list."
    if not weekdays and not sessions_per_week:
        errors["weekdays"] = "Choose the session days, or a number of sessions a week."
    if weekdays and sessions_per_week:
        errors["sessions_per_week"] = "Give session days or a number of sessions a week, not both."
    if sessions_per_week is not None and not 1 <= sessions_per_week <= 7:
        errors["sessions_per_week"] = "Sessions a week must be between 1 and 7."
    start_error = rules.start_date_error(start_date, today)
    if start_error:
        errors["start_date"] = start_error
    if errors:
        raise ValidationError(errors)


def _require_care(patient: Patient) -> None:
    """Programs are built and put in force within a course of care: not for a discharged patient."""
    if open_episode(patient) is None:
        raise ValidationError(
            f"{patient.full_name} is discharged: a new referral opens a new course of care, and a program with it."
        )


def _require_draft(version: ProgramVersion) -> None:
    if version.status != ProgramVersion.Status.DRAFT:
        raise ValidationError("Only a draft can be changed. Start a revision to change a program in force.")


@transaction.atomic
def program_create(
    *,
    patient: Patient,
    created_by: User,
    title: str,
    start_date: date,
    weekdays: list[int],
    sessions_per_week: int | None = None,
    template: ProgramTemplate | None = None,
) -> Program:
    """Start a new program for a patient as a draft (version 1), optionally from a clinic template."""
    if template is not None and template.clinic_id != patient.clinic_id:
        raise ValidationError({"template": "Choose a template of this clinic."})
    Patient.objects.select_for_update().get(pk=patient.pk)  # one new program at a time per patient
    _require_care(patient)
    if Program.objects.filter(patient=patient, status=Program.Status.DRAFT).exists():
        raise ValidationError("This patient already has a program being built: finish or discard it first.")
    if template is not None and not weekdays and not sessions_per_week:
        weekdays, sessions_per_week = list(template.weekdays), template.sessions_per_week
    weekdays = sorted(set(weekdays))
    _check_schedule(
        weekdays=weekdays,
        sessions_per_week=sessions_per_week,
        start_date=start_date,
        today=patient.clinic.local_today(),
    )
    program = Program.objects.create(
        patient=patient, title=title.strip() or "Back exercise program", created_by=created_by
    )
    version = ProgramVersion.objects.create(
        program=program,
        number=1,
        start_date=start_date,
        weekdays=weekdays,
        sessions_per_week=None if weekdays else sessions_per_week,
        created_by=created_by,
        change_note=f"Started from the template '{template.name}'." if template else "",
    )
    if template is not None:
        copy_items(template.items.all(), ProgramExercise, version=version)
    return program


@transaction.atomic
def program_set_schedule(
    *, version: ProgramVersion, title: str, start_date: date, weekdays: list[int], sessions_per_week: int | None
) -> ProgramVersion:
    _require_draft(version)
    weekdays = sorted(set(weekdays))
    program = version.program
    today = program.patient.clinic.local_today()
    _check_schedule(weekdays=weekdays, sessions_per_week=sessions_per_week, start_date=start_date, today=today)
    version.start_date = start_date
    version.weekdays = weekdays
    version.sessions_per_week = None if weekdays else sessions_per_week
    version.full_clean()
    version.save(update_fields=["start_date", "weekdays", "sessions_per_week"])
    title = title.strip()
    if title and title != program.title:
        program.title = title
        program.save(update_fields=["title"])
    return version


def lock_draft(version: ProgramVersion) -> ProgramVersion:
    version = ProgramVersion.objects.select_for_update().select_related("program__patient").get(pk=version.pk)
    _require_draft(version)
    return version


def _refuse_twice(version: ProgramVersion, exercise: Exercise) -> None:
    """An exercise appears once in a program: the check-in asks about each item, and a second set of the same
    exercise belongs in its dose."""
    if version.items.filter(exercise=exercise).exists():
        raise ValidationError(f"{exercise.name} is already in this program: change its dose instead.")


@transaction.atomic
def program_add_exercise(*, version: ProgramVersion, exercise: Exercise) -> ProgramExercise:
    """Append an exercise to a draft with the exercise's default dose."""
    version = lock_draft(version)
    if exercise.clinic_id not in (None, version.program.patient.clinic_id):
        raise ValidationError("Choose an exercise from your clinic's library.")
    _refuse_twice(version, exercise)
    last = version.items.aggregate(last=Max("position"))["last"] or 0
    item = ProgramExercise(
        version=version,
        exercise=exercise,
        position=last + 1,
        sets=exercise.sets,
        reps=exercise.reps,
        hold_seconds=exercise.hold_seconds,
        rest_seconds=exercise.rest_seconds,
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def program_update_item(
    *, item: ProgramExercise, sets: int, reps: int | None, hold_seconds: int | None, rest_seconds: int, notes: str
) -> ProgramExercise:
    lock_draft(item.version)
    check_dose(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    item.sets, item.reps, item.hold_seconds, item.rest_seconds = sets, reps, hold_seconds, rest_seconds
    item.notes = notes.strip()
    item.full_clean()
    item.save(update_fields=["sets", "reps", "hold_seconds", "rest_seconds", "notes"])
    return item


@transaction.atomic
def program_remove_item(*, item: ProgramExercise) -> None:
    version = lock_draft(item.version)
    position = item.position
    item.delete()
    version.items.filter(position__gt=position).update(position=F("position") - 1)


@transaction.atomic
def program_move_item(*, item: ProgramExercise, direction: str) -> None:
    """Swap an exercise with its neighbour above ("up") or below ("down")."""
    version = lock_draft(item.version)
    item = version.items.get(pk=item.pk)
    target = item.position - 1 if direction == "up" else item.position + 1
    neighbour = version.items.filter(position=target).first()
    if neighbour is None:
        return  # already first or last
    # The unique (version, position) constraint is checked at commit, so the swap may pass through a duplicate.
    neighbour.position, item.position = item.position, neighbour.position
    ProgramExercise.objects.bulk_update([item, neighbour], ["position"])


@transaction.atomic
def program_swap_variant(*, item: ProgramExercise, direction: str) -> ProgramExercise:
    """Replace an exercise with its easier or harder variant, at the variant's default dose."""
    lock_draft(item.version)
    variant = item.exercise.easier if direction == "easier" else item.exercise.harder
    if variant is None:
        raise ValidationError(f"{item.exercise.name} has no {direction} variant.")
    _refuse_twice(item.version, variant)
    item.exercise = variant
    item.sets, item.reps, item.hold_seconds, item.rest_seconds = (
        variant.sets,
        variant.reps,
        variant.hold_seconds,
        variant.rest_seconds,
    )
    item.full_clean()
    item.save(update_fields=["exercise", "sets", "reps", "hold_seconds", "rest_seconds"])
    return item


def checked_reason(version: ProgramVersion, progression_reason: str) -> str:
    """The reason a draft needs when the builder's checks warn (a faster step than the progression rule allows, an
    exercise above the phase's starting ceiling): refused without one; "" when none is needed."""
    check = progression_for(version)
    too_hard = starting_warnings_for(version)
    if not too_hard and (check is None or not check.needs_confirmation):
        return ""
    progression_reason = progression_reason.strip()
    if not progression_reason:
        if check is not None and check.needs_confirmation:
            message = "This revision steps up faster than the progression rule allows: give the reason."
        else:
            message = "An exercise is harder than this phase's starting ceiling: give the reason."
        raise ValidationError({"progression_reason": message})
    return progression_reason


@transaction.atomic
def program_activate(
    *, version: ProgramVersion, activated_by: User, progression_reason: str = "", change_note: str = ""
) -> ProgramVersion:
    """Put a draft version in force. A revision that grows too fast needs a confirmation reason."""
    version = lock_draft(version)
    if version.is_flare_up_plan:
        raise ValidationError("A flare-up plan is kept ready, not put in force: keep it ready instead.")
    program = version.program
    patient = program.patient
    _require_care(patient)  # _lock_draft locked the patient's row too: a discharge at the same moment waits for this
    if not version.items.exists():
        raise ValidationError("Add at least one exercise before activating the program.")
    start_error = rules.start_date_error(version.start_date, patient.clinic.local_today()) or version.past_start_error
    if start_error:
        raise ValidationError({"start_date": start_error})
    progression_reason = checked_reason(version, progression_reason)
    now = timezone.now()
    previous = program.versions.select_for_update().filter(status=ProgramVersion.Status.ACTIVE).first()
    if previous is not None:
        previous.status = ProgramVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
    # A patient has one active program: a new one replaces whichever was in force.
    for other in (
        Program.objects.select_for_update().filter(patient=patient, status=Program.Status.ACTIVE).exclude(pk=program.pk)
    ):
        other.status, other.ended_at = Program.Status.ENDED, now
        other.save(update_fields=["status", "ended_at"])
        other.versions.filter(status=ProgramVersion.Status.ACTIVE).update(
            status=ProgramVersion.Status.SUPERSEDED, superseded_at=now
        )
    version.status = ProgramVersion.Status.ACTIVE
    version.activated_by, version.activated_at = activated_by, now
    version.progression_reason = progression_reason
    if change_note.strip():
        version.change_note = change_note.strip()
    version.save(update_fields=["status", "activated_by", "activated_at", "progression_reason", "change_note"])
    if program.status != Program.Status.ACTIVE:
        program.status = Program.Status.ACTIVE
        program.save(update_fields=["status"])
    return version


@transaction.atomic
def program_revise(*, program: Program, created_by: User) -> ProgramVersion:
    """Open a new draft version of an active program, copying the version in force."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    draft = program.versions.filter(status=ProgramVersion.Status.DRAFT, kind=ProgramVersion.Kind.PROGRAM).first()
    if draft is not None:
        return draft
    return new_draft(program, current=version_to_revise(program), created_by=created_by)


def version_to_revise(program: Program) -> ProgramVersion:
    """The version in force of a program (locked by the caller), which a revision starts from."""
    current = program.versions.filter(status=ProgramVersion.Status.ACTIVE).first()
    if current is None:
        raise ValidationError("Only a program in force can be revised.")
    return current


def new_draft(
    program: Program,
    *,
    current: ProgramVersion,
    created_by: User,
    kind: str = ProgramVersion.Kind.PROGRAM,
    prepared: str = "",
    change_note: str = "",
) -> ProgramVersion:
    """A new draft version of a program (locked by the caller) copying `current`, each exercise linked to the one it
    continues: a revision, a prepared step, or a flare-up plan."""
    number = program.versions.aggregate(n=Max("number"))["n"] + 1
    today = program.patient.clinic.local_today()
    draft = ProgramVersion(
        program=program,
        number=number,
        kind=kind,
        prepared=prepared,
        start_date=max(today, current.start_date),
        weekdays=current.weekdays,
        sessions_per_week=current.sessions_per_week,
        based_on=current,
        created_by=created_by,
        change_note=change_note,
    )
    draft.full_clean(validate_constraints=False)  # the program is locked: one draft of each kind is checked above
    draft.save()
    copy_items(current.items.all(), ProgramExercise, derive=True, version=draft)
    return draft


@transaction.atomic
def program_discard_draft(*, version: ProgramVersion) -> Program | None:
    """Throw away a draft. A program that was never activated goes with it; returns the program if kept."""
    version = lock_draft(version)
    program = version.program
    version.items.all().delete()
    version.delete()
    if not program.versions.exists():
        program.delete()
        return None
    return program


def flare_ups_end_at_discharge(*, patient_id: int, by: User, now) -> int:
    """A discharged patient's flare-up in force ends today, as if ended early (rule 18): there is no program left for
    its plan to stand in for. Returns the flare-ups ended."""
    today = Patient.objects.select_related("clinic").get(pk=patient_id).clinic.local_today()
    ended = 0
    for flare_up in flare_ups_on(patient_id, today=today).select_for_update():
        flare_up.last_day = rules.flare_up_ended_last_day(starts_on=flare_up.starts_on, today=today)
        flare_up.ended_at, flare_up.ended_by = now, by
        flare_up.save(update_fields=["last_day", "ended_at", "ended_by"])
        ended += 1
    return ended


def programs_end_at_discharge(*, episode: Episode, by: User) -> int:
    """The patient is discharged: their program in force ends. Its last version stays theirs to read, as the
    program to carry on with on their own; a flare-up in force ends with it. Listed in settings.EPISODE_DISCHARGE_HOOKS,
    called in the discharge's transaction. Returns the programs ended."""
    now = timezone.now()
    ended = 0
    for program in Program.objects.select_for_update().filter(
        patient_id=episode.patient_id, status=Program.Status.ACTIVE
    ):
        program.status, program.ended_at = Program.Status.ENDED, now
        program.save(update_fields=["status", "ended_at"])
        program.versions.filter(status=ProgramVersion.Status.ACTIVE).update(
            status=ProgramVersion.Status.SUPERSEDED, superseded_at=now
        )
        ended += 1
    flare_ups_end_at_discharge(patient_id=episode.patient_id, by=by, now=now)
    return ended
