"""The physiotherapist's dashboard: their caseload, each patient's recent pain and adherence, their open flags."""

from datetime import date, timedelta

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.functional import SimpleLazyObject

from checkins import rules as checkin_rules
from checkins.models import CheckIn
from checkins.selectors import days_paused
from patients.models import Patient, Pause
from patients.selectors import (
    ACTIVE,
    by_episode_status,
    in_care_at,
    reviews_due_among,
    staff_clinic_id,
)
from programs.models import Program, ProgramVersion
from programs.selectors import first_start
from rehab.db import count_of
from rehab.models import User
from rehab.pagination import CountedPaginator, with_total
from rehab.prepared import prepared

from ..models import Flag, FlagStatus
from .flags import clinic_flags, flag_rows, flags_visible_to

SPARKLINE_POINTS = 10
WITHOUT_PROGRAM_LIMIT = 20  # the dashboard lists at most this many patients without a program in force


def _active_program():
    return Program.objects.filter(patient=OuterRef("pk"), status=Program.Status.ACTIVE)


def caseload(*, physio: User, episodes: str = ACTIVE) -> QuerySet[Patient]:
    """A physiotherapist's patients in a course of care (or those discharged, or everybody: `episodes`), those with
    open flags first, with their last report: one query.

    Only the fields the dashboard shows are read.
    """
    clinic_id = staff_clinic_id(physio)
    if clinic_id is None:
        return Patient.objects.none()
    return _caseload_at(clinic_id=clinic_id, physio_id=physio.pk, episodes=episodes)


def caseload_paginator(*, physio: User, episodes: str, per_page: int) -> CountedPaginator:
    """The caseload in pages, each page read by a prepared query (rehab.prepared) with its number of rows."""
    clinic_id = staff_clinic_id(physio)
    if clinic_id is None:
        return CountedPaginator(Patient.objects.none(), per_page)
    return CountedPaginator(
        SimpleLazyObject(lambda: caseload(physio=physio, episodes=episodes)),
        per_page,
        read_page=lambda bottom, top: _caseload_page(
            clinic_id=clinic_id, physio_id=physio.pk, episodes=episodes, bottom=bottom, top=top
        ),
    )


@prepared(shape=("episodes", "bottom", "top"))
def _caseload_page(*, clinic_id: int, physio_id: int, episodes: str, bottom: int, top: int) -> QuerySet[Patient]:
    return with_total(_caseload_at(clinic_id=clinic_id, physio_id=physio_id, episodes=episodes), bottom, top)


def _caseload_at(*, clinic_id: int, physio_id: int, episodes: str) -> QuerySet[Patient]:
    last = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-session_date", "-submitted_at")
    open_flags = Flag.objects.filter(patient=OuterRef("pk")).exclude(status=FlagStatus.RESOLVED)
    return (
        by_episode_status(Patient.objects.filter(clinic_id=clinic_id, physiotherapist_id=physio_id), episodes)
        .select_related("user")
        .only("onset_date", "pain_threshold", "user__first_name", "user__last_name")
        .annotate(
            open_flags=count_of(open_flags, by="patient"),
            last_date=Subquery(last.values("session_date")[:1]),
            last_pain=Subquery(last.values("max_pain")[:1]),
            has_program=Exists(_active_program()),
        )
        .order_by("-open_flags", "user__last_name", "user__first_name", "pk")
    )


def caseload_aside(*, physio: User, today: date, limit: int = WITHOUT_PROGRAM_LIMIT) -> dict[str, list[Patient]]:
    """The dashboard's two short lists, from one read of the physiotherapist's patients in a course of care:
    `reviews`, those whose threshold is due for review (patients.selectors.reviews_due_among), by onset; and
    `without_program`, those with no program in force, by name (at most `limit`)."""
    clinic_id = staff_clinic_id(physio)
    patients = [] if clinic_id is None else _in_care_with_program(clinic_id=clinic_id, physio_id=physio.pk)
    return {
        "reviews": reviews_due_among(patients, today=today),
        "without_program": [patient for patient in patients if not patient.has_program][:limit],
    }


@prepared
def _in_care_with_program(*, clinic_id: int, physio_id: int) -> QuerySet[Patient]:
    return in_care_at(clinic_id=clinic_id, physio_id=physio_id).annotate(has_program=Exists(_active_program()))


@prepared
def _recent_checkins(*, ids: tuple[int, ...], window_start: date, today: date) -> QuerySet[CheckIn]:
    """One read of the check-ins for both: each patient's last ten (the sparkline) and those in the adherence
    window, as (patient id, day, highest pain, rank from the latest)."""
    in_window = Q(session_date__gte=window_start, session_date__lte=today)
    return (
        CheckIn.objects.filter(patient_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("session_date").desc(), F("submitted_at").desc()],
            )
        )
        .annotate(wanted=Case(When(in_window, then=Value(1)), default=F("rank")))
        .filter(wanted__lte=SPARKLINE_POINTS)
        .values_list("patient_id", "session_date", "max_pain", "rank")
    )


@prepared
def _versions_in_force(*, ids: tuple[int, ...]) -> QuerySet[ProgramVersion]:
    return (
        ProgramVersion.objects.filter(
            program__patient_id__in=ids, status=ProgramVersion.Status.ACTIVE, program__status=Program.Status.ACTIVE
        )
        .select_related("program")
        .only("start_date", "weekdays", "sessions_per_week", "program__patient")
        .annotate(program_start=first_start(OuterRef("program")))
    )


@prepared
def _pauses_over(*, ids: tuple[int, ...], window_start: date, today: date) -> QuerySet[Pause]:
    return Pause.objects.filter(patient_id__in=ids, starts_on__lte=today, ends_on__gte=window_start).only(
        "patient", "starts_on", "ends_on", "resumed_on"
    )


def caseload_rows(*, patients: list[Patient], today: date) -> list[dict]:
    """Sparkline and 14-day adherence for a page of patients: a fixed number of queries for the page."""
    if not patients:
        return []
    ids = tuple(p.pk for p in patients)
    window_start = today - timedelta(days=checkin_rules.ADHERENCE_WINDOW_DAYS - 1)
    recent: dict[int, list[tuple[date, int]]] = {}
    reported: dict[int, set[date]] = {}
    for patient_id, day, pain, rank in _recent_checkins(ids=ids, window_start=window_start, today=today):
        if rank <= SPARKLINE_POINTS:
            recent.setdefault(patient_id, []).append((day, pain))
        if window_start <= day <= today:
            reported.setdefault(patient_id, set()).add(day)
    versions = {v.program.patient_id: v for v in _versions_in_force(ids=ids)}
    pauses: dict[int, list] = {}
    for pause in _pauses_over(ids=ids, window_start=window_start, today=today):
        pauses.setdefault(pause.patient_id, []).append(pause)
    rows = []
    for patient in patients:
        version = versions.get(patient.pk)
        adherence = None
        if version is not None:
            start = max(window_start, version.program_start or version.start_date)
            adherence = checkin_rules.adherence(
                start=start,
                end=today,
                reported_days=reported.get(patient.pk, ()),
                paused_days=days_paused(pauses.get(patient.pk, []), start=start, end=today),
                weekdays=version.weekdays,
                sessions_per_week=version.sessions_per_week,
            )["percent"]
        pains = [pain for _day, pain in sorted(recent.get(patient.pk, []))]
        rows.append(
            {
                "patient": patient,
                "adherence": adherence,
                "pains": pains,
                "spark": sparkline(pains, patient.pain_threshold),
            }
        )
    return rows


def sparkline(pains: list[int], threshold: int, *, width: int = 100, height: int = 24) -> dict:
    """SVG coordinates for a small pain line (0-5 from bottom to top) and the threshold line."""
    if not pains:
        return {}
    step = width / max(1, len(pains) - 1)

    def y(value: int) -> float:
        return round(height - value * height / 5, 1)

    points = " ".join(f"{round(i * step, 1)},{y(p)}" for i, p in enumerate(pains))
    return {"points": points, "threshold_y": y(threshold), "width": width, "height": height}


def _own_open(flags: QuerySet[Flag], physio_id: int) -> QuerySet[Flag]:
    return (
        flags.filter(patient__physiotherapist_id=physio_id)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("-urgent", "opened_at")
    )


def own_open_flags(*, physio: User) -> QuerySet[Flag]:
    return _own_open(flags_visible_to(physio), physio.pk)


def own_open_flag_rows(*, physio: User) -> list[Flag]:
    """own_open_flags with what their rows show (flag_rows), as a list: the dashboard's."""
    clinic_id = staff_clinic_id(physio)
    return [] if clinic_id is None else _own_open_flag_rows(clinic_id=clinic_id, physio_id=physio.pk)


@prepared
def _own_open_flag_rows(*, clinic_id: int, physio_id: int) -> QuerySet[Flag]:
    return flag_rows(_own_open(clinic_flags(clinic_id), physio_id))
