"""The patient's calendar feed: an iCalendar file of their planned sessions and pauses, by a secret link they reset."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from icalendar import Calendar

from patients.models import Pause
from patients.services import episode_discharge, pause_create, pause_resume
from programs import calendar
from programs import services as program_services
from programs.models import CalendarFeed, ProgramVersion
from programs.selectors import calendar_schedule
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import assert_same_query_count, count_queries

pytestmark = pytest.mark.django_db


def feed_url(feed) -> str:
    return reverse("programs:calendar_feed", args=[feed.token])


def fetch(client, feed):
    response = client.get(feed_url(feed))
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def events(cal, summary_starts: str = "") -> list:
    return [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith(summary_starts)]


def all_day(event) -> tuple[date, date]:
    """An all-day event's first and last day."""
    first, after = event.decoded("DTSTART"), event.decoded("DTEND")
    assert type(first) is date and type(after) is date  # a date, not a date and time
    return first, after - timedelta(days=1)


def session_days(cal) -> list[date]:
    return sorted(all_day(e)[0] for e in events(cal, "Back exercises"))


class TestFeed:
    def test_it_parses_and_lists_the_planned_days_of_the_window(self, client, active):
        patient = active.program.patient
        feed = program_services.calendar_feed_reset(patient=patient)
        response = client.get(feed_url(feed))
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == 'inline; filename="exercise-sessions.ics"'
        assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
        cal = Calendar.from_ical(response.content)
        today = patient.clinic.local_today()
        first, last = calendar.window(today)
        program_start = active.start_date  # ten days ago: nothing is planned before it
        expected = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() in (0, 2, 4) and first + timedelta(days=n) >= program_start
        ]
        assert session_days(cal) == expected
        assert expected[-1] > today + timedelta(weeks=11)  # twelve weeks ahead
        assert str(cal["X-WR-TIMEZONE"]) == "Europe/London"
        assert str(cal["VERSION"]) == "2.0" and "Northside Physio" in str(cal["X-WR-CALNAME"])

    def test_the_window_is_four_weeks_back_to_twelve_ahead(self):
        assert calendar.window(date(2026, 12, 2)) == (date(2026, 11, 4), date(2027, 2, 24))

    def test_a_pause_is_an_event_and_its_days_have_no_session(self, client, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        pause = pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today + timedelta(days=7),
            ends_on=today + timedelta(days=13),
            reason="Flu",
        )
        cal = fetch(client, program_services.calendar_feed_reset(patient=patient))
        (paused,) = events(cal, "Exercise program paused")
        assert all_day(paused) == (pause.starts_on, pause.ends_on)
        assert "Flu" not in paused.to_ical().decode()  # the reason stays with the clinic
        assert not [day for day in session_days(cal) if pause.starts_on <= day <= pause.ends_on]
        assert [day for day in session_days(cal) if day > pause.ends_on]  # and sessions resume after it

    def test_a_pause_resumed_early_ends_the_day_before_and_one_cancelled_is_gone(self, client, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        pause = pause_create(
            patient=patient, created_by=physio, starts_on=today, ends_on=today + timedelta(days=13), reason="Holiday"
        )
        Pause.objects.filter(pk=pause.pk).update(starts_on=today - timedelta(days=3))  # it began three days ago
        pause_resume(pause=pause, resumed_by=physio)
        cancelled = pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today + timedelta(days=20),
            ends_on=today + timedelta(days=22),
            reason="Away",
        )
        pause_resume(pause=cancelled, resumed_by=physio)
        cal = fetch(client, program_services.calendar_feed_reset(patient=patient))
        (paused,) = events(cal, "Exercise program paused")
        pause.refresh_from_db()
        assert all_day(paused) == (today - timedelta(days=3), today - timedelta(days=1))
        assert [d for d in session_days(cal) if today <= d <= pause.ends_on]  # sessions are back from today
        assert [d for d in session_days(cal) if cancelled.starts_on <= d <= cancelled.ends_on]

    def test_a_revision_plans_its_own_days_from_its_start(self, client, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        draft = program_services.program_revise(program=active.program, created_by=physio)
        program_services.program_set_schedule(
            version=draft,
            title="Program",
            start_date=today + timedelta(days=1),
            weekdays=[1, 3],
            sessions_per_week=None,
        )
        program_services.program_activate(version=draft, activated_by=physio)
        days = session_days(fetch(client, program_services.calendar_feed_reset(patient=patient)))
        assert {d.weekday() for d in days if d <= today} <= {0, 2, 4}
        assert {d.weekday() for d in days if d > today} == {1, 3}

    def test_a_weekly_count_is_one_event_a_week(self, client, active, physio):
        ProgramVersion.objects.filter(pk=active.pk).update(weekdays=[], sessions_per_week=3)
        patient = active.program.patient
        cal = fetch(client, program_services.calendar_feed_reset(patient=patient))
        weekly = events(cal, "Back exercises: 3 sessions this week")
        assert weekly and len(weekly) == len(events(cal, "Back exercises"))
        starts = [all_day(e)[0] for e in weekly]
        assert all(day.weekday() == 0 for day in starts[1:])  # Mondays, after the program's first week
        assert starts[0] == active.start_date

    def test_after_a_discharge_nothing_is_planned_from_that_day(self, client, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        feed = program_services.calendar_feed_reset(patient=patient)
        episode_discharge(patient=patient, by=physio, reason="goals_met", advice="Keep walking.")
        days = session_days(fetch(client, feed))
        assert days and max(days) < today

    def test_uids_are_stable_from_one_fetch_to_the_next(self, client, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        pause_create(patient=patient, created_by=physio, starts_on=today, ends_on=today, reason="Ill")
        feed = program_services.calendar_feed_reset(patient=patient)
        first, again = fetch(client, feed), fetch(client, feed)
        uids = [str(e["UID"]) for e in first.walk("VEVENT")]
        assert uids == [str(e["UID"]) for e in again.walk("VEVENT")]
        assert len(set(uids)) == len(uids)

    def test_download_is_an_attachment(self, client, active):
        feed = program_services.calendar_feed_reset(patient=active.program.patient)
        response = client.get(feed_url(feed) + "?download=1")
        assert response["Content-Disposition"] == 'attachment; filename="exercise-sessions.ics"'

    def test_it_reads_the_same_number_of_statements_whatever_the_history(self, client, active, physio):
        patient = active.program.patient
        feed = program_services.calendar_feed_reset(patient=patient)
        with count_queries() as few:
            client.get(feed_url(feed))
        today = patient.clinic.local_today()
        for weeks in (2, 4):
            pause_create(
                patient=patient,
                created_by=physio,
                starts_on=today + timedelta(weeks=weeks),
                ends_on=today + timedelta(weeks=weeks, days=2),
                reason="Away",
            )
        draft = program_services.program_revise(program=active.program, created_by=physio)
        program_services.program_activate(version=draft, activated_by=physio)
        with count_queries() as many:
            client.get(feed_url(feed))
        assert_same_query_count(few, many, what="the calendar feed")


class TestLink:
    def test_a_forged_link_is_a_404(self, client, active):
        program_services.calendar_feed_reset(patient=active.program.patient)
        assert client.get(reverse("programs:calendar_feed", args=["x" * 43])).status_code == 404
        assert client.get("/programs/calendar/../../today/.ics").status_code == 404

    def test_reset_makes_a_new_link_and_the_old_one_is_a_404(self, client, active):
        patient = active.program.patient
        old = program_services.calendar_feed_reset(patient=patient)
        old_url = feed_url(old)
        client.force_login(patient.user)
        response = client.post(reverse("programs:calendar_reset"))
        assert response.status_code == 302 and response.url == reverse("patients:my_details") + "#calendar"
        new = CalendarFeed.objects.get(patient=patient)
        assert new.pk == old.pk and new.token != old.token
        client.logout()
        assert client.get(old_url).status_code == 404
        assert client.get(feed_url(new)).status_code == 200

    def test_the_first_link_is_made_by_the_patient_and_shown_on_my_details(self, client, active):
        patient = active.program.patient
        client.force_login(patient.user)
        page = client.get(reverse("patients:my_details")).content.decode()
        assert "Make my calendar link" in page and "webcal://" not in page
        client.post(reverse("programs:calendar_reset"))
        feed = CalendarFeed.objects.get(patient=patient)
        page = client.get(reverse("patients:my_details")).content.decode()
        assert f"webcal://testserver{feed_url(feed)}" in page
        assert f"http://testserver{feed_url(feed)}?download=1" in page
        assert "Reset the link" in page

    def test_each_patient_resets_only_their_own(self, client, active):
        patient = active.program.patient
        other = make_patient(physio=PhysioFactory(clinic=ClinicFactory()))
        theirs = program_services.calendar_feed_reset(patient=other)
        client.force_login(patient.user)
        client.post(reverse("programs:calendar_reset"))
        assert CalendarFeed.objects.get(patient=other).token == theirs.token

    def test_the_database_keeps_one_link_per_patient_and_tokens_of_the_right_form(self, active):
        patient = active.program.patient
        feed = program_services.calendar_feed_reset(patient=patient)
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarFeed.objects.create(patient=patient, token="a" * 43)
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarFeed.objects.filter(pk=feed.pk).update(token="short")
        with pytest.raises(ValidationError):
            CalendarFeed(patient=make_patient(physio=patient.physiotherapist), token="not a token!").full_clean()


class TestSchedule:
    """calendar_schedule, the read behind the feed."""

    def test_a_version_governs_until_the_next_one_starts(self, active, physio, library):
        patient = active.program.patient
        today = patient.clinic.local_today()
        draft = program_services.program_revise(program=active.program, created_by=physio)
        program_services.program_set_schedule(
            version=draft, title="Program", start_date=today + timedelta(days=3), weekdays=[1], sessions_per_week=None
        )
        program_services.program_activate(version=draft, activated_by=physio)
        spans, pauses = calendar_schedule(
            patient=patient, first=today - timedelta(days=28), last=today + timedelta(days=84)
        )
        assert [(s.first, s.last, s.weekdays) for s in spans] == [
            (active.start_date, today + timedelta(days=2), (0, 2, 4)),
            (today + timedelta(days=3), today + timedelta(days=84), (1,)),
        ]
        assert pauses == []

    def test_no_program_no_sessions(self, patient):
        today = patient.clinic.local_today()
        assert calendar_schedule(patient=patient, first=today, last=today + timedelta(days=7)) == ([], [])


def test_the_feed_itself_is_pure():
    """calendar.feed from spans and pauses alone: the days planned, outside the pause."""
    span = calendar.Span(
        first=date(2026, 12, 1), last=date(2026, 12, 14), weekdays=(0, 3), sessions_per_week=None, title="P"
    )
    pause = calendar.PauseSpan(pk=7, first=date(2026, 12, 7), last=date(2026, 12, 10))
    body = calendar.feed(
        patient_id=3,
        host="clinic.example",
        clinic_name="Northside",
        time_zone="Europe/London",
        spans=[span],
        pauses=[pause],
        today_url="https://clinic.example/today/",
        now=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )
    cal = Calendar.from_ical(body)
    assert session_days(cal) == [date(2026, 12, 3), date(2026, 12, 14)]  # Thursday 3rd, Monday 14th: not 7th, 10th
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == [
        "pause-7@clinic.example",
        "session-3-20261203@clinic.example",
        "session-3-20261214@clinic.example",
    ]


def test_a_calendar_may_ask_with_head_and_nothing_else(client, active):
    feed = program_services.calendar_feed_reset(patient=active.program.patient)
    assert client.head(feed_url(feed)).status_code == 200
    assert client.post(feed_url(feed)).status_code == 405
