"""Flare-up plans and flare-ups (docs/clinical-rules.md, rule 18): kept ready by the physiotherapist, started with one
tap by the patient, in force for the clinic's days (to its midnight), ended early by either, and how it went."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from checkins.models import CheckIn
from flags import services as flag_services
from flags.models import Flag, FlagEvent
from programs import selectors, services
from programs.models import FlareUp, ProgramVersion
from rehab.models import Clinic
from tests.factories import make_patient
from tests.helpers import add_exercises, checkin_form_data, count_queries, send_checkin

pytestmark = pytest.mark.django_db


def keep_plan(active, physio, **schedule):
    """A flare-up plan for the program in force, prepared (made easier) and kept ready."""
    draft = services.flare_plan_prepare(program=active.program, created_by=physio)
    if schedule:
        services.program_set_schedule(
            version=draft, title=active.program.title, start_date=draft.start_date, **schedule
        )
    return services.flare_plan_keep(version=draft, by=physio)


@pytest.fixture
def plan(active, physio):
    return keep_plan(active, physio)


class TestFlareUpPlan:
    def test_prepared_easier_than_the_program_and_kept_aside(self, client, active, physio):
        client.force_login(physio)
        response = client.post(reverse("programs:flare_plan_new", args=[active.program_id]))
        draft = ProgramVersion.objects.get(status=ProgramVersion.Status.DRAFT)
        assert response.url == reverse("programs:builder", args=[draft.pk])
        assert (draft.kind, draft.based_on_id) == (ProgramVersion.Kind.FLARE_UP, active.pk)
        assert [(i.exercise.key, i.reps) for i in draft.items.order_by("position")] == [
            ("dead-bug", 6),
            ("clamshell", 9),
        ]
        html = client.get(reverse("programs:builder", args=[draft.pk])).content.decode()
        assert "Keep this plan ready" in html and "Activate program" not in html
        client.post(reverse("programs:builder_activate", args=[draft.pk]))
        draft.refresh_from_db()
        active.refresh_from_db()
        assert draft.status == ProgramVersion.Status.ASIDE and draft.activated_at is None
        assert active.status == ProgramVersion.Status.ACTIVE  # the program in force is untouched
        assert selectors.active_version_for(active.program.patient).pk == active.pk
        html = client.get(reverse("programs:patient", args=[active.program.patient_id])).content.decode()
        assert f'Kept ready: <a href="{reverse("programs:version", args=[draft.pk])}">version 2</a>' in html

    def test_an_easier_variant_is_taken_when_it_is_less_work(self, patient, physio, library):
        program = services.program_create(
            patient=patient, created_by=physio, title="P", start_date=patient.clinic.local_today(), weekdays=[0, 2, 4]
        )
        add_exercises(program.versions.get(), library, "bird-dog")
        services.program_activate(version=program.versions.get(), activated_by=physio)
        draft = services.flare_plan_prepare(program=program, created_by=physio)
        (item,) = draft.items.all()
        assert (item.exercise.key, item.sets, item.reps, item.hold_seconds) == ("quadruped-leg-slide", 2, 8, None)
        assert "Bird dog moves to" in draft.change_note

    def test_a_new_plan_replaces_the_one_kept_before(self, active, physio, plan):
        newer = keep_plan(active, physio)
        plan.refresh_from_db()
        assert (plan.status, newer.status) == (ProgramVersion.Status.SUPERSEDED, ProgramVersion.Status.ASIDE)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramVersion.objects.filter(pk=plan.pk).update(status=ProgramVersion.Status.ASIDE)

    def test_never_the_program_in_force(self, active, physio, plan):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramVersion.objects.filter(pk=plan.pk).update(status=ProgramVersion.Status.ACTIVE)
        draft = services.flare_plan_prepare(program=active.program, created_by=physio)
        with pytest.raises(ValidationError, match="kept ready, not put in force"):
            services.program_activate(version=draft, activated_by=physio)
        revision = services.program_revise(program=active.program, created_by=physio)
        with pytest.raises(ValidationError, match="Only a flare-up plan is kept ready"):
            services.flare_plan_keep(version=revision, by=physio)

    def test_a_revision_and_a_flare_up_plan_are_built_side_by_side(self, active, physio):
        draft = services.flare_plan_prepare(program=active.program, created_by=physio)
        revision = services.program_revise(program=active.program, created_by=physio)
        assert revision.pk != draft.pk and revision.kind == ProgramVersion.Kind.PROGRAM
        assert services.program_revise(program=active.program, created_by=physio).pk == revision.pk
        with pytest.raises(ValidationError, match="A flare-up plan is already being built"):
            services.flare_plan_prepare(program=active.program, created_by=physio)

    def test_the_builders_checks_apply(self, active, physio, library):
        draft = services.flare_plan_prepare(program=active.program, created_by=physio)
        services.program_add_exercise(version=draft, exercise=library["side-plank"])  # a step up, in a flare-up plan
        with pytest.raises(ValidationError, match="give the reason"):
            services.flare_plan_keep(version=draft, by=physio)
        kept = services.flare_plan_keep(version=draft, by=physio, progression_reason="She did side planks before.")
        assert kept.progression_reason == "She did side planks before."


class TestStart:
    def test_one_tap_puts_the_plan_in_force_for_the_clinics_days_and_tells_the_clinic(
        self, active, plan, django_capture_on_commit_callbacks
    ):
        patient = active.program.patient
        today = patient.clinic.local_today()
        with django_capture_on_commit_callbacks() as callbacks:
            flare_up, created = services.flare_up_start(patient=patient)
        assert created and (flare_up.plan_id, flare_up.usual_id) == (plan.pk, active.pk)
        assert (flare_up.starts_on, flare_up.last_day) == (today, today + timedelta(days=2))
        assert flare_up.plan_rest_days == 2  # the plan keeps the Monday, Wednesday, Friday schedule
        assert [c.__qualname__ for c in callbacks] == ["send_task('flags.tasks.flag_flare_up')"]
        version, now = selectors.version_in_force(patient, today=today)
        assert (version.pk, now.pk) == (plan.pk, flare_up.pk)

    def test_what_the_patient_does_today_is_one_read_without_a_flare_up_and_two_with_one(
        self, active, plan, django_assert_num_queries
    ):
        patient = active.program.patient
        today = patient.clinic.local_today()
        with django_assert_num_queries(1):
            version, now = selectors.version_in_force(patient, today=today)
        assert (version.pk, now, version.program_start) == (active.pk, None, active.start_date)
        flare_up, _ = services.flare_up_start(patient=patient)
        with django_assert_num_queries(2):
            version, now = selectors.version_in_force(patient, today=today)
        # The plan carries its program's first day, as the version in force does: a check-in's date is checked on it.
        assert (version.pk, now.pk, version.program_start) == (plan.pk, flare_up.pk, active.start_date)

    def test_the_patient_page_says_so_while_it_lasts(self, client, active, plan, physio):
        patient = active.program.patient
        url = reverse("patients:detail", args=[patient.pk])
        client.force_login(physio)
        with count_queries() as queries:
            page = client.get(url).content.decode()
        assert 'id="flare-up-now"' not in page
        # Without a flare-up, whether one is on comes with the version in force.
        assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "programs_flareup"')]
        services.flare_up_start(patient=patient)
        page = client.get(url).content.decode()
        assert 'id="flare-up-now"' in page and f"on the flare-up plan (version {plan.number})" in page

    def test_the_clinics_number_of_days(self, active, plan):
        Clinic.objects.filter(pk=active.program.patient.clinic_id).update(flare_up_days=1)
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        assert flare_up.last_day == flare_up.starts_on

    def test_a_second_tap_changes_nothing(self, active, plan, django_capture_on_commit_callbacks):
        patient = active.program.patient
        first, _ = services.flare_up_start(patient=patient)
        with django_capture_on_commit_callbacks() as callbacks:
            again, created = services.flare_up_start(patient=patient)
        assert (again.pk, created, FlareUp.objects.count(), callbacks) == (first.pk, False, 1, [])

    def test_with_no_plan_ready_the_usual_program_stays(self, active):
        patient = active.program.patient
        flare_up, created = services.flare_up_start(patient=patient)
        assert created and flare_up.plan is None and flare_up.plan_rest_days is None
        version, now = selectors.version_in_force(patient, today=patient.clinic.local_today())
        assert (version.pk, now.pk) == (active.pk, flare_up.pk)

    def test_with_no_program_in_force_nothing_is_stored(self, patient, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as caught:
            services.flare_up_start(patient=patient)
        assert caught.value.messages == [services.flare_ups.NO_PROGRAM]
        assert (FlareUp.objects.count(), callbacks) == (0, [])

    def test_check_ins_during_it_are_on_the_plan(self, client, active, plan):
        patient = active.program.patient
        services.flare_up_start(patient=patient)
        client.force_login(patient.user)
        page = client.get(reverse("checkins:create"))
        assert page.context["version"].pk == plan.pk
        response = client.post(reverse("checkins:create"), checkin_form_data(plan, max_pain="1"))
        assert response.status_code == 302
        assert CheckIn.objects.get().version_id == plan.pk

    def test_the_plan_takes_no_check_in_once_the_flare_up_is_over(self, active, plan, physio):
        patient = active.program.patient
        flare_up, _ = services.flare_up_start(patient=patient)
        send_checkin(plan)
        services.flare_up_end(flare_up=flare_up, by=physio)
        with pytest.raises(ValidationError, match="This is not your current program"):
            send_checkin(plan)
        assert send_checkin(active).version_id == active.pk

    def test_a_plan_of_an_ended_program_is_not_in_force(self, active, plan, physio, library):
        patient = active.program.patient
        services.flare_up_start(patient=patient)
        today = patient.clinic.local_today()
        new = services.program_create(
            patient=patient, created_by=physio, title="New", start_date=today, weekdays=[1, 3]
        )
        add_exercises(new.versions.get(), library, "bird-dog")
        new_version = services.program_activate(version=new.versions.get(), activated_by=physio, progression_reason="x")
        version, _flare_up = selectors.version_in_force(patient, today=today)
        assert version.pk == new_version.pk


class TestEnd:
    def test_by_time_at_the_clinics_midnight_after_its_last_day(self, active, plan):
        patient = active.program.patient
        flare_up, _ = services.flare_up_start(patient=patient)
        last = flare_up.last_day
        assert selectors.flare_up_in_force(patient, today=last).pk == flare_up.pk
        assert selectors.flare_up_in_force(patient, today=last + timedelta(days=1)) is None
        version, _ = selectors.version_in_force(patient, today=last + timedelta(days=1))
        assert version.pk == active.pk
        # Nothing runs at midnight: the stored flare-up is as it was.
        flare_up.refresh_from_db()
        assert (flare_up.last_day, flare_up.ended_at, flare_up.ended_by) == (last, None, None)

    def test_by_the_patient(self, client, active, plan):
        patient = active.program.patient
        flare_up, _ = services.flare_up_start(patient=patient)
        client.force_login(patient.user)
        response = client.post(reverse("checkins:flare_up_end", args=[flare_up.pk]), follow=True)
        assert "Your usual program is back from today." in response.content.decode()
        flare_up.refresh_from_db()
        today = patient.clinic.local_today()
        assert (flare_up.last_day, flare_up.ended_by_id) == (today - timedelta(days=1), patient.user_id)
        assert response.context["version"].pk == active.pk
        assert response.context["ask"].pk == flare_up.pk  # and asked how it went
        again = client.post(reverse("checkins:flare_up_end", args=[flare_up.pk]), follow=True)
        assert "This flare-up is already over" in again.content.decode()

    def test_by_the_physiotherapist(self, client, active, plan, physio):
        patient = active.program.patient
        flare_up, _ = services.flare_up_start(patient=patient)
        client.force_login(physio)
        page = reverse("programs:patient", args=[patient.pk])
        assert "End the flare-up today" in client.get(page).content.decode()
        client.post(reverse("programs:flare_up_end", args=[flare_up.pk]), {"next": page})
        flare_up.refresh_from_db()
        assert flare_up.ended_by == physio
        assert "ended early by Alex Morgan" in client.get(page).content.decode()

    def test_another_patient_cannot_end_it(self, client, active, plan, physio):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        other = make_patient(physio=physio)
        client.force_login(other.user)
        assert client.post(reverse("checkins:flare_up_end", args=[flare_up.pk])).status_code == 404
        flare_up.refresh_from_db()
        assert flare_up.ended_at is None

    def test_the_database_keeps_an_end_and_its_author_together(self, active, plan):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        with pytest.raises(IntegrityError), transaction.atomic():
            FlareUp.objects.filter(pk=flare_up.pk).update(last_day=flare_up.starts_on)


class TestHowItWent:
    def over(self, active, physio):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        return services.flare_up_end(flare_up=flare_up, by=physio)

    def test_the_patient_answers_once_and_the_physiotherapist_reads_it(self, client, active, plan, physio):
        flare_up = self.over(active, physio)
        (flag,) = [flag_services.flare_up_flag(flare_up_id=flare_up.pk)]
        patient = active.program.patient
        client.force_login(patient.user)
        assert "How did your flare-up go?" in client.get(reverse("checkins:today")).content.decode()
        url = reverse("checkins:flare_up_answer", args=[flare_up.pk])
        client.post(url, {"answer": "better", "note": "Walking helped."})
        flare_up.refresh_from_db()
        assert (flare_up.answer, flare_up.answer_note) == ("better", "Walking helped.")
        assert "How did your flare-up go?" not in client.get(reverse("checkins:today")).content.decode()
        client.force_login(physio)
        for page in (reverse("flags:detail", args=[flag.pk]), reverse("programs:patient", args=[patient.pk])):
            html = client.get(page).content.decode()
            assert "better than when it started" in html and "Walking helped." in html, page

    def test_bad_answers_store_nothing(self, client, active, plan, physio):
        flare_up = self.over(active, physio)
        client.force_login(active.program.patient.user)
        url = reverse("checkins:flare_up_answer", args=[flare_up.pk])
        response = client.post(url, {"answer": "fine-ish"})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        response = client.post(url, {"answer": "same", "note": "x" * 301})
        assert "Keep it under 300 characters." in response.content.decode()
        flare_up.refresh_from_db()
        assert flare_up.answered_at is None
        services.flare_up_answer(flare_up=flare_up, answer="same")
        with pytest.raises(ValidationError, match="already told us"):
            services.flare_up_answer(flare_up=flare_up, answer="worse")

    def test_not_while_it_lasts(self, active, plan):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        with pytest.raises(ValidationError, match="still on"):
            services.flare_up_answer(flare_up=flare_up, answer="better")


class TestFlag:
    def test_a_non_urgent_flare_up_flag_emailed_at_once(self, active, plan, django_capture_on_commit_callbacks):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        with django_capture_on_commit_callbacks() as callbacks:
            flag = flag_services.flare_up_flag(flare_up_id=flare_up.pk)
        assert (flag.reason, flag.urgent) == ("flare_up", False)
        assert flag.details["rule"] == "The patient told the clinic about a flare-up"
        assert flag.details["explanation"].startswith("The patient switched to their flare-up plan (version 2) on ")
        assert flag.details["values"]["plan"] == "version 2"
        assert [c.__qualname__ for c in callbacks] == ["send_task('flags.tasks.send_flag_alert')"]

    def test_with_no_plan_it_says_so(self, active):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        flag = flag_services.flare_up_flag(flare_up_id=flare_up.pk)
        assert "No flare-up plan was ready" in flag.details["explanation"]

    def test_told_once_however_often_the_task_runs(self, active, plan, physio):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        flag = flag_services.flare_up_flag(flare_up_id=flare_up.pk)
        assert flag_services.flare_up_flag(flare_up_id=flare_up.pk) is None
        flag_services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient")
        assert flag_services.flare_up_flag(flare_up_id=flare_up.pk) is None  # not raised again once resolved
        assert (Flag.objects.count(), FlagEvent.objects.filter(flare_up=flare_up).count()) == (1, 1)
        with pytest.raises(IntegrityError), transaction.atomic():
            FlagEvent.objects.create(flag=flag, kind="evidence", flare_up=flare_up)

    def test_the_sweep_tells_about_a_flare_up_whose_task_was_lost(self, active, plan):
        from django.utils import timezone

        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        later = timezone.now() + timedelta(minutes=5)
        assert flag_services.flags_sweep(now=later)["flare_ups"] == 1
        assert flag_services.flags_sweep(now=later)["flare_ups"] == 0
        assert Flag.objects.get().events.get().flare_up_id == flare_up.pk

    def test_the_flag_page_shows_the_flare_up_and_ends_it(self, client, active, plan, physio):
        flare_up, _ = services.flare_up_start(patient=active.program.patient)
        flag = flag_services.flare_up_flag(flare_up_id=flare_up.pk)
        client.force_login(physio)
        html = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
        assert "On the flare-up plan" in html and "End the flare-up today" in html
        client.post(
            reverse("programs:flare_up_end", args=[flare_up.pk]), {"next": reverse("flags:detail", args=[flag.pk])}
        )
        flare_up.refresh_from_db()
        assert flare_up.ended_by == physio


class TestDischarge:
    """A course of care that ends (rule 19) ends a flare-up with it, and a discharged patient starts none."""

    def test_a_discharge_ends_the_flare_up_in_force(self, active, plan, physio):
        from patients.services import episode_discharge

        patient = active.program.patient
        flare_up, _ = services.flare_up_start(patient=patient)
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        flare_up.refresh_from_db()
        today = patient.clinic.local_today()
        assert (flare_up.ended_by, flare_up.last_day) == (physio, today - timedelta(days=1))
        assert selectors.flare_up_in_force(patient, today=today) is None
        assert flag_services.flare_up_flag(flare_up_id=flare_up.pk) is None  # no flag after the course of care ended

    def test_a_discharged_patient_is_told_and_nothing_is_stored(self, client, active, plan, physio):
        from patients.services import episode_discharge

        patient = active.program.patient
        episode_discharge(patient=patient, by=physio, reason="self_managing")
        with pytest.raises(ValidationError) as caught:
            services.flare_up_start(patient=patient)
        assert caught.value.messages == [services.flare_ups.DISCHARGED]
        client.force_login(patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert "I'm having a flare-up" not in html
        response = client.post(reverse("checkins:flare_up_start"), follow=True)
        assert "Your course of care has ended" in response.content.decode()
        assert FlareUp.objects.count() == 0
