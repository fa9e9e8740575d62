"""Drafts prepared for the physiotherapist (docs/clinical-rules.md, rule 17): a step up for a patient ready to
progress, an easier version after a pain flag, and the starting point of a flare-up plan. Each is an ordinary draft
made through the revision machinery, so the builder's checks and the reason at activation apply; nothing is put in
force here."""

from django.core.exceptions import ValidationError
from django.db import transaction

from rehab.models import User

from .. import rules
from ..models import Exercise, Program, ProgramExercise, ProgramVersion
from .builder import new_draft, version_to_revise
from .library import check_dose

NOTE_MAX = ProgramVersion._meta.get_field("change_note").max_length


def _variant(exercise: Exercise | None) -> rules.Variant | None:
    if exercise is None:
        return None
    return rules.Variant(exercise.pk, exercise.name, exercise.difficulty, exercise.dose)


def step_items(version: ProgramVersion) -> list[rules.StepItem]:
    """A version's exercises in order, with their variants, as the prepared steps see them: one query."""
    items = version.items.select_related("exercise__easier", "exercise__harder").order_by("position")
    return [
        rules.StepItem(
            item_id=item.pk,
            name=item.exercise.name,
            exercise_id=item.exercise_id,
            difficulty=item.exercise.difficulty,
            dose=item.dose,
            easier=_variant(item.exercise.easier),
            harder=_variant(item.exercise.harder),
        )
        for item in items
    ]


def _note(why: str, changes: list[rules.StepChange], items: list[rules.StepItem], sessions: int) -> str:
    """The draft's "what changed": why it was prepared, then each change, then the weekly volume in the progression
    rule's words; a long list is cut short, never the why."""
    doses = {item.item_id: item.dose for item in items}
    old = rules.weekly_volume(doses.values(), sessions)
    new = rules.weekly_volume({**doses, **{change.item_id: change.dose for change in changes}}.values(), sessions)
    volume = "; ".join(change.words for change in rules.volume_changes(old, new, 100))
    note = (
        f"{why.strip().rstrip('.')}. "
        + "; ".join(change.words for change in changes)
        + (f". Weekly volume: {volume}." if volume else ".")
    )
    return note if len(note) <= NOTE_MAX else note[: NOTE_MAX - 1] + "…"


def _apply(draft: ProgramVersion, changes: list[rules.StepChange]) -> None:
    """Set each changed exercise of a new draft (its copy of the item the change names) to its new exercise and dose."""
    items = {item.derived_from_id: item for item in draft.items.all()}
    changed = []
    for change in changes:
        item = items[change.item_id]
        item.exercise_id = change.exercise_id
        item.sets, item.reps, item.hold_seconds = change.dose.sets, change.dose.reps, change.dose.hold_seconds
        check_dose(sets=item.sets, reps=item.reps, hold_seconds=item.hold_seconds, rest_seconds=item.rest_seconds)
        item.full_clean(exclude=["version", "exercise", "derived_from"], validate_constraints=False)
        changed.append(item)
    ProgramExercise.objects.bulk_update(changed, ["exercise", "sets", "reps", "hold_seconds"])


def _lock_for_draft(program: Program, kind: str) -> tuple[Program, ProgramVersion]:
    """Lock the program; refuse when a draft of this kind is already being built (it is never overwritten)."""
    program = Program.objects.select_for_update().select_related("patient__clinic").get(pk=program.pk)
    if program.versions.filter(status=ProgramVersion.Status.DRAFT, kind=kind).exists():
        if kind == ProgramVersion.Kind.FLARE_UP:
            raise ValidationError("A flare-up plan is already being built: open it in the builder, or discard it.")
        raise ValidationError(
            "A revision of this program is already being built: open it in the builder, or discard it, first."
        )
    return program, version_to_revise(program)


@transaction.atomic
def program_prepare_step_up(*, program: Program, created_by: User, why: str) -> ProgramVersion:
    """A draft one step up from the version in force, within the progression rule and the phase's starting ceiling
    (rules.step_up), with `why` (the evidence that the patient is ready) and the changes as its note. The caller has
    checked that the patient is ready; the physiotherapist edits and puts it in force as any revision."""
    program, current = _lock_for_draft(program, ProgramVersion.Kind.PROGRAM)
    patient = program.patient
    items = step_items(current)
    changes = rules.step_up(
        items=items,
        sessions_per_week=current.planned_sessions_per_week,
        max_increase_percent=patient.clinic.progression_percent,
        ceiling=rules.STARTING_CEILING[patient.phase()],
    )
    if not changes:
        raise ValidationError(
            "Nothing in this program can step up within the progression rule (every exercise is at its hardest "
            "variant for this phase, or at its highest dose): build the next step by hand."
        )
    draft = new_draft(
        program,
        current=current,
        created_by=created_by,
        prepared=ProgramVersion.Prepared.STEP_UP,
        change_note=_note(f"Prepared step up: {why}", changes, items, current.planned_sessions_per_week),
    )
    _apply(draft, changes)
    return draft


def _easier_draft(program: Program, current: ProgramVersion, *, created_by: User, kind: str, why: str, **extra):
    items = step_items(current)
    changes = rules.ease_off(items=items, share_percent=program.patient.clinic.ease_off_percent)
    if not changes:
        raise ValidationError(
            "Nothing in this program can be made easier (every exercise is at its easiest variant and lowest dose): "
            "build the easier version by hand."
        )
    draft = new_draft(
        program,
        current=current,
        created_by=created_by,
        kind=kind,
        change_note=_note(why, changes, items, current.planned_sessions_per_week),
        **extra,
    )
    _apply(draft, changes)
    return draft


@transaction.atomic
def program_prepare_ease_off(*, program: Program, created_by: User, why: str) -> ProgramVersion:
    """A draft easier than the version in force (rules.ease_off: easier variants, or the dose down by the clinic's
    share), after a pain, sharp-pain or worsening flag; `why` names the flag."""
    program, current = _lock_for_draft(program, ProgramVersion.Kind.PROGRAM)
    return _easier_draft(
        program,
        current,
        created_by=created_by,
        kind=ProgramVersion.Kind.PROGRAM,
        why=f"Prepared easier version: {why}",
        prepared=ProgramVersion.Prepared.EASE_OFF,
    )


@transaction.atomic
def flare_plan_prepare(*, program: Program, created_by: User) -> ProgramVersion:
    """Start a flare-up plan for the program in force: a draft of its own kind, easier than the version in force
    (as an eased-off version is), for the physiotherapist to finish in the builder and keep ready."""
    program, current = _lock_for_draft(program, ProgramVersion.Kind.FLARE_UP)
    return _easier_draft(
        program,
        current,
        created_by=created_by,
        kind=ProgramVersion.Kind.FLARE_UP,
        why=f"Flare-up plan, easier than version {current.number}",
    )
