"""The rest rule while a flare-up lasts (docs/clinical-rules.md, rules 7 and 18): it follows the flare-up plan's
schedule (its first day counts as a session, as a program's start does, and the rests it plans are allowed), then the
clinic's limit again from the clinic's midnight after its last day, or from the day it was ended early."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flags import services
from flags.models import Flag
from programs import services as program_services
from programs.models import ProgramVersion
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import add_exercises

pytestmark = pytest.mark.django_db

# A clinic far from UTC, so that its midnight is not the server's.
TIME_ZONE = "Pacific/Auckland"


def at(clinic, day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(clinic.time_zone))


@pytest.fixture
def setup(library):
    clinic = ClinicFactory(name="Harbour Physio", time_zone=TIME_ZONE, flare_up_days=7)
    physio = PhysioFactory(clinic=clinic)
    patient = make_patient(physio=physio)
    today = clinic.local_today()
    program = program_services.program_create(
        patient=patient, created_by=physio, title="P", start_date=today, weekdays=[0, 2, 4]
    )
    version = program.versions.get()
    add_exercises(version, library, "dead-bug", "clamshell")
    program_services.program_activate(version=version, activated_by=physio)
    ProgramVersion.objects.filter(pk=version.pk).update(start_date=today - timedelta(days=30))
    return clinic, physio, patient, program, today


def keep_plan(program, physio, **schedule):
    draft = program_services.flare_plan_prepare(program=program, created_by=physio)
    program_services.program_set_schedule(version=draft, title="P", start_date=draft.start_date, **schedule)
    return program_services.flare_plan_keep(version=draft, by=physio, progression_reason="Fewer, gentler sessions")


def sweep(clinic, day, hour, minute=0) -> list[Flag]:
    services.flags_sweep_rest(now=at(clinic, day, hour, minute))
    return list(Flag.objects.filter(reason="rest"))


def test_the_plans_planned_rests_are_allowed_until_the_clinics_midnight_after_its_last_day(setup):
    clinic, physio, patient, program, today = setup
    keep_plan(program, physio, weekdays=[], sessions_per_week=1)  # one session a week: up to 6 rest days in a row
    flare_up, _ = program_services.flare_up_start(patient=patient)
    assert (flare_up.plan_rest_days, flare_up.last_day) == (6, today + timedelta(days=6))
    # Four whole days without a session: over the clinic's 2, within the plan's 6.
    assert sweep(clinic, today + timedelta(days=5), 9) == []
    # The plan's last day, a minute before the clinic's midnight: five whole days, still within the plan's rests.
    assert sweep(clinic, today + timedelta(days=6), 23, 59) == []
    # A minute after it: the usual program and the clinic's limit are back, and six whole days are too many.
    (flag,) = sweep(clinic, today + timedelta(days=7), 0, 1)
    assert flag.details["values"] == {"last_session": today.isoformat(), "rest_days": 6, "allowed": 2}
    assert flag.details["rule"] == "More than 2 whole rest days in a row"


def test_the_flare_ups_first_day_counts_as_a_session(setup):
    clinic, physio, patient, program, today = setup
    ProgramVersion.objects.filter(program=program, status="active").update(start_date=today - timedelta(days=2))
    keep_plan(program, physio, weekdays=list(range(7)), sessions_per_week=None)  # every day: no rest planned
    program_services.flare_up_start(patient=patient)  # the program started two days ago: no session since
    # Without the flare-up, three whole days since the start are flagged the day after tomorrow (see below).
    assert sweep(clinic, today + timedelta(days=2), 0, 1) == []
    assert sweep(clinic, today + timedelta(days=3), 23, 59) == []
    (flag,) = sweep(clinic, today + timedelta(days=4), 0, 1)
    assert flag.details["values"]["last_session"] == today.isoformat()
    assert flag.details["values"]["allowed"] == 2  # an everyday plan allows no more rest than the clinic does


def test_ended_early_the_clinics_limit_is_back_from_that_day(setup):
    clinic, physio, patient, program, today = setup
    keep_plan(program, physio, weekdays=[], sessions_per_week=1)
    flare_up, _ = program_services.flare_up_start(patient=patient)
    program_services.flare_up_end(flare_up=flare_up, by=patient.user)
    (flag,) = sweep(clinic, today + timedelta(days=4), 0, 1)  # three whole days since it started
    assert flag.details["values"]["allowed"] == 2


def test_a_flare_up_with_no_plan_leaves_the_rest_rule_as_it_is(setup):
    clinic, physio, patient, program, today = setup
    ProgramVersion.objects.filter(program=program, status="active").update(start_date=today - timedelta(days=2))
    program_services.flare_up_start(patient=patient)
    assert sweep(clinic, today + timedelta(days=1), 23, 59) == []
    (flag,) = sweep(clinic, today + timedelta(days=2), 0, 1)  # three whole days since the program's start
    assert flag.details["values"]["last_session"] == (today - timedelta(days=2)).isoformat()


def test_the_flare_up_starts_on_the_clinics_day_not_the_servers(setup, monkeypatch):
    clinic, physio, patient, program, today = setup
    keep_plan(program, physio, weekdays=[], sessions_per_week=1)
    early = at(clinic, today, 0, 30)  # half past midnight in Auckland: the day before, in UTC
    monkeypatch.setattr("django.utils.timezone.now", lambda: early.astimezone(ZoneInfo("UTC")))
    flare_up, _ = program_services.flare_up_start(patient=patient)
    assert early.astimezone(ZoneInfo("UTC")).date() == today - timedelta(days=1)
    assert flare_up.starts_on == today
