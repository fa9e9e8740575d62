"""Pure rules about the steps prepared for the physiotherapist (docs/clinical-rules.md, rule 17): a step up when a
patient is ready to progress, an easier version after a pain flag or as a flare-up plan; and a flare-up's days
(rule 18). No ORM and no I/O; nothing here is applied without the physiotherapist."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from . import (
    HOLD_MAX,
    HOLD_MIN,
    MAX_DIFFICULTY_STEP,
    REPS_MAX,
    REPS_MIN,
    Dose,
    weekly_volume,
    within_progression,
)

# --- Rule 17: the steps prepared for the physiotherapist -------------------------------------

STEP_UP_VARIANTS = 2  # a prepared step up moves at most this many exercises to their harder variant
HOLD_STEP = 5  # seconds: a prepared step up lengthens a hold this much at a time (repetitions go up one at a time)


@dataclass(frozen=True)
class Variant:
    """An easier or harder variant of an exercise, with its default dose."""

    exercise_id: int
    name: str
    difficulty: int
    dose: Dose


@dataclass(frozen=True)
class StepItem:
    """An exercise of the version in force, as a prepared step sees it."""

    item_id: int
    name: str
    exercise_id: int
    difficulty: int
    dose: Dose
    easier: Variant | None = None
    harder: Variant | None = None


@dataclass(frozen=True)
class StepChange:
    """What a prepared step does to one exercise: the exercise it becomes (maybe itself) at which dose, in words."""

    item_id: int
    exercise_id: int
    dose: Dose
    words: str


def _variant_dose(current: Dose, variant: Variant) -> Dose:
    """A variant keeps the patient's dose when it counts the same way; otherwise it starts at its own default."""
    return current if current.same_measure(variant.dose) else variant.dose


def _more_work(dose: Dose, *, than: Dose) -> bool:
    """Whether `dose` asks more of the patient a week than `than` does, in any measure."""
    return weekly_volume([dose], 1).more_than(weekly_volume([than], 1))


def _one_step_more(dose: Dose) -> Dose | None:
    if dose.reps is not None and dose.reps < REPS_MAX:
        return Dose(dose.sets, dose.reps + 1, dose.hold_seconds)
    if dose.hold_seconds is not None and dose.hold_seconds + HOLD_STEP <= HOLD_MAX:
        return Dose(dose.sets, dose.reps, dose.hold_seconds + HOLD_STEP)
    return None


def step_up(
    *, items: Sequence[StepItem], sessions_per_week: int, max_increase_percent: int, ceiling: int
) -> list[StepChange]:
    """A step up that stays within the progression rule (rule 12) and the starting ceiling (rule 16): the next harder
    variant of up to STEP_UP_VARIANTS exercises, the easiest first, each exactly one difficulty level up, no harder
    than `ceiling`, not already in the program, keeping the weekly volume within `max_increase_percent`; or, when no
    exercise can move up, more repetitions (or longer holds), a step at a time round the exercises, up to that
    percentage. Empty when nothing can step up within the rules."""
    doses = {item.item_id: item.dose for item in items}
    old = weekly_volume(doses.values(), sessions_per_week)
    in_program = {item.exercise_id for item in items}
    changes = []
    for item in sorted(items, key=lambda i: i.difficulty):  # sorted() is stable: the program's order breaks ties
        harder = item.harder
        if len(changes) == STEP_UP_VARIANTS or harder is None or harder.exercise_id in in_program:
            continue
        if harder.difficulty - item.difficulty != MAX_DIFFICULTY_STEP or harder.difficulty > ceiling:
            continue
        dose = _variant_dose(item.dose, harder)
        trial = {**doses, item.item_id: dose}
        if not within_progression(old, weekly_volume(trial.values(), sessions_per_week), max_increase_percent):
            continue
        doses = trial
        in_program.add(harder.exercise_id)
        changes.append(
            StepChange(
                item.item_id,
                harder.exercise_id,
                dose,
                f"{item.name} moves up to {harder.name} (difficulty {item.difficulty} to {harder.difficulty}), "
                f"{dose.words}",
            )
        )
    if changes:
        return changes
    grown = dict(doses)
    growing = True
    while growing:
        growing = False
        for item in items:
            bigger = _one_step_more(grown[item.item_id])
            if bigger is None:
                continue
            trial = {**grown, item.item_id: bigger}
            if within_progression(old, weekly_volume(trial.values(), sessions_per_week), max_increase_percent):
                grown, growing = trial, True
    return [
        StepChange(
            item.item_id,
            item.exercise_id,
            grown[item.item_id],
            f"{item.name}: {item.dose.words} to {grown[item.item_id].words}",
        )
        for item in items
        if grown[item.item_id] != item.dose
    ]


def _less(value: int, share_percent: int, low: int) -> int:
    return max(low, value - math.ceil(value * share_percent / 100))


def eased_dose(dose: Dose, share_percent: int) -> Dose:
    """A dose lowered by `share_percent`: fewer repetitions, or a shorter hold when it has no repetitions to lose."""
    if dose.reps is not None and dose.reps > REPS_MIN:
        return Dose(dose.sets, _less(dose.reps, share_percent, REPS_MIN), dose.hold_seconds)
    if dose.hold_seconds is not None and dose.hold_seconds > HOLD_MIN:
        return Dose(dose.sets, dose.reps, _less(dose.hold_seconds, share_percent, HOLD_MIN))
    return dose


def ease_off(*, items: Sequence[StepItem], share_percent: int) -> list[StepChange]:
    """An easier version (after a pain, sharp-pain or worsening flag, or as a flare-up plan): each exercise with an
    easier variant not already in the program moves to it, keeping its dose when it counts the same way, unless the
    variant's dose would be more work by any measure (repetitions, seconds held) than the exercise's now; each other
    exercise keeps its place at a dose lowered by `share_percent`. Neither measure of the weekly volume rises. Empty
    when nothing can be made easier."""
    in_program = {item.exercise_id for item in items}
    changes = []
    for item in items:
        easier = item.easier
        dose = _variant_dose(item.dose, easier) if easier is not None else None
        if easier is not None and easier.exercise_id not in in_program and not _more_work(dose, than=item.dose):
            in_program.add(easier.exercise_id)
            changes.append(
                StepChange(item.item_id, easier.exercise_id, dose, f"{item.name} moves to {easier.name}, {dose.words}")
            )
            continue
        lower = eased_dose(item.dose, share_percent)
        if lower != item.dose:
            changes.append(
                StepChange(item.item_id, item.exercise_id, lower, f"{item.name}: {item.dose.words} to {lower.words}")
            )
    return changes


# --- Rule 18: a flare-up's days ---------------------------------------------------------------

FLARE_UP_NOTE_MAX = 300  # what the patient may add to how their flare-up went
FLARE_UP_ASK_DAYS = 14  # Today asks how a flare-up went for this many days after it ended


def flare_up_last_day(*, starts_on: date, days: int) -> date:
    """The last day of a flare-up plan that starts on `starts_on` and lasts `days` days (the clinic's setting)."""
    return starts_on + timedelta(days=days - 1)


def flare_up_ended_last_day(*, starts_on: date, today: date) -> date:
    """The last day of a flare-up ended early today: yesterday, for the usual program is back from today (the day
    before it began, when it ends on its first day: it then covers no whole day)."""
    return max(starts_on, today) - timedelta(days=1)
