"""Pure rules about check-ins (a patient's report of one session): when a session may be reported, how long a
check-in may be corrected, and adherence to the schedule.

No ORM and no I/O: plain values in, plain values out. docs/clinical-rules.md lists every rule, its numbers and
where it lives.
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.contrib.humanize.templatetags.humanize import apnumber

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


def adherence_over_versions(
    *,
    versions: Sequence[tuple[date, Sequence[int], int | None]],
    start: date,
    end: date,
    reported_days: Iterable[date],
    paused_days: frozenset[date] = frozenset(),
) -> dict:
    """Adherence from `start` to `end` inclusive (a course of care) while the plan changed: `versions` are (first day,
    weekdays, sessions a week) in the order they were put in force, each planning from its first day until the
    next one's; only those that had started by `end` count, so that one starting later plays no part. As adherence:
    {"reported": days with a check-in while a version was in force, "planned", "percent"}."""
    started = [version for version in versions if version[0] <= end]
    reported = set(reported_days)
    planned, days = 0.0, set()
    for index, (starts, weekdays, per_week) in enumerate(started):
        following = started[index + 1][0] if index + 1 < len(started) else None
        begins = max(start, starts)
        ends = min(end, following - timedelta(days=1)) if following else end
        if ends < begins:
            continue
        planned += planned_sessions(
            start=begins, end=ends, weekdays=weekdays, sessions_per_week=per_week, paused_days=paused_days
        )
        days |= {day for day in reported if begins <= day <= ends}
    return {
        "reported": len(days),
        "planned": round(planned),
        "percent": adherence_percent(reported=len(days), planned=planned),
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


# --- The patient's own progress, on Today ------------------------------------------------------

TREND_DAYS = 28  # how far back Today looks at the pain during sessions: four weeks
TREND_HALF = 14  # ...comparing its last two weeks with the two before
TREND_MIN_SESSIONS = 4  # fewer sessions than this in four weeks say nothing about a trend
TREND_SAME_WITHIN = 0.5  # averages of highest pain closer than this (out of 5) are "about the same"


def week_start(today: date) -> date:
    """The Monday of `today`'s week."""
    return today - timedelta(days=today.weekday())


def sessions_this_week(*, session_days: Iterable[date], today: date) -> int:
    """Days with a session from this week's Monday to today."""
    start = week_start(today)
    return len({day for day in session_days if start <= day <= today})


def _out_of_five(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def pain_trend(*, pains: Iterable[tuple[date, int]], today: date) -> str:
    """How the patient's highest pain during sessions has moved over the last four weeks, in plain words for them:
    the average of the last two weeks against the two before. `pains` are (session day, highest pain). It never
    asks for more effort: pain that rises is a reason to go gently and tell the physiotherapist."""
    first = today - timedelta(days=TREND_DAYS - 1)
    split = today - timedelta(days=TREND_HALF - 1)
    recent = [(day, pain) for day, pain in pains if first <= day <= today]
    if not recent:
        return "You have not reported a session in the last four weeks."
    if len(recent) < TREND_MIN_SESSIONS:
        return "After a few more sessions we can tell you how your pain during sessions is moving."
    earlier = [pain for day, pain in recent if day < split]
    later = [pain for day, pain in recent if day >= split]
    if not earlier or not later:
        overall = sum(pain for _day, pain in recent) / len(recent)
        return f"The highest pain of your sessions has averaged {_out_of_five(overall)} out of 5 lately."
    before, lately = sum(earlier) / len(earlier), sum(later) / len(later)
    if lately <= before - TREND_SAME_WITHIN:
        return (
            f"Your pain during sessions has been easing: at its highest it averaged {_out_of_five(before)} out of 5 "
            f"in the two weeks before, and {_out_of_five(lately)} in the last two weeks."
        )
    if lately >= before + TREND_SAME_WITHIN:
        return (
            f"Your pain during sessions has been higher in the last two weeks: at its highest it averaged "
            f"{_out_of_five(lately)} out of 5, against {_out_of_five(before)} before. Take your sessions gently, stay "
            "within your limit, and tell your physiotherapist if it keeps rising."
        )
    return (
        f"Your pain during sessions has stayed about the same over the last four weeks: at its highest it averaged "
        f"{_out_of_five(lately)} out of 5 lately."
    )


# Adherence is read over the last two weeks, and over four: the patient's own (Today), the patient page and the
# dashboard's column, and the ready-to-progress criterion (flags.rules) all use the short window.
ADHERENCE_WINDOW_DAYS = 14
ADHERENCE_LONG_WINDOW_DAYS = 28
ADHERENCE_WELL = 80  # from this share of the planned sessions reported, Today says the patient is keeping to the plan
ADHERENCE_SOME = 50  # ...from this share, that each session counts; under it, that the plan can change


def span_words(days: int) -> str:
    """A span of days as a patient would say it: "week", "two weeks", "10 days"."""
    weeks, rest = divmod(days, DAYS_IN_WEEK)
    if rest or not weeks:
        return f"{days} day{'s' if days != 1 else ''}"
    return "week" if weeks == 1 else f"{apnumber(weeks)} weeks"


def adherence_words(*, reported: int, planned: int, percent: int | None, since: date | None) -> str | None:
    """The patient's adherence over the adherence window (or since their program started, `since`, when that is
    more recent), in plain words for them; None when the plan planned no session yet. It encourages, never blames:
    a plan that is hard to keep is a reason to talk to the physiotherapist."""
    if percent is None or planned <= 0:
        return None
    span = (
        f"Since your program started on {since:%A} {since.day} {since:%B}"
        if since
        else f"Over the last {span_words(ADHERENCE_WINDOW_DAYS)}"
    )
    figures = f"{span}, you reported {reported} of the {planned} session{'s' if planned != 1 else ''} in your plan"
    if percent >= ADHERENCE_WELL:
        return f"{figures}: you are keeping to your plan. Well done."
    if percent >= ADHERENCE_SOME:
        return f"{figures}. Every session counts: try to fit in the ones your plan asks for."
    return (
        f"{figures}. If the sessions are hard to fit in or too much for you, tell your physiotherapist: "
        "the plan can change to suit you."
    )
