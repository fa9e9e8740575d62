from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from checkins import rules as checkin_rules
from checkins.models import CheckIn
from patients.models import Patient
from programs.models import ExerciseMedia, Program, ProgramTemplate, ProgramVersion
from rehab.models import AuditEvent, Clinic

pytestmark = pytest.mark.django_db


def test_demo_data_is_believable_and_a_second_run_adds_nothing(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        call_command("seed_demo")
    said = capsys.readouterr().out
    assert "8 patients and 6 programs loaded" in said and "Every demo account's password" in said
    assert not [task for task in queued if "set_password" in task.__qualname__]  # demo accounts have theirs
    counts = (Patient.objects.count(), Program.objects.count(), CheckIn.objects.count(), AuditEvent.objects.count())
    assert all(counts)
    assert AuditEvent.objects.filter(outcome="refused").exists()  # the audit trail shows a refused attempt
    call_command("seed_demo")
    assert "already loaded, nothing added" in capsys.readouterr().out
    assert (Patient.objects.count(), Program.objects.count(), CheckIn.objects.count(), AuditEvent.objects.count()) == (
        counts
    )
    (photo,) = ExerciseMedia.objects.all()  # the clinic's own photo of one exercise, made once
    assert (photo.kind, photo.exercise.key) == ("photo", "glute-bridge")

    clinic = Clinic.objects.get()
    assert clinic.phone
    today, now, tz = clinic.local_today(), timezone.now(), clinic.tzinfo
    birthdays = {(p.date_of_birth.month, p.date_of_birth.day) for p in Patient.objects.all()}
    assert len(birthdays) == Patient.objects.count()  # not everybody's birthday today
    for version in ProgramVersion.objects.exclude(activated_at=None):
        assert version.activated_at.astimezone(tz).date() == version.start_date  # in force from its first day
    for checkin in CheckIn.objects.all():
        assert checkin.submitted_at <= now
        assert checkin.submitted_at.astimezone(tz).date() == checkin.session_date  # reported the same day
        if checkin.session_date < today - timedelta(days=1):
            assert not checkin_rules.can_correct(submitted_at=checkin.submitted_at, now=now)  # too late to correct


def test_demo_data_shows_the_safety_features():
    from checkins.models import SymptomReport
    from flags.models import Flag
    from patients.selectors import threshold_reviews_due
    from rehab.models import User

    call_command("seed_demo")
    assert Patient.objects.exclude(phone="").exists()
    alex = User.objects.get(email="alex.morgan@riverside.example")
    assert [p.user.email for p in threshold_reviews_due(physio=alex)] == ["aisha.khan@example.com"]
    report = SymptomReport.objects.get(patient__user__email="peter.novak@example.com")
    assert Flag.objects.filter(events__symptom_report=report, reason="sharp_pain").exists()


def test_demo_data_shows_courses_of_care_and_outcomes(client):
    from django.urls import reverse

    from outcomes.models import Measurement, Questionnaire
    from patients.models import Episode

    call_command("seed_demo")
    counts = (Episode.objects.count(), Questionnaire.objects.count(), Measurement.objects.count())
    discharged = Episode.objects.get(discharged_at__isnull=False)
    assert discharged.patient.user.email == "david.okafor@example.com" and discharged.discharge_reason == "goals_met"
    # A questionnaire due for the patient whose login the README gives.
    maria = Patient.objects.get(user__email="maria.lopez@example.com")
    assert Questionnaire.objects.filter(patient=maria, status="due").exists()
    # Results over time: three or more answered questionnaires for the discharged patient, two for Aisha Khan.
    answered = Questionnaire.objects.filter(status="completed")
    assert answered.filter(patient=discharged.patient).count() == 4
    assert answered.filter(patient__user__email="aisha.khan@example.com").count() == 2
    client.force_login(discharged.patient.physiotherapist)
    summary = client.get(reverse("outcomes:summary", args=[discharged.pk])).content.decode()
    assert "Discharge summary" in summary and "Better by at least the change that matters" in summary
    call_command("seed_demo")
    assert (Episode.objects.count(), Questionnaire.objects.count(), Measurement.objects.count()) == counts


def test_demo_data_shows_progress_and_flare_ups():
    from flags.models import Flag
    from flags.progress import ready_to_progress
    from programs.models import FlareUp
    from rehab.models import User

    call_command("seed_demo")
    alex = User.objects.get(email="alex.morgan@riverside.example")
    assert [v.program.patient.user.email for v, _ in ready_to_progress(physio=alex)] == ["grace.lee@example.com"]
    kept = ProgramVersion.objects.filter(status=ProgramVersion.Status.ASIDE)
    assert sorted(v.program.patient.user.email for v in kept) == ["lena.schmidt@example.com", "tom.becker@example.com"]
    (flare_up,) = FlareUp.objects.all()
    assert flare_up.patient.user.email == "tom.becker@example.com" and flare_up.plan is not None
    assert Flag.objects.filter(reason="flare_up", patient=flare_up.patient).exists()
    call_command("seed_demo")
    assert (FlareUp.objects.count(), ProgramVersion.objects.filter(status="aside").count()) == (1, 2)


def test_demo_data_shows_a_patients_calendar(client):
    from django.urls import reverse
    from icalendar import Calendar

    from programs.models import CalendarFeed

    call_command("seed_demo")
    call_command("seed_demo")  # a second run keeps the link it made
    (feed,) = CalendarFeed.objects.all()
    assert feed.patient.user.email == "maria.lopez@example.com"
    cal = Calendar.from_ical(client.get(reverse("programs:calendar_feed", args=[feed.token])).content)
    assert cal.walk("VEVENT")  # her planned sessions


def test_the_demo_clinic_shows_every_feature_on_first_login(client):
    """What each page's own selector finds in the demo clinic on the first login: a clinic template, a patient ready
    to progress, a flare-up plan and a patient in a flare-up, a questionnaire due, a discharged patient with a summary,
    the clinic's own photo of one exercise (stored, and served to staff), and open flags of every reason, some past
    their deadline. A second seed adds nothing."""
    from django.core.files.storage import storages
    from django.urls import reverse

    from flags import rules as flag_rules
    from flags.models import Flag, FlagReason
    from flags.progress import ready_to_progress
    from flags.selectors import flag_counts, flag_queue
    from outcomes.selectors.results import due_questionnaires
    from patients.models import Episode
    from programs.selectors import flare_ups_visible_to, media_visible_to, templates_visible_to
    from rehab.models import User

    call_command("seed_demo")
    admin = User.objects.get(email="admin@riverside.example")
    alex = User.objects.get(email="alex.morgan@riverside.example")
    sam = User.objects.get(email="sam.patel@riverside.example")

    assert [t.name for t in templates_visible_to(alex)] == ["Early-stage back strength"]
    assert [t.items.count() for t in templates_visible_to(alex)] == [4]
    assert [v.program.patient.user.email for v, _ in ready_to_progress(physio=alex)] == ["grace.lee@example.com"]
    assert ProgramVersion.objects.filter(status=ProgramVersion.Status.ASIDE, program__patient__clinic=alex.clinic)
    assert [f.patient.user.email for f in flare_ups_visible_to(sam)] == ["tom.becker@example.com"]
    maria = Patient.objects.get(user__email="maria.lopez@example.com")
    assert due_questionnaires(patient=maria)
    discharged = Episode.objects.get(discharged_at__isnull=False)
    client.force_login(discharged.patient.physiotherapist)
    assert client.get(reverse("outcomes:summary", args=[discharged.pk])).status_code == 200
    (photo,) = media_visible_to(alex)
    assert photo.exercise.key == "glute-bridge" and storages["exercise_media"].exists(photo.file_name)

    queue = list(flag_queue(user=admin))
    # Every reason the flag rules know (flags.rules.REASON_*), each with an unresolved flag in the admin's queue.
    every_reason = {value for name, value in vars(flag_rules).items() if name.startswith("REASON_")}
    assert every_reason == set(FlagReason.values)
    assert {flag.reason for flag in queue} == every_reason
    counts = flag_counts(user=admin, now=timezone.now())
    assert counts["overdue"] >= 2
    assert any(flag.reason == "warning_symptoms" for flag in queue)

    before = (
        Flag.objects.count(),
        ProgramTemplate.objects.count(),
        ExerciseMedia.objects.count(),
        Episode.objects.count(),
        ProgramVersion.objects.count(),
    )
    call_command("seed_demo")
    after = (
        Flag.objects.count(),
        ProgramTemplate.objects.count(),
        ExerciseMedia.objects.count(),
        Episode.objects.count(),
        ProgramVersion.objects.count(),
    )
    assert after == before


def test_demo_patients_have_reminders_on():
    from datetime import time

    from reminders.models import ReminderSettings

    call_command("seed_demo")
    rows = ReminderSettings.objects.select_related("patient__user")
    assert rows.count() == Patient.objects.count()
    assert all(row.sessions and row.nudges and row.email and row.push for row in rows)
    assert rows.get(patient__user__email="maria.lopez@example.com").time == time(7, 30)
    call_command("seed_demo")
    assert ReminderSettings.objects.count() == Patient.objects.count()
