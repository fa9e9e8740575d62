"""The nudge before the rest limit (docs/clinical-rules.md, "Reminders"): on the last day a session keeps the rest flag
away, once per rest, never once the flag is raised."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from flags import services as flag_services
from flags.models import Flag
from programs import services as program_services
from reminders import rules, services
from reminders.models import ReminderSent
from tests.factories import ClinicFactory
from tests.helpers import send_checkin

from .conftest import at, recent_weekday

pytestmark = pytest.mark.django_db


def nudged(patient, day, hour=19) -> bool:
    before = len(mail.outbox)
    services.reminders_send_nudges(now=at(patient.clinic.time_zone, day, hour))
    return any(message.to == [patient.user.email] for message in mail.outbox[before:])


@pytest.fixture
def rested(build):
    """A patient (two whole rest days allowed) whose last session was today."""
    patient, version = build(weekdays=list(range(7)))
    send_checkin(version, days_ago=0)
    return patient, version, patient.clinic.local_today()


@pytest.mark.parametrize(("days_after", "expected"), [(1, False), (2, False), (3, True), (4, False), (5, False)])
def test_only_on_the_last_day_a_session_keeps_the_flag_away(rested, days_after, expected):
    patient, _, last = rested
    assert nudged(patient, last + timedelta(days=days_after)) is expected


def test_the_rule_agrees_with_the_rest_flag(rested):
    """On the nudge's day the sweep raises no rest flag; the day after, with no session, it does."""
    patient, _, last = rested
    day = last + timedelta(days=3)
    assert rules.nudge_due(last_session=last, today=day, allowed_today=2, allowed_tomorrow=2)
    zone = patient.clinic.time_zone
    assert flag_services.flags_sweep_rest(now=at(zone, day, 23, 59)) == 0
    assert flag_services.flags_sweep_rest(now=at(zone, day + timedelta(days=1), 0, 1)) == 1


def test_once_per_rest_and_reruns_send_nothing_twice(rested):
    patient, _, last = rested
    day = last + timedelta(days=3)
    assert nudged(patient, day, 19)
    assert not nudged(patient, day, 19)
    assert not nudged(patient, day, 22)
    (nudge,) = ReminderSent.objects.filter(patient=patient)
    assert (nudge.kind, nudge.rest_since, nudge.local_date) == ("nudge", last, day)


def test_never_after_the_rest_flag_is_raised(build):
    patient, version = build(weekdays=list(range(7)))
    clinic = patient.clinic
    last = recent_weekday(clinic, clinic.local_today().weekday())
    send_checkin(version, days_ago=(clinic.local_today() - last).days)
    # The clinic lowers its limit to one rest day after the patient's rest began: the flag comes first.
    clinic.rest_days_allowed = 1
    clinic.save(update_fields=["rest_days_allowed"])
    flag_services.flags_sweep_rest(now=at(clinic.time_zone, last + timedelta(days=3), 0, 5))
    assert Flag.objects.filter(patient=patient, reason="rest").exists()
    clinic.rest_days_allowed = 2
    clinic.save(update_fields=["rest_days_allowed"])
    assert not nudged(patient, last + timedelta(days=3))


def test_a_resolved_rest_flag_of_the_same_rest_still_means_no_nudge(rested):
    patient, _, last = rested
    flag, _ = flag_services.flag_record(patient=patient, reason="rest", rule="Rest", explanation="", values={})
    Flag.objects.filter(pk=flag.pk).update(rest_since=last)
    flag_services.flag_resolve(flag=flag, by=patient.physiotherapist, outcome="contacted_patient", note="Called")
    assert not nudged(patient, last + timedelta(days=3))


def test_a_session_starts_a_new_rest_with_its_own_nudge(build):
    patient, version = build(weekdays=list(range(7)))
    today = patient.clinic.local_today()
    first = today - timedelta(days=7)
    send_checkin(version, days_ago=7)
    assert nudged(patient, first + timedelta(days=3))
    send_checkin(version, days_ago=3)  # the session of the nudge's day, reported
    second = first + timedelta(days=4)
    assert not nudged(patient, first + timedelta(days=3), 22)
    assert nudged(patient, second + timedelta(days=3))
    assert list(ReminderSent.objects.order_by("local_date").values_list("rest_since", flat=True)) == [first, second]


def test_not_when_turned_off(build):
    patient, version = build(weekdays=list(range(7)), reminder_time=time(18), nudges=False)
    send_checkin(version, days_ago=0)
    assert not nudged(patient, patient.clinic.local_today() + timedelta(days=3))


def test_a_flare_up_plans_longer_rest_moves_the_nudge_to_the_flare_ups_last_day(build):
    """A flare-up plan of one session a week allows six rest days while it lasts: no nudge on the clinic's day; on the
    flare-up's last day, the clinic's limit is back tomorrow, so that is the last day a session keeps the flag away."""
    clinic = ClinicFactory(flare_up_days=4)
    patient, version = build(clinic=clinic, weekdays=list(range(7)))
    physio = patient.physiotherapist
    draft = program_services.flare_plan_prepare(program=version.program, created_by=physio)
    program_services.program_set_schedule(
        version=draft, title="P", start_date=draft.start_date, weekdays=[], sessions_per_week=1
    )
    program_services.flare_plan_keep(version=draft, by=physio, progression_reason="Gentler")
    flare_up, _ = program_services.flare_up_start(patient=patient)
    start = flare_up.starts_on
    assert flare_up.last_day == start + timedelta(days=3)
    assert [day for day in range(1, 6) if nudged(patient, start + timedelta(days=day))] == [3]
    zone = clinic.time_zone
    assert flag_services.flags_sweep_rest(now=at(zone, flare_up.last_day, 23, 59)) == 0
    assert flag_services.flags_sweep_rest(now=at(zone, flare_up.last_day + timedelta(days=1), 0, 1)) == 1


def test_not_when_a_pause_starts_tomorrow(rested):
    from patients.services import pause_create

    patient, _, last = rested
    day = last + timedelta(days=3)  # the last session was today: pauses are planned from today on
    pause_create(
        patient=patient,
        created_by=patient.physiotherapist,
        starts_on=day + timedelta(days=1),
        ends_on=day + timedelta(days=2),
        reason="Holiday",
    )
    assert not nudged(patient, day)


def test_the_command_twin(rested, capsys):
    patient, _, last = rested
    services.reminders_send_nudges(now=at(patient.clinic.time_zone, last + timedelta(days=3), 19))
    call_command("send_rest_nudges")
    assert "Nudges sent: 0." in capsys.readouterr().out
    assert ReminderSent.objects.filter(kind="nudge").count() == 1
