"""Pure domain rules about exercise programs: balance, frequency, gradual progression, dosage limits, the steps
prepared for the physiotherapist (a step up, an easier version) and a flare-up's days.

No ORM and no I/O: plain values in, plain values out. docs/clinical-rules.md, rules 11-13 and 16-18. Frequency (rule 13)
lives in `schedule`, the prepared steps and flare-up days (rules 17 and 18) in `steps`; all are importable from here.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from patients.rules import Phase

from .schedule import (  # noqa: F401 - rule 13, importable from here like the others
    DAYS_IN_WEEK,
    WEEKDAY_NAMES,
    describe_schedule,
    frequency_warning,
    is_planned_day,
    longest_rest_run,
    longest_rest_run_per_week,
    planned_rest_run,
    sessions_per_week,
)

# Dosage limits (also enforced by database constraints).
SETS_MIN, SETS_MAX = 1, 10
REPS_MIN, REPS_MAX = 1, 100
HOLD_MIN, HOLD_MAX = 1, 300  # seconds
REST_MIN, REST_MAX = 0, 600  # seconds
DIFFICULTY_MIN, DIFFICULTY_MAX = 1, 5
NOTES_MAX = 500

# Scheduling.
MAX_START_AHEAD = timedelta(days=365)  # a program may start at most a year from today...
MAX_START_BEHIND = timedelta(days=365)  # ...and at most a year before it (a date typed wrong, as 1900-01-01)

# Rule 12: gradual progression.
DEFAULT_MAX_VOLUME_INCREASE_PERCENT = 10
MAX_DIFFICULTY_STEP = 1

# Rule 16: starting gently. The hardest exercise (difficulty, 1-5) a program should bring in for each phase without a
# reason: early, irritable backs start on the gentlest work; a long-standing one tolerates more.
STARTING_CEILING = {Phase.ACUTE: 2, Phase.SUBACUTE: 3, Phase.LONG_TERM: 4}

# Rule 11: the four groups that support the spine, from the founding text.
SUPPORTING_GROUPS = ("core", "adductors", "abductors", "lateral")


# --- Rule 11: balance -------------------------------------------------------------------------


def balance(groups_per_exercise: Iterable[Iterable[str]]) -> dict[str, int]:
    """How many of the program's exercises work each supporting group."""
    counts = dict.fromkeys(SUPPORTING_GROUPS, 0)
    for groups in groups_per_exercise:
        for group in set(groups):
            if group in counts:
                counts[group] += 1
    return counts


def missing_groups(groups_per_exercise: Iterable[Iterable[str]]) -> list[str]:
    """The supporting groups no exercise works; the builder warns about each (never blocks)."""
    return [group for group, count in balance(groups_per_exercise).items() if count == 0]


# --- Rule 12: gradual progression -------------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    sets: int
    reps: int | None
    hold_seconds: int | None

    @property
    def repetitions(self) -> int:
        """Repetitions in one session: sets x repetitions (none for a hold alone)."""
        return self.sets * self.reps if self.reps else 0

    @property
    def seconds_held(self) -> int:
        """Seconds held in one session: sets x hold, each repetition held when the dose has both."""
        return self.sets * (self.reps or 1) * self.hold_seconds if self.hold_seconds else 0

    @property
    def words(self) -> str:
        """ "2 x 10", "3 x hold 30 s", "2 x 8, hold 5 s": a dose in a few words, for the note of a prepared step."""
        per_set = ", ".join(
            part
            for part in (
                str(self.reps) if self.reps else "",
                f"hold {self.hold_seconds} s" if self.hold_seconds else "",
            )
            if part
        )
        return f"{self.sets} × {per_set}"

    def same_measure(self, other: "Dose") -> bool:
        """Whether two doses count the same way: repetitions, a hold, or both."""
        return (self.reps is None) == (other.reps is None) and (self.hold_seconds is None) == (
            other.hold_seconds is None
        )


VOLUME_MEASURES = (("repetitions", "repetitions"), ("seconds_held", "seconds held"))


@dataclass(frozen=True)
class Volume:
    """A program's weekly volume as what it is: repetitions a week, seconds held a week (each repetition of a held
    exercise counted for its hold), sessions a week. Repetitions and seconds are never added into one number."""

    repetitions: int
    seconds_held: int
    sessions: int

    @property
    def words(self) -> str:
        """ "120 repetitions a week, 540 seconds held a week, 3 sessions a week": the measures a program has."""
        parts = [f"{getattr(self, field)} {label} a week" for field, label in VOLUME_MEASURES if getattr(self, field)]
        parts.append(f"{self.sessions} session{'s' if self.sessions != 1 else ''} a week")
        return ", ".join(parts)

    @property
    def empty(self) -> bool:
        return not (self.repetitions or self.seconds_held)

    def more_than(self, other: "Volume") -> bool:
        """More work than `other` by any measure."""
        return any(getattr(self, field) > getattr(other, field) for field, _label in VOLUME_MEASURES)


def weekly_volume(doses: Iterable[Dose], sessions: int) -> Volume:
    doses = list(doses)
    return Volume(
        repetitions=sessions * sum(d.repetitions for d in doses),
        seconds_held=sessions * sum(d.seconds_held for d in doses),
        sessions=sessions,
    )


def volume_change_percent(old: int, new: int) -> float | None:
    if old <= 0:
        return None
    return (new - old) * 100 / old


@dataclass(frozen=True)
class VolumeChange:
    """How one measure of the weekly volume moves from the replaced version to the new one."""

    label: str
    old: int
    new: int
    percent: float | None  # None when the replaced version had none of it
    over: bool  # rises by more than the clinic's percentage (or appears where there was none)

    @property
    def words(self) -> str:
        if self.old == 0:
            return f"{self.label} a week: none to {self.new}"
        change = f", {self.percent:+.0f}%" if self.old != self.new else ", unchanged"
        return f"{self.label} a week: {self.old} to {self.new}{change}"


def volume_changes(old: Volume, new: Volume, max_increase_percent: int) -> tuple[VolumeChange, ...]:
    """Each measure either version has, old to new. A measure rises too much when it grows by more than
    `max_increase_percent` of what it was (integer comparison, so that exactly the percentage passes), or appears
    where the replaced version (which had some work) had none of it. Nothing to compare with (an empty version) never
    rises too much."""
    changes = []
    for field, label in VOLUME_MEASURES:
        before, after = getattr(old, field), getattr(new, field)
        if not (before or after):
            continue
        over = not old.empty and (after - before) * 100 > before * max_increase_percent
        changes.append(VolumeChange(label, before, after, volume_change_percent(before, after), over))
    return tuple(changes)


def within_progression(old: Volume, new: Volume, max_increase_percent: int) -> bool:
    """The progression rule's volume test: no measure rises by more than the percentage."""
    return not any(change.over for change in volume_changes(old, new, max_increase_percent))


def variant_family(exercise_id: int, links: dict[int, tuple[int | None, int | None]]) -> set[int]:
    """Every exercise on the same easier/harder chain as `exercise_id` (itself included). `links` maps an exercise
    to its (easier, harder) variants."""
    family, todo = set(), [exercise_id]
    while todo:
        current = todo.pop()
        if current is None or current in family:
            continue
        family.add(current)
        todo.extend(links.get(current, (None, None)))
        todo.extend(other for other, (easier, harder) in links.items() if current in (easier, harder))
    return family


def difficulty_steps(
    *,
    new_items: Iterable[tuple[str, int, int, int | None]],
    old_items: Iterable[tuple[int, int]],
    links: dict[int, tuple[int | None, int | None]],
) -> list[tuple[str, int, int]]:
    """How each exercise of a new version moves in difficulty from the version it replaces (rule 12), judged exercise
    by exercise along its easier/harder variants: (name, old difficulty, new difficulty).

    `new_items` are (name, exercise id, difficulty, difficulty of the item it was copied from or None); `old_items`
    the replaced version's (exercise id, difficulty). An item copied from the old version (and maybe swapped to a
    variant since) is compared with what it was; an exercise added anew with the hardest exercise of its own variant
    chain in the old version; one with no relative there is not a step up at all (the starting ceiling, rule 16,
    judges it)."""
    old = dict(old_items)
    steps = []
    for name, exercise_id, difficulty, derived_from in new_items:
        if derived_from is not None:
            steps.append((name, derived_from, difficulty))
            continue
        relatives = [old[pk] for pk in variant_family(exercise_id, links) if pk in old]
        if relatives:
            steps.append((name, max(relatives), difficulty))
    return steps


def starting_warnings(*, exercises: Iterable[tuple[str, int]], phase: Phase) -> tuple[str, ...]:
    """Exercises harder than the phase's starting ceiling (rule 16): each warns, and putting the program in force
    needs a reason. `exercises` are (name, difficulty) of those the version brings in."""
    ceiling = STARTING_CEILING[phase]
    return tuple(
        f"{name} is difficulty {difficulty}/5, above the starting ceiling of {ceiling}/5 for the "
        f"{phase.label.lower()} phase: start with an easier variant, or give the reason."
        for name, difficulty in exercises
        if difficulty > ceiling
    )


@dataclass(frozen=True)
class ProgressionCheck:
    old_volume: Volume
    new_volume: Volume
    changes: tuple[VolumeChange, ...]
    volume_warning: str | None
    difficulty_warnings: tuple[str, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        return ((self.volume_warning,) if self.volume_warning else ()) + self.difficulty_warnings

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings)


def progression_check(
    *,
    old_volume: Volume,
    new_volume: Volume,
    difficulty_steps: Iterable[tuple[str, int, int]] = (),
    max_increase_percent: int = DEFAULT_MAX_VOLUME_INCREASE_PERCENT,
) -> ProgressionCheck:
    """Compare a new program version with the one it replaces.

    Repetitions a week and seconds held a week are each compared with the replaced version's: exactly
    `max_increase_percent` more passes; anything over warns, in those words. `difficulty_steps` holds (exercise name,
    old difficulty, new difficulty) for each exercise that replaces an earlier one.
    """
    changes = volume_changes(old_volume, new_volume, max_increase_percent)
    over = [change.words for change in changes if change.over]
    volume_warning = None
    if over:
        volume_warning = (
            f"Weekly volume rises more than the {max_increase_percent}% a gradual program should add at once "
            f"({'; '.join(over)}). Over-extending risks a setback."
        )
    difficulty_warnings = tuple(
        f"{name} moves up {new - old} difficulty levels ({old} to {new}); step up one level at a time."
        for name, old, new in difficulty_steps
        if new - old > MAX_DIFFICULTY_STEP
    )
    return ProgressionCheck(old_volume, new_volume, changes, volume_warning, difficulty_warnings)


# --- Dosage and dates -------------------------------------------------------------------------


# Each dose field's range and what to say when a value falls outside it (the forms say the same).
DOSE_RANGES = {
    "sets": (SETS_MIN, SETS_MAX, f"Sets must be between {SETS_MIN} and {SETS_MAX}."),
    "reps": (REPS_MIN, REPS_MAX, f"Repetitions must be between {REPS_MIN} and {REPS_MAX}."),
    "hold_seconds": (HOLD_MIN, HOLD_MAX, f"A hold must be between {HOLD_MIN} and {HOLD_MAX} seconds."),
    "rest_seconds": (REST_MIN, REST_MAX, f"Rest must be between {REST_MIN} and {REST_MAX} seconds."),
}


def dose_errors(*, sets: int | None, reps: int | None, hold_seconds: int | None, rest_seconds: int | None) -> dict:
    errors: dict[str, str] = {}
    values = {"sets": sets, "reps": reps, "hold_seconds": hold_seconds, "rest_seconds": rest_seconds}
    for field, (low, high, message) in DOSE_RANGES.items():
        value = values[field]
        if (value is None and field == "sets") or (value is not None and not low <= value <= high):
            errors[field] = message
    if reps is None and hold_seconds is None and "reps" not in errors:
        errors["reps"] = "Give repetitions, a hold time, or both."
    return errors


def start_date_error(start: date, today: date) -> str | None:
    if start > today + MAX_START_AHEAD:
        return "A program cannot start more than a year from today."
    if start < today - MAX_START_BEHIND:
        return "A program cannot start more than a year before today: check the year."
    return None


def past_start_error(*, start: date, today: date, first_version: bool) -> str | None:
    """A program put in force with a start day that has passed would count the days since as rest (rule 7: before
    the first report, the start counts as the last session) and raise a rest flag at once. A revision's start does
    not move the program's first day, so only a program's first version is held to this."""
    if first_version and start < today:
        return (
            f"This program is set to start on {start.day} {start:%B %Y}, which has passed: the days since would "
            "count as rest and flag the patient at once. Set the start to today or later under Schedule."
        )
    return None


# Rules 17 and 18, in a module of their own; importable from here like the others.
from .steps import (  # noqa: E402, F401
    FLARE_UP_ASK_DAYS,
    FLARE_UP_NOTE_MAX,
    HOLD_STEP,
    STEP_UP_VARIANTS,
    StepChange,
    StepItem,
    Variant,
    ease_off,
    eased_dose,
    flare_up_ended_last_day,
    flare_up_last_day,
    step_up,
)
