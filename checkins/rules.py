"""Pure rules about check-ins (a patient's report of one session): when a session may be reported, how long a
check-in may be corrected, and adherence to the schedule.

No ORM and no I/O: plain values in, plain values out. docs/clinical-rules.md lists every rule, its numbers and
where it lives.
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from patients.rules import SYMPTOM_WORDS
from programs.rules import DAYS_IN_WEEK

NOTE_MAX = 2000
MAX_DAYS_BACK = 7  # a session may be reported up to a week late
CORRECTION_WINDOW = timedelta(hours=24)  # a patient may correct a check-in this long after sending it
WARNING_SYMPTOM_FIELDS = ("bladder_bowel", "saddle_numbness", "leg_weakness")
EMPTY_SYMPTOM_REPORT = "Tick what you noticed, or describe it in the note."


def ticked_symptoms(values) -> list[str]:
    """The warning symptoms among `values` (the names a form posted), in the order the questions ask them."""
    given = set(values)
    return [name for name in WARNING_SYMPTOM_FIELDS if name in given]


def session_date_error(*, session_date: date, today: date, program_start: date | None) -> str | None:
    if session_date > today:
        return "The session date cannot be in the future."
    if session_date < today - timedelta(days=MAX_DAYS_BACK):
        return f"Sessions can be reported up to {MAX_DAYS_BACK} days back."
    if program_start is not None and session_date < program_start:
        return f"Your program started on {program_start:%d %B %Y}: choose that day or later."
    return None


def correction_explanation(*, previous: dict, current: dict) -> str:
    """What a patient's correction changed, in words, for the flags the check-in had raised."""
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


# --- Adherence --------------------------------------------------------------------------------


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
    """Days with a check-in against sessions planned from `start` to `end` inclusive, paused days left out:
    {"reported": days, "planned": sessions (rounded), "percent": adherence_percent}. Check-ins outside the span
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


def pain_by_week(points: Iterable[tuple[date, int]], *, start: date) -> list[dict]:
    """The highest pain of each check-in, averaged by week from `start` (week 1 is its first seven days): for a
    summary of a course of care. Weeks without a check-in are left out."""
    weeks: dict[int, list[int]] = {}
    for day, pain in points:
        weeks.setdefault((day - start).days // DAYS_IN_WEEK + 1, []).append(pain)
    return [
        {
            "week": week,
            "from": start + timedelta(weeks=week - 1),
            "checkins": len(pains),
            "average": round(sum(pains) / len(pains), 1),
        }
        for week, pains in sorted(weeks.items())
    ]
