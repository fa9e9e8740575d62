"""Adherence over spans of days (a course of care), many at once: each version of the program while it was in force,
paused days left out, in a fixed number of queries."""

from datetime import date, timedelta

import pytest

from checkins.selectors import adherence_over, days_paused
from patients.models import Pause
from patients.services import pause_create
from programs.models import ProgramVersion
from programs.services import program_activate, program_revise
from tests.factories import make_patient
from tests.helpers import assert_same_query_count, count_queries, send_checkin

pytestmark = pytest.mark.django_db


def test_each_version_while_in_force_and_pauses_left_out(active, physio):
    patient = active.program.patient
    today = patient.clinic.local_today()
    # Version 1 (Mon, Wed, Fri) from ten days ago; version 2, every day, from three days ago.
    revision = program_revise(program=active.program, created_by=physio)
    revision.weekdays, revision.sessions_per_week = [0, 1, 2, 3, 4, 5, 6], None
    revision.save(update_fields=["weekdays", "sessions_per_week"])
    program_activate(version=revision, activated_by=physio, progression_reason="Daily now")
    ProgramVersion.objects.filter(pk=revision.pk).update(start_date=today - timedelta(days=3))
    pause_create(patient=patient, created_by=physio, starts_on=today, ends_on=today, reason="Ill")
    revision.refresh_from_db()
    for days_ago in (1, 2):
        send_checkin(revision, days_ago=days_ago)
    start = today - timedelta(days=10)
    first = sum(1 for n in range(7) if (start + timedelta(days=n)).weekday() in (0, 2, 4))
    (figures,) = adherence_over({"episode": (patient.pk, start, today)}).values()
    # Version 2 plans today (paused) and the three days before it.
    assert figures == {"reported": 2, "planned": first + 3, "percent": round(200 / (first + 3))}


def test_a_version_put_in_force_later_with_an_earlier_start_and_one_batch_or_many(active, physio):
    """Versions in the order they were put in force, each until the next one's start: one that starts after a course
    of care ended plays no part in it, whichever other spans are asked about at the same time."""
    patient = active.program.patient
    today = patient.clinic.local_today()
    every_day = [0, 1, 2, 3, 4, 5, 6]
    ProgramVersion.objects.filter(pk=active.pk).update(start_date=today - timedelta(days=20), weekdays=every_day)
    for days_ago in (2, 12):  # put in force in this order: the second starts before the first
        revision = program_revise(program=active.program, created_by=physio)
        revision.weekdays, revision.sessions_per_week = every_day, None
        revision.save(update_fields=["weekdays", "sessions_per_week"])
        program_activate(version=revision, activated_by=physio, progression_reason="Changed")
        ProgramVersion.objects.filter(pk=revision.pk).update(start_date=today - timedelta(days=days_ago))
    course = (patient.pk, today - timedelta(days=20), today - timedelta(days=5))
    alone = adherence_over({"course": course})["course"]
    with_another = adherence_over({"course": course, "later": (patient.pk, today - timedelta(days=3), today)})
    # Version 1 from 20 days ago to 13 days ago, then the version starting 12 days ago: 16 days planned, not counted
    # twice, the version starting two days ago (after the course ended) left out.
    assert alone == {"reported": 0, "planned": 16, "percent": 0}
    assert with_another["course"] == alone


def test_no_program_means_nothing_planned(patient):
    today = patient.clinic.local_today()
    assert adherence_over({1: (patient.pk, today - timedelta(days=7), today)}) == {
        1: {"reported": 0, "planned": 0, "percent": None}
    }
    assert adherence_over({}) == {}


def test_the_query_count_does_not_grow_with_the_spans(active, physio):
    today = active.program.patient.clinic.local_today()
    spans = {active.pk: (active.program.patient_id, today - timedelta(days=10), today)}
    with count_queries() as few:
        adherence_over(spans)
    for n in range(4):
        other = make_patient(physio=physio)
        spans[n] = (other.pk, today - timedelta(days=5), today)
    with count_queries() as many:
        adherence_over(spans)
    assert_same_query_count(few, many, what="adherence over spans")


@pytest.mark.parametrize(
    "pauses, expected",
    [
        ([], set()),
        ([(-3, 2, None)], {0, 1, 2}),  # begun before the span: from its first day
        ([(8, 12, None)], {8, 9}),  # ends after it: to its last day
        ([(2, 6, 5)], {2, 3, 4}),  # resumed early: to the day before
        ([(2, 6, 2)], set()),  # resumed the day it began
        ([(1, 3, None), (3, 4, None)], {1, 2, 3, 4}),  # overlapping pauses count each day once
        ([(11, 15, None)], set()),  # after the span
    ],
)
def test_days_paused_within_the_span(pauses, expected):
    start = date(2026, 3, 2)
    day = lambda n: start + timedelta(days=n)  # noqa: E731
    found = days_paused(
        [Pause(starts_on=day(a), ends_on=day(b), resumed_on=day(r) if r is not None else None) for a, b, r in pauses],
        start=start,
        end=day(9),
    )
    assert found == frozenset(day(n) for n in expected)
