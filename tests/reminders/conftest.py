"""Builders for the reminder tests: patients with a program in force since weeks ago, in clinics of any time zone, and
moments given on a clinic's own clock."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from programs import services as program_services
from programs.models import ProgramVersion
from reminders.services import reminder_settings_save
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import add_exercises


def at(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on `day` at `hour`:`minute` on the clock of the time zone `zone`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def last_weekday_before(weekday: int, *, days_back: int = 8) -> date:
    """A day with `weekday` (0 = Monday) at least `days_back` days before today anywhere on earth: a session of that
    day can be reported in every time zone."""
    day = timezone.now().date() - timedelta(days=days_back)
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def recent_weekday(clinic, weekday: int, *, then: int = 0) -> date:
    """The latest day with `weekday` (0 = Monday) on the clinic's calendar such that it and the `then` days after it
    are not in the future: sessions of those days can be reported (up to 7 days back)."""
    today = clinic.local_today()
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    return day if day + timedelta(days=then) <= today else day - timedelta(days=7)


@pytest.fixture
def build(library):
    """make(time_zone=..., weekdays=..., sessions_per_week=..., reminder_time=...) -> (patient, version): a patient of
    a clinic of their own, with a program in force since long before any day the tests use."""

    def make(
        *,
        time_zone: str = "Europe/London",
        weekdays=(2,),
        sessions_per_week=None,
        reminder_time: time | None = None,
        clinic=None,
        address: str | None = None,
        **wants,
    ):
        clinic = clinic or ClinicFactory(time_zone=time_zone)
        physio = PhysioFactory(clinic=clinic)
        patient = make_patient(physio=physio, email=address)
        today = clinic.local_today()
        program = program_services.program_create(
            patient=patient,
            created_by=physio,
            title="P",
            start_date=today,
            weekdays=list(weekdays),
            sessions_per_week=sessions_per_week,
        )
        version = program.versions.get()
        add_exercises(version, library, "dead-bug")
        program_services.program_activate(version=version, activated_by=physio)
        ProgramVersion.objects.filter(pk=version.pk).update(start_date=today - timedelta(days=60))
        version.refresh_from_db()
        if reminder_time is not None or wants:
            settings = {"time": reminder_time or time(18, 0), "sessions": True, "nudges": True, "email": True}
            settings |= {"push": True} | wants
            reminder_settings_save(patient=patient, **settings)
        return patient, version

    return make
