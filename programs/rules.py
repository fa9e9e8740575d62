"""Pure domain rules about exercise programs: balance, frequency, gradual progression, dosage limits.

No ORM and no I/O: plain values in, plain values out. DESIGN.md rules 11-13.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from patients.rules import SYMPTOM_WORDS

# Dosage limits (also enforced by database constraints).
SETS_MIN, SETS_MAX = 1, 10
REPS_MIN, REPS_MAX = 1, 100
HOLD_MIN, HOLD_MAX = 1, 300  # seconds
REST_MIN, REST_MAX = 0, 600  # seconds
DIFFICULTY_MIN, DIFFICULTY_MAX = 1, 5
NOTES_MAX = 500

# Scheduling.
MAX_START_AHEAD = timedelta(days=365)  # a program may start at most a year from today
DAYS_IN_WEEK = 7
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Rule 12: gradual progression.
DEFAULT_MAX_VOLUME_INCREASE_PERCENT = 10
MAX_DIFFICULTY_STEP = 1

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


# --- Rule 13: frequency -----------------------------------------------------------------------


def longest_rest_run(weekdays: Iterable[int]) -> int:
    """The longest run of consecutive rest days when sessions fall on `weekdays` (0 = Monday) every week."""
    days = sorted(set(weekdays))
    if not days:
        return DAYS_IN_WEEK
    # The gap after each session day up to the next one, wrapping round into the next week.
    return max((days[(i + 1) % len(days)] - day - 1) % DAYS_IN_WEEK for i, day in enumerate(days))


def longest_rest_run_per_week(sessions_per_week: int) -> int:
    """The shortest possible longest rest run with that many sessions spread evenly over a week."""
    if sessions_per_week <= 0:
        return DAYS_IN_WEEK
    return math.ceil((DAYS_IN_WEEK - min(sessions_per_week, DAYS_IN_WEEK)) / sessions_per_week)


def frequency_warning(
    *, weekdays: Sequence[int] = (), sessions_per_week: int | None = None, rest_days_allowed: int
) -> str | None:
    """A warning when the schedule plans more rest days in a row than the clinic's rest rule allows (rule 13 against
    rule 7), else None."""
    days = f"{rest_days_allowed} rest day{'s' if rest_days_allowed != 1 else ''}"
    if weekdays:
        run = longest_rest_run(weekdays)
        if run > rest_days_allowed:
            return (
                f"This schedule leaves {run} rest days in a row. Resting more than {days} tends to make back pain "
                "worse, and the patient will be flagged for it: spread the sessions out."
            )
        return None
    if sessions_per_week is not None:
        run = longest_rest_run_per_week(sessions_per_week)
        if run > rest_days_allowed:
            return (
                f"With {sessions_per_week} session{'s' if sessions_per_week != 1 else ''} a week there will be "
                f"at least {run} rest days in a row, and the patient is flagged after more than {days}: plan more "
                "sessions a week."
            )
    return None


def sessions_per_week(*, weekdays: Sequence[int] = (), sessions_per_week: int | None = None) -> int:
    return len(set(weekdays)) if weekdays else (sessions_per_week or 0)


def is_planned_day(day: date, *, weekdays: Sequence[int] = ()) -> bool | None:
    """Whether `day` is a planned session day; None when the schedule is a count per week."""
    if not weekdays:
        return None
    return day.weekday() in set(weekdays)


def describe_schedule(*, weekdays: Sequence[int] = (), sessions_per_week: int | None = None) -> str:
    if weekdays:
        return ", ".join(WEEKDAY_NAMES[d] for d in sorted(set(weekdays)))
    if sessions_per_week:
        return f"{sessions_per_week} session{'s' if sessions_per_week != 1 else ''} a week, on days of your choice"
    return "No schedule set"


# --- Rule 12: gradual progression -------------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    sets: int
    reps: int | None
    hold_seconds: int | None

    @property
    def units(self) -> int:
        """Work per session for one exercise: sets x reps, holds counted in seconds."""
        per_set = (self.reps or 1) * (self.hold_seconds or 1)
        return self.sets * per_set


def weekly_volume(doses: Iterable[Dose], sessions: int) -> int:
    return sessions * sum(d.units for d in doses)


def volume_change_percent(old: int, new: int) -> float | None:
    if old <= 0:
        return None
    return (new - old) * 100 / old


@dataclass(frozen=True)
class ProgressionCheck:
    old_volume: int
    new_volume: int
    change_percent: float | None
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
    old_volume: int,
    new_volume: int,
    difficulty_steps: Iterable[tuple[str, int, int]] = (),
    max_increase_percent: int = DEFAULT_MAX_VOLUME_INCREASE_PERCENT,
) -> ProgressionCheck:
    """Compare a new program version with the one it replaces.

    `difficulty_steps` holds (exercise name, old difficulty, new difficulty) for each exercise that
    replaces an earlier one. Exactly `max_increase_percent` more volume passes; anything over warns.
    """
    change = volume_change_percent(old_volume, new_volume)
    volume_warning = None
    # Integer comparison so that exactly 10% passes without floating-point doubt.
    if old_volume > 0 and (new_volume - old_volume) * 100 > old_volume * max_increase_percent:
        volume_warning = (
            f"Weekly volume rises by {change:.0f}% ({old_volume} to {new_volume}), more than the "
            f"{max_increase_percent}% a gradual program should add at once. Over-extending risks a setback."
        )
    difficulty_warnings = tuple(
        f"{name} moves up {new - old} difficulty levels ({old} to {new}); step up one level at a time."
        for name, old, new in difficulty_steps
        if new - old > MAX_DIFFICULTY_STEP
    )
    return ProgressionCheck(old_volume, new_volume, change, volume_warning, difficulty_warnings)


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


# --- Check-ins (session reports) ----------------------------------------------------------------

REPORT_NOTE_MAX = 2000
REPORT_MAX_DAYS_BACK = 7  # a session may be reported up to a week late
CORRECTION_WINDOW = timedelta(hours=24)  # a patient may correct a report this long after sending it
WARNING_SYMPTOM_FIELDS = ("bladder_bowel", "saddle_numbness", "leg_weakness")


def session_date_error(*, session_date: date, today: date, program_start: date | None) -> str | None:
    if session_date > today:
        return "The session date cannot be in the future."
    if session_date < today - timedelta(days=REPORT_MAX_DAYS_BACK):
        return f"Sessions can be reported up to {REPORT_MAX_DAYS_BACK} days back."
    if program_start is not None and session_date < program_start:
        return f"Your program started on {program_start:%d %B %Y}: choose that day or later."
    return None


def correction_explanation(*, previous: dict, current: dict) -> str:
    """What a patient's correction changed, in words, for the flags the report had raised."""
    day = current["session_date"]
    changes = []
    for field, words in (("max_pain", "highest pain"), ("pain_now", "pain afterwards")):
        if previous[field] != current[field]:
            changes.append(f"{words} {previous[field]} → {current[field]} out of 5")
    if previous["sharp_pain"] != current["sharp_pain"]:
        changes.append("sharp pain " + ("now reported" if current["sharp_pain"] else "no longer reported"))
    for name in WARNING_SYMPTOM_FIELDS:
        before, after = bool(previous.get(name)), bool(current.get(name))
        if before != after:
            changes.append(f"{SYMPTOM_WORDS[name]} " + ("now reported" if after else "no longer reported"))
    what = "; ".join(changes) if changes else "the figures did not change"
    return f"The patient corrected the report of {day:%a} {day.day} {day:%b}: {what}."


def can_correct(*, submitted_at, now) -> bool:
    return now - submitted_at <= CORRECTION_WINDOW


def planned_sessions(
    *,
    start: date,
    end: date,
    weekdays: Sequence[int] = (),
    sessions_per_week: int | None = None,
    paused_days: frozenset[date] = frozenset(),
) -> float:
    """Sessions a schedule plans from `start` to `end` inclusive, leaving out paused days."""
    if end < start:
        return 0
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    active = [d for d in days if d not in paused_days]
    if weekdays:
        wanted = set(weekdays)
        return sum(1 for d in active if d.weekday() in wanted)
    return len(active) * (sessions_per_week or 0) / DAYS_IN_WEEK


def adherence_percent(*, reported: int, planned: float) -> int | None:
    """Sessions reported against sessions planned, as a whole percentage capped at 100; None if none planned."""
    if planned <= 0:
        return None
    return min(100, round(reported * 100 / planned))


def adherence(
    *,
    start: date,
    end: date,
    reported_days: Iterable[date],
    paused_days: frozenset[date] = frozenset(),
    weekdays: Sequence[int] = (),
    sessions_per_week: int | None = None,
) -> dict:
    """Days with a report against sessions planned from `start` to `end` inclusive, paused days left out:
    {"reported": days, "planned": sessions (rounded), "percent": adherence_percent}. Reports outside the span
    (an earlier program's, say) do not count."""
    reported = len({day for day in reported_days if start <= day <= end})
    planned = planned_sessions(
        start=start, end=end, weekdays=weekdays, sessions_per_week=sessions_per_week, paused_days=paused_days
    )
    return {
        "reported": reported,
        "planned": round(planned),
        "percent": adherence_percent(reported=reported, planned=planned),
    }


# --- Flag rules (DESIGN.md rules 3-7) -----------------------------------------------------------

WORSENING_RUN = 3  # pain rising over this many consecutive reports
REST_DAYS_ALLOWED = 2  # default: resting more than two whole days raises a rest flag

REASON_PAIN = "pain"
REASON_SHARP = "sharp_pain"
REASON_URGENT = "warning_symptoms"
REASON_WORSENING = "worsening"
REASON_REST = "rest"
IMMEDIATE_REASONS = (REASON_URGENT, REASON_PAIN, REASON_SHARP, REASON_WORSENING)  # emailed at once


@dataclass(frozen=True)
class Finding:
    """A rule that fired: which, why in words, and the values that fired it."""

    reason: str
    rule: str
    explanation: str
    values: dict

    @property
    def urgent(self) -> bool:
        return self.reason == REASON_URGENT


def report_findings(
    *,
    max_pain: int,
    sharp_pain: bool,
    symptoms: dict[str, bool],
    threshold: int,
    recent_pains: Sequence[int] = (),
    session_date: date | None = None,
) -> list[Finding]:
    """Rules 3-6 applied to one report. `recent_pains` are the highest pains of the patient's reports
    up to and including this one, oldest first."""
    when = {"session_date": session_date.isoformat()} if session_date else {}
    findings = []
    ticked = [name for name, yes in symptoms.items() if yes]
    if ticked:
        findings.append(
            Finding(
                REASON_URGENT,
                "Rule 5: any warning symptom",
                "The patient reported " + "; ".join(SYMPTOM_WORDS.get(n, n) for n in ticked) + ".",
                {**when, "symptoms": ticked},
            )
        )
    if max_pain > threshold:
        findings.append(
            Finding(
                REASON_PAIN,
                "Rule 3: pain over the patient's threshold",
                f"Highest pain {max_pain}/5 is above the threshold of {threshold}/5.",
                {**when, "max_pain": max_pain, "threshold": threshold},
            )
        )
    if sharp_pain:
        findings.append(
            Finding(
                REASON_SHARP,
                "Rule 4: sharp or intense pain",
                f"The patient felt sharp or intense pain (highest pain {max_pain}/5).",
                {**when, "sharp_pain": True, "max_pain": max_pain},
            )
        )
    run = list(recent_pains)[-WORSENING_RUN:]
    if len(run) == WORSENING_RUN and all(a < b for a, b in zip(run, run[1:], strict=False)) and run[-1] > threshold:
        findings.append(
            Finding(
                REASON_WORSENING,
                f"Rule 6: pain rising over {WORSENING_RUN} reports in a row, the last above the threshold",
                f"Highest pain went {' → '.join(str(p) for p in run)} (threshold {threshold}/5).",
                {**when, "pains": run, "threshold": threshold},
            )
        )
    return findings


def worse_than_handled(*, handled: dict, finding: Finding) -> bool:
    """A corrected report fires a rule whose flag staff already resolved for this same report: is the corrected
    report worse than the values that flag was raised on? Only then is it flagged again, so that correcting a
    typo in a note does not raise the same flag twice."""
    if set(finding.values.get("symptoms", ())) - set(handled.get("symptoms", ())):
        return True  # a warning symptom it did not report before
    return finding.values.get("max_pain", 0) > handled.get("max_pain", 0)


def rest_days(*, last_session: date, today: date) -> int:
    """Whole calendar days without a session between the last session and today (today not counted)."""
    return max(0, (today - last_session).days - 1)


def rest_cutoff(*, today: date, rest_days_allowed: int = REST_DAYS_ALLOWED) -> date:
    """A patient whose last session was on or before this day has rested more than allowed."""
    return today - timedelta(days=rest_days_allowed + 2)


def rest_finding(
    *, last_session: date, today: date, paused: bool, rest_days_allowed: int = REST_DAYS_ALLOWED
) -> Finding | None:
    """Rule 7. `last_session` is the last reported session, or the program start before the first."""
    days = rest_days(last_session=last_session, today=today)
    if paused or days <= rest_days_allowed:
        return None
    return Finding(
        REASON_REST,
        f"Rule 7: more than {rest_days_allowed} whole rest days in a row",
        f"No session reported for {days} whole days (last session {last_session:%d %b %Y}).",
        {"last_session": last_session.isoformat(), "rest_days": days, "allowed": rest_days_allowed},
    )
