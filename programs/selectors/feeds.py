"""The patient's calendar feed."""

from datetime import date, timedelta

from patients.models import Pause

from .. import calendar
from ..models import (
    CalendarFeed,
    ProgramVersion,
)


def calendar_feed_of(patient) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(patient=patient).first()


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The feed a calendar link names, with its patient and clinic; None for a link that was reset or never was."""
    return CalendarFeed.objects.select_related("patient__clinic").filter(token=token).first()


def calendar_schedule(*, patient, first: date, last: date) -> tuple[list[calendar.Span], list[calendar.PauseSpan]]:
    """What the patient's calendar shows from `first` to `last`, in two queries: each version of their programs that
    was put in force, over the days it governs (from its start to the next one's, and never past the day before its
    program ended), and the pauses, to their last day (earlier than planned when the program resumed early)."""
    versions = list(
        ProgramVersion.objects.filter(
            program__patient=patient,
            kind=ProgramVersion.Kind.PROGRAM,
            activated_at__isnull=False,
            start_date__lte=last,
        )
        .select_related("program")
        .only("start_date", "activated_at", "weekdays", "sessions_per_week", "program__title", "program__ended_at")
        .order_by("activated_at", "pk")
    )
    zone = patient.clinic.tzinfo
    spans = []
    for index, version in enumerate(versions):
        begins, ends = max(first, version.start_date), last
        if index + 1 < len(versions):
            ends = min(ends, versions[index + 1].start_date - timedelta(days=1))
        if version.program.ended_at is not None:
            ends = min(ends, version.program.ended_at.astimezone(zone).date() - timedelta(days=1))
        if begins <= ends:
            spans.append(
                calendar.Span(
                    first=begins,
                    last=ends,
                    weekdays=tuple(version.weekdays or ()),
                    sessions_per_week=version.sessions_per_week,
                    title=version.program.title,
                )
            )
    pauses = [  # whole, even where they reach outside the window: an event keeps its dates from one fetch to the next
        calendar.PauseSpan(pk=pause.pk, first=pause.starts_on, last=pause.last_day)
        for pause in Pause.objects.filter(patient=patient, starts_on__lte=last, ends_on__gte=first).order_by(
            "starts_on", "pk"
        )
        if pause.last_day >= max(first, pause.starts_on)  # a pause cancelled before it began is none
    ]
    return spans, pauses
