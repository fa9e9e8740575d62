"""A patient's planned sessions and pauses as an iCalendar feed (RFC 5545, written with the icalendar library).

Pure: it takes the schedule as spans of days (selectors.calendar_schedule reads them) and returns the calendar's
bytes. Sessions have a day but no time of day, so each is an all-day event on its date, a day of the clinic's
calendar (the window is counted from the clinic's today, and the calendar names the clinic's time zone): an all-day
event is shown on that date in any time zone, which is what a patient travelling with their phone expects.

Every event's UID is made from what it is (the patient and the day, or the pause), never from when the feed was
made, so that a calendar that fetches the feed again updates its events rather than doubling them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from . import rules

WEEKS_BACK = 4  # the feed shows the sessions of the last four weeks...
WEEKS_AHEAD = 12  # ...and of the next twelve
REFRESH = timedelta(hours=12)  # how often a subscribed calendar is asked to fetch the feed again
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """Days on which one version of the patient's program was (or will be) in force, and its schedule."""

    first: date
    last: date
    weekdays: tuple[int, ...]
    sessions_per_week: int | None
    title: str


@dataclass(frozen=True)
class PauseSpan:
    pk: int
    first: date
    last: date


def window(today: date) -> tuple[date, date]:
    """The first and last day the feed covers."""
    return today - timedelta(weeks=WEEKS_BACK), today + timedelta(weeks=WEEKS_AHEAD)


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def session_days(span: Span, paused: frozenset[date]) -> list[date]:
    """The days of a span that its schedule plans a session on (fixed weekdays), outside the pauses."""
    return [
        day
        for day in _days(span.first, span.last)
        if rules.is_planned_day(day, weekdays=span.weekdays) and day not in paused
    ]


def session_weeks(span: Span, paused: frozenset[date]) -> list[date]:
    """For a schedule of a number of sessions a week on days of the patient's choice: the Monday (or the span's
    first day) of each week the span reaches, unless the whole of that week within the span is paused."""
    weeks = []
    start = span.first
    while start <= span.last:
        end = min(span.last, start + timedelta(days=6 - start.weekday()))
        if any(day not in paused for day in _days(start, end)):
            weeks.append(start)
        start = end + ONE_DAY
    return weeks


def paused_days(pauses: Iterable[PauseSpan]) -> frozenset[date]:
    return frozenset(day for pause in pauses for day in _days(pause.first, pause.last))


def feed(
    *,
    patient_id: int,
    host: str,
    clinic_name: str,
    time_zone: str,
    spans: list[Span],
    pauses: list[PauseSpan],
    today_url: str,
    now: datetime,
) -> bytes:
    """The calendar: an event on each planned session day (or each week of a weekly count), one for each pause."""
    calendar = Calendar()
    calendar.add("prodid", "-//Back rehab clinic//Exercise sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Exercise sessions ({clinic_name})")
    calendar.add("x-wr-caldesc", "Your planned back exercise sessions and pauses, from your clinic.")
    calendar.add("x-wr-timezone", time_zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    paused = paused_days(pauses)
    for span in spans:
        for day in session_days(span, paused):
            calendar.add_component(
                _event(
                    uid=f"session-{patient_id}-{day:%Y%m%d}@{host}",
                    summary="Back exercises",
                    description=(
                        f"A session of your program, {span.title}. Take it slowly, and report how it went "
                        "in the app afterwards."
                    ),
                    first=day,
                    last=day,
                    url=today_url,
                    now=now,
                )
            )
        count = rules.sessions_per_week(weekdays=span.weekdays, sessions_per_week=span.sessions_per_week)
        if not span.weekdays and count:
            for start in session_weeks(span, paused):
                calendar.add_component(
                    _event(
                        uid=f"week-{patient_id}-{start:%Y%m%d}@{host}",
                        summary=f"Back exercises: {count} session{'s' if count != 1 else ''} this week",
                        description=(
                            f"Your program, {span.title}, plans {count} session{'s' if count != 1 else ''} a week "
                            "on days of your choice. Report each one in the app afterwards."
                        ),
                        first=start,
                        last=start,
                        url=today_url,
                        now=now,
                    )
                )
    for pause in pauses:
        calendar.add_component(
            _event(
                uid=f"pause-{pause.pk}@{host}",
                summary="Exercise program paused",
                description="Your physiotherapist has paused your program: no sessions are planned on these days.",
                first=pause.first,
                last=pause.last,
                url=today_url,
                now=now,
            )
        )
    return calendar.to_ical()


def _event(*, uid: str, summary: str, description: str, first: date, last: date, url: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", first)
    event.add("dtend", last + ONE_DAY)  # an all-day event ends on the day after its last (RFC 5545, 3.6.1)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a session day does not make the patient busy all day
    return event
