"""Reminders on planned session days (docs/clinical-rules.md, "Reminders"): due at the patient's time on their clinic's
clock, never on a day not planned, a paused day, after a report, or after discharge; a rerun sends nothing twice."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command

from patients.models import DischargeReason
from patients.services import episode_discharge, pause_create
from programs import services as program_services
from reminders import services
from reminders.models import ReminderSent
from tests.helpers import send_checkin

from .conftest import at, last_weekday_before, recent_weekday

pytestmark = pytest.mark.django_db

AUCKLAND, HONOLULU = "Pacific/Auckland", "Pacific/Honolulu"  # 23 hours apart in December, 22 in June


def reminded(now) -> set[str]:
    """Run the beat task at `now`; the addresses it e-mailed."""
    before = len(mail.outbox)
    services.reminders_send_sessions(now=now)
    return {message.to[0] for message in mail.outbox[before:]}


def test_due_at_the_patients_time_on_a_planned_day_and_not_before(build):
    patient, _ = build(weekdays=[2])  # Wednesdays, at the default 18:00
    wednesday = last_weekday_before(2)
    zone = patient.clinic.time_zone
    assert reminded(at(zone, wednesday, 17, 59)) == set()
    assert reminded(at(zone, wednesday, 18, 0)) == {patient.user.email}
    assert reminded(at(zone, wednesday + timedelta(days=1), 18, 0)) == set()  # Thursday is not planned


def test_around_local_midnight_in_two_far_apart_time_zones(build):
    """Auckland and Honolulu are nearly a whole day apart: each is reminded on its own Wednesday, late in the evening,
    and neither on its Thursday, whatever day it is in UTC or in the other clinic."""
    north, _ = build(time_zone=AUCKLAND, weekdays=[2], reminder_time=time(23, 30))
    south, _ = build(time_zone=HONOLULU, weekdays=[2], reminder_time=time(23, 30))
    wednesday = last_weekday_before(2)
    # Auckland's Wednesday 23:45 is Honolulu's Wednesday 00:45 (or 01:45): before Honolulu's time.
    assert reminded(at(AUCKLAND, wednesday, 23, 29)) == set()
    assert reminded(at(AUCKLAND, wednesday, 23, 45)) == {north.user.email}
    # Auckland's Thursday 00:15: its Wednesday is over, and a missed reminder is not sent the day after.
    assert ReminderSent.objects.filter(patient=north).count() == 1
    ReminderSent.objects.filter(patient=north).delete()
    assert reminded(at(AUCKLAND, wednesday + timedelta(days=1), 0, 15)) == set()
    # Honolulu's Wednesday 23:45 is Auckland's Thursday evening: only Honolulu's patient.
    assert reminded(at(HONOLULU, wednesday, 23, 45)) == {south.user.email}
    assert reminded(at(HONOLULU, wednesday + timedelta(days=1), 0, 15)) == set()


def test_a_reminder_at_midnight_belongs_to_the_day_that_starts(build):
    north, _ = build(time_zone=AUCKLAND, weekdays=[2], reminder_time=time(0, 0))
    south, _ = build(time_zone=HONOLULU, weekdays=[2], reminder_time=time(0, 0))
    wednesday = last_weekday_before(2)
    for zone, patient in ((AUCKLAND, north), (HONOLULU, south)):
        assert reminded(at(zone, wednesday - timedelta(days=1), 23, 59)) == set()
        assert reminded(at(zone, wednesday, 0, 0)) == {patient.user.email}
        assert ReminderSent.objects.get(patient=patient).local_date == wednesday


def test_not_after_a_report_that_day(build):
    patient, version = build(weekdays=[2])
    wednesday = recent_weekday(patient.clinic, 2)
    send_checkin(version, days_ago=(patient.clinic.local_today() - wednesday).days)
    assert reminded(at(patient.clinic.time_zone, wednesday, 19)) == set()


def test_a_report_of_another_day_does_not_count(build):
    patient, version = build(weekdays=[2])
    wednesday = recent_weekday(patient.clinic, 2, then=0)
    send_checkin(version, days_ago=(patient.clinic.local_today() - wednesday).days + 1)
    assert reminded(at(patient.clinic.time_zone, wednesday, 19)) == {patient.user.email}


def test_not_on_a_paused_day(build):
    patient, _ = build(weekdays=[2])
    today = patient.clinic.local_today()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7)  # pauses are planned from today on
    pause_create(
        patient=patient,
        created_by=patient.physiotherapist,
        starts_on=today,
        ends_on=wednesday,
        reason="Holiday",
    )
    zone = patient.clinic.time_zone
    assert reminded(at(zone, wednesday, 19)) == set()
    assert reminded(at(zone, wednesday + timedelta(days=7), 19)) == {patient.user.email}  # the pause is over


def test_not_for_a_discharged_patient(build):
    patient, _ = build(weekdays=[2])
    episode_discharge(patient=patient, by=patient.physiotherapist, reason=DischargeReason.GOALS_MET)
    wednesday = last_weekday_before(2)
    assert reminded(at(patient.clinic.time_zone, wednesday, 19)) == set()


def test_not_when_turned_off_or_without_a_channel(build):
    off, _ = build(weekdays=[2], reminder_time=time(18), sessions=False)
    silent, _ = build(weekdays=[2], reminder_time=time(18), email=False, push=True)  # push, but no browser subscribed
    on, _ = build(weekdays=[2], reminder_time=time(18))
    wednesday = last_weekday_before(2)
    assert reminded(at("Europe/London", wednesday, 19)) == {on.user.email}
    assert not ReminderSent.objects.filter(patient__in=[off, silent]).exists()


def test_a_number_of_sessions_a_week_plans_each_day_until_the_week_is_done(build):
    patient, version = build(weekdays=[], sessions_per_week=2)
    monday = recent_weekday(patient.clinic, 0, then=1)
    zone = patient.clinic.time_zone
    ago = (patient.clinic.local_today() - monday).days
    send_checkin(version, days_ago=ago)
    assert reminded(at(zone, monday, 19)) == set()  # reported that day
    assert reminded(at(zone, monday + timedelta(days=1), 19)) == {patient.user.email}  # one of two done
    send_checkin(version, days_ago=ago - 1)
    assert reminded(at(zone, monday + timedelta(days=2), 19)) == set()  # both done: the rest of the week is free
    assert reminded(at(zone, monday + timedelta(days=6), 19)) == set()
    assert reminded(at(zone, monday + timedelta(days=7), 19)) == {patient.user.email}  # a new week


def test_a_flare_up_plan_in_force_brings_its_own_schedule(build, library):
    patient, version = build(weekdays=[2])
    program, physio = version.program, patient.physiotherapist
    draft = program_services.flare_plan_prepare(program=program, created_by=physio)
    program_services.program_set_schedule(
        version=draft, title="P", start_date=draft.start_date, weekdays=[3], sessions_per_week=None
    )
    program_services.flare_plan_keep(version=draft, by=physio, progression_reason="Gentler")
    flare_up, _ = program_services.flare_up_start(patient=patient)
    today, zone = patient.clinic.local_today(), patient.clinic.time_zone
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7)
    thursday = today + timedelta(days=(3 - today.weekday()) % 7)
    in_force = [day for day in (wednesday, thursday) if flare_up.covers(day)]
    assert in_force, "the flare-up lasts the clinic's days, at least one of a Wednesday or a Thursday"
    for day in in_force:
        expected = {patient.user.email} if day.weekday() == 3 else set()
        assert reminded(at(zone, day, 19)) == expected, day


def test_rerunning_sends_nothing_twice(build):
    patient, _ = build(weekdays=[2])
    wednesday = last_weekday_before(2)
    zone = patient.clinic.time_zone
    assert services.reminders_send_sessions(now=at(zone, wednesday, 18, 5)) == 1
    assert services.reminders_send_sessions(now=at(zone, wednesday, 18, 5)) == 0
    assert services.reminders_send_sessions(now=at(zone, wednesday, 21, 0)) == 0
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.filter(patient=patient).count() == 1


def test_the_command_twin_runs_the_same_task(build, capsys):
    build(weekdays=list(range(7)), reminder_time=time(0, 0))
    call_command("send_session_reminders")
    call_command("send_session_reminders")
    assert len(mail.outbox) == 1
    assert "Session reminders sent: 0." in capsys.readouterr().out


def test_the_email_says_what_to_do_and_how_to_stop(build):
    patient, _ = build(weekdays=[2])
    reminded(at(patient.clinic.time_zone, last_weekday_before(2), 18))
    (message,) = mail.outbox
    reminder = ReminderSent.objects.get()
    assert message.subject == "Time for today's back exercises"
    stop = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/reminders/stop/" in stop and stop in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert reminder.emailed and reminder.pushed == 0


def test_one_query_per_time_zone_whatever_the_patients(build, django_assert_max_num_queries):
    from reminders.selectors import due_session_reminders, zones

    for _ in range(3):
        build(weekdays=[2])
    wednesday = last_weekday_before(2)
    (zone,) = zones(now=at("Europe/London", wednesday, 19))
    with django_assert_max_num_queries(1):
        assert len(due_session_reminders(zone=zone)) == 3


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened and failing for one address."""

    opened = 0
    fail_for = ""

    def open(self):
        CountingBackend.opened += 1
        return super().open()

    def send_messages(self, messages):
        if any(CountingBackend.fail_for in message.to for message in messages):
            raise OSError("the mail server hung up")
        return super().send_messages(messages)


def test_a_batch_shares_one_mail_connection_and_one_failure_stops_no_other(build, settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    clinic = build(weekdays=[2])[0].clinic
    patients = [build(weekdays=[2], clinic=clinic, address=f"p{n}@example.com")[0] for n in range(3)]
    CountingBackend.opened, CountingBackend.fail_for = 0, "p1@example.com"
    wednesday = last_weekday_before(2)
    assert services.reminders_send_sessions(now=at(clinic.time_zone, wednesday, 18, 5)) == 3
    assert {message.to[0] for message in mail.outbox} == {p.user.email for p in patients} - {"p1@example.com"} | {
        ReminderSent.objects.exclude(patient__in=patients).get().patient.user.email
    }
    assert CountingBackend.opened == 1
    assert ReminderSent.objects.get(patient=patients[1]).emailed is False
