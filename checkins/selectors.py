"""Reads about check-ins, always starting from what the requesting user may see."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet

from patients.models import Pause
from patients.selectors import patients_visible_to, threshold_history
from programs.models import ProgramExercise, ProgramVersion
from programs.rules import DAYS_IN_WEEK
from programs.selectors import version_program_start
from rehab.models import User
from rehab.prepared import keep_as_prefetched, prepared

from . import rules
from .models import CheckIn, CheckInCorrection, ExerciseResult, SymptomReport


def checkins_visible_to(user: User) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def symptom_reports_visible_to(user: User) -> QuerySet[SymptomReport]:
    return SymptomReport.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def checkin_items(version: ProgramVersion) -> list[ProgramExercise]:
    """A version's exercises in order, with only what the check-in asks about: each exercise's name.

    They are kept on the version (as a prefetch), so checking the check-in against them reads nothing more."""
    items = _items_of(version_id=version.pk)
    keep_as_prefetched(version, "items", items)
    return items


@prepared
def _items_of(*, version_id: int) -> QuerySet[ProgramExercise]:
    return (
        ProgramExercise.objects.filter(version_id=version_id)
        .select_related("exercise")
        .only("version", "exercise__name")
        .order_by("position")
    )


def reported_on(*, patient, day: date) -> bool:
    """Whether the patient has checked in a session on `day`."""
    return patient.checkins.filter(session_date=day).exists()


def _results() -> QuerySet[ExerciseResult]:
    """Of each exercise done, only its name and outcome: the lists show nothing else."""
    return (
        ExerciseResult.objects.select_related("item__exercise")
        .only("checkin", "outcome", "item__exercise__name")
        .order_by("item__position")
    )


def checkin_list(*, patient) -> QuerySet[CheckIn]:
    """A patient's check-ins, newest first, with what was done and any corrections: a fixed number of queries."""
    return (
        CheckIn.objects.filter(patient=patient)
        .prefetch_related(Prefetch("results", queryset=_results()), "corrections")
        .order_by("-session_date", "-submitted_at")
    )


def latest_checkins(*, patient, count: int) -> list[CheckIn]:
    """The patient's `count` latest check-ins as checkin_list has them (the patient page's and a flag's), each
    with its exercises done and corrections kept as checkin_list's prefetch keeps them: three prepared queries."""
    checkins = _latest(patient_id=patient.pk, count=count)
    if not checkins:
        return []
    ids = tuple(checkin.pk for checkin in checkins)
    for relation, rows in (("results", _results_of(ids=ids)), ("corrections", _corrections_of(ids=ids))):
        by_checkin: dict[int, list] = {pk: [] for pk in ids}
        for row in rows:
            by_checkin[row.checkin_id].append(row)
        for checkin in checkins:
            keep_as_prefetched(checkin, relation, by_checkin[checkin.pk])
    return checkins


@prepared(shape=("count",))
def _latest(*, patient_id: int, count: int) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient_id=patient_id).order_by("-session_date", "-submitted_at")[:count]


@prepared
def _results_of(*, ids: tuple[int, ...]) -> QuerySet[ExerciseResult]:
    return _results().filter(checkin_id__in=ids)


@prepared
def _corrections_of(*, ids: tuple[int, ...]) -> QuerySet[CheckInCorrection]:
    return CheckInCorrection.objects.filter(checkin_id__in=ids)


@prepared
def _series(*, patient_id: int, since: date | None) -> QuerySet[CheckIn]:
    checkins = CheckIn.objects.filter(patient_id=patient_id)
    if since is not None:
        checkins = checkins.filter(session_date__gte=since)
    return checkins.order_by("session_date", "submitted_at").values_list("pk", "session_date", "max_pain", "pain_now")


def pain_series(*, patient, since: date | None = None) -> list[dict]:
    """One point per check-in, oldest first: date, highest pain, pain afterwards, and the threshold then."""
    rows = _series(patient_id=patient.pk, since=since)
    tz = patient.clinic.tzinfo
    steps = [
        (change.changed_at.astimezone(tz).date(), change.value)
        for change in reversed(threshold_history(patient=patient))
    ]
    series = []
    for pk, day, max_pain, pain_now in rows:
        threshold = steps[0][1] if steps else patient.pain_threshold
        for changed_on, value in steps:
            if changed_on <= day:
                threshold = value
        series.append(
            {
                "id": pk,
                "date": day.isoformat(),
                "label": f"{day.day} {day:%b}",
                "pain": max_pain,
                "pain_now": pain_now,
                "threshold": threshold,
            }
        )
    return series


def days_paused(pauses, *, start: date, end: date) -> frozenset[date]:
    """The days from `start` to `end` inclusive that one of `pauses` covers (Pause.covers: to its last day, the day
    before an early resumption). Walks the paused days only, not every day of the span."""
    days = set()
    for pause in pauses:
        first, last = max(start, pause.starts_on), min(end, pause.last_day)
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


@prepared
def _pauses_between(*, patient_id: int, first: date, last: date) -> QuerySet[Pause]:
    return Pause.objects.filter(patient_id=patient_id, starts_on__lte=last, ends_on__gte=first)


def adherence(
    *,
    patient,
    version: ProgramVersion | None,
    today: date,
    windows: tuple[int, ...] = (rules.ADHERENCE_WINDOW_DAYS, rules.ADHERENCE_LONG_WINDOW_DAYS),
    session_days: Iterable[date] | None = None,
) -> list:
    """Sessions checked in against sessions planned over each of the last `windows` days up to today, from the
    program's first day at the earliest (rules.adherence).

    One read of the check-in dates, the pauses and the program start serves every window; `session_days`, the
    patient's session days over at least the longest window when the caller has read them already, saves the
    first."""
    if version is None:
        return [{"days": days, "reported": 0, "planned": 0, "percent": None} for days in windows]
    program_start = version_program_start(version) or version.start_date
    earliest = max(today - timedelta(days=max(windows) - 1), program_start)
    if session_days is not None:
        reported_days = set(session_days)
    else:
        reported_days = set(
            CheckIn.objects.filter(patient=patient, session_date__gte=earliest, session_date__lte=today)
            .order_by()
            .values_list("session_date", flat=True)
        )
    pauses = _pauses_between(patient_id=patient.pk, first=earliest, last=today)
    paused = days_paused(pauses, start=earliest, end=today)
    return [
        {
            "days": days,
            **rules.adherence(
                start=max(today - timedelta(days=days - 1), program_start),
                end=today,
                reported_days=reported_days,
                paused_days=paused,
                weekdays=version.weekdays,
                sessions_per_week=version.sessions_per_week,
            ),
        }
        for days in windows
    ]


def adherence_over(spans: dict) -> dict:
    """Adherence over spans of days (a course of care, say), many at once in three queries: `spans` maps any key to
    (patient id, first day, last day); the answer maps each key to rules.adherence's figures, the sessions planned
    being those of each version of the patient's programs while it was in force (rules.adherence_over_versions),
    paused days left out. A span's figures do not depend on the others."""
    if not spans:
        return {}
    patient_ids = sorted({patient_id for patient_id, _start, _end in spans.values()})
    first, last = min(start for _p, start, _e in spans.values()), max(end for _p, _s, end in spans.values())
    versions: dict[int, list] = {}  # each patient's versions in force in turn: (start, weekdays, sessions a week)
    for patient_id, *schedule in (
        ProgramVersion.objects.filter(
            program__patient_id__in=patient_ids, activated_at__isnull=False, start_date__lte=last
        )
        .order_by("activated_at", "pk")
        .values_list("program__patient_id", "start_date", "weekdays", "sessions_per_week")
    ):
        versions.setdefault(patient_id, []).append(schedule)
    pauses: dict[int, list] = {}
    for pause in Pause.objects.filter(patient_id__in=patient_ids, starts_on__lte=last, ends_on__gte=first).only(
        "patient", "starts_on", "ends_on", "resumed_on"
    ):
        pauses.setdefault(pause.patient_id, []).append(pause)
    reported: dict[int, set] = {}
    for patient_id, day in (
        CheckIn.objects.filter(patient_id__in=patient_ids, session_date__gte=first, session_date__lte=last)
        .order_by()
        .values_list("patient_id", "session_date")
        .distinct()
    ):
        reported.setdefault(patient_id, set()).add(day)
    return {
        key: rules.adherence_over_versions(
            versions=versions.get(patient_id, []),
            start=start,
            end=end,
            reported_days=reported.get(patient_id, ()),
            paused_days=days_paused(pauses.get(patient_id, []), start=start, end=end),
        )
        for key, (patient_id, start, end) in spans.items()
    }


# Today's one read covers this week (at most seven days), the trend's four weeks and the adherence window.
OWN_PROGRESS_DAYS = max(rules.TREND_DAYS, rules.ADHERENCE_WINDOW_DAYS, DAYS_IN_WEEK)


def own_progress(*, patient, version: ProgramVersion, today: date) -> dict:
    """What Today shows of the patient's progress, from one read of their last four weeks of check-ins: whether
    they reported today, sessions this week against those planned, how their pain during sessions has moved (in
    words), and their adherence over the short window (`adherence`, its figures)."""
    since = today - timedelta(days=OWN_PROGRESS_DAYS - 1)
    pains = list(
        CheckIn.objects.filter(patient=patient, session_date__gte=since, session_date__lte=today)
        .order_by("session_date")
        .values_list("session_date", "max_pain")
    )
    days = {day for day, _pain in pains}
    (figures,) = adherence(
        patient=patient, version=version, today=today, windows=(rules.ADHERENCE_WINDOW_DAYS,), session_days=days
    )
    return {
        "reported_today": today in days,
        "done_this_week": rules.sessions_this_week(session_days=days, today=today),
        "planned_this_week": version.planned_sessions_per_week,
        "pain_trend": rules.pain_trend(pains=pains, today=today),
        "adherence_figures": figures,
    }
