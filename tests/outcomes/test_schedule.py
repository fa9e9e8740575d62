"""When questionnaires come due: at the start of a course of care, every few weeks (the hourly task, every clinic at
once), and at discharge; nothing is asked twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from outcomes import services
from outcomes.models import Measurement, OutcomeSettings, Questionnaire, ScheduledMeasure
from patients.models import Episode
from patients.services import episode_discharge
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import assert_same_query_count, count_queries

pytestmark = pytest.mark.django_db


def at(clinic, day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(clinic.time_zone))


def keys(questionnaire) -> list[str]:
    return list(questionnaire.measurements.order_by("position").values_list("instrument__key", flat=True))


def of(patient, timepoint, **filters):
    return Questionnaire.objects.filter(patient=patient, timepoint=timepoint, **filters)


class TestIntake:
    def test_registration_asks_the_intake_and_plans_the_first_follow_up(self, patient):
        today = patient.clinic.local_today()
        intake = of(patient, "intake").get()
        assert (intake.status, intake.due_on) == ("due", today)
        assert keys(intake) == ["psfs", "pain-week"]  # the default schedule: no rating of change at the start
        planned = of(patient, "follow_up").get()
        assert (planned.status, planned.due_on) == ("scheduled", today + timedelta(weeks=4))
        assert not planned.measurements.exists()

    def test_a_clinic_that_chose_asks_what_it_chose(self, clinic, physio, licensed):
        services.schedule_update(
            clinic=clinic,
            by=physio,
            follow_up_weeks=6,
            measures={"start-back": (True, False, False), "odi": (True, True, True), "psfs": (False, False, False)},
        )
        patient = make_patient(physio=physio)
        assert keys(of(patient, "intake").get()) == ["odi", "start-back"]
        assert of(patient, "follow_up").get().due_on == clinic.local_today() + timedelta(weeks=6)

    def test_a_clinic_that_asks_nothing_at_the_start(self, clinic, physio):
        services.schedule_update(clinic=clinic, by=physio, follow_up_weeks=4, measures={})
        patient = make_patient(physio=physio)
        assert not of(patient, "intake").exists()
        assert of(patient, "follow_up", status="scheduled").exists()

    def test_the_database_asks_each_timepoint_once(self, patient):
        intake = of(patient, "intake").get()
        with pytest.raises(IntegrityError), transaction.atomic():
            Questionnaire.objects.create(
                episode=intake.episode, patient=patient, clinic=patient.clinic, timepoint="intake", due_on=intake.due_on
            )


class TestFollowUps:
    def test_a_follow_up_comes_due_on_its_day_and_the_next_is_planned(self, patient):
        clinic = patient.clinic
        today = clinic.local_today()
        day = today + timedelta(weeks=4)
        assert services.questionnaires_make_due(now=at(clinic, day - timedelta(days=1)))["due"] == 0
        done = services.questionnaires_make_due(now=at(clinic, day))
        assert done == {"due": 1, "not_asked": 0, "planned": 1}
        follow_up = of(patient, "follow_up", due_on=day).get()
        assert follow_up.status == "due" and keys(follow_up) == ["psfs", "pain-week"]
        assert of(patient, "follow_up", status="scheduled").get().due_on == day + timedelta(weeks=4)

    def test_running_again_changes_nothing(self, patient):
        day = patient.clinic.local_today() + timedelta(weeks=4)
        services.questionnaires_make_due(now=at(patient.clinic, day))
        before = list(Questionnaire.objects.order_by("pk").values_list("pk", "status", "due_on"))
        measurements = Measurement.objects.count()
        assert services.questionnaires_make_due(now=at(patient.clinic, day, hour=13)) == {
            "due": 0,
            "not_asked": 0,
            "planned": 0,
        }
        assert list(Questionnaire.objects.order_by("pk").values_list("pk", "status", "due_on")) == before
        assert Measurement.objects.count() == measurements

    def test_an_unanswered_follow_up_closes_when_the_next_comes_due(self, patient):
        start = patient.clinic.local_today()
        services.questionnaires_make_due(now=at(patient.clinic, start + timedelta(weeks=4)))
        services.questionnaires_make_due(now=at(patient.clinic, start + timedelta(weeks=8)))
        statuses = dict(of(patient, "follow_up").values_list("due_on", "status"))
        assert statuses == {
            start + timedelta(weeks=4): "expired",
            start + timedelta(weeks=8): "due",
            start + timedelta(weeks=12): "scheduled",
        }
        assert of(patient, "intake").get().status == "due"  # the start stays asked: it is the baseline

    def test_each_clinic_by_its_own_day(self, physio):
        sydney = PhysioFactory(clinic=ClinicFactory(name="Harbour", time_zone="Australia/Sydney"))
        london_patient, sydney_patient = make_patient(physio=physio), make_patient(physio=sydney)
        london_day = physio.clinic.local_today() + timedelta(weeks=4)
        Questionnaire.objects.filter(timepoint="follow_up").update(due_on=london_day)
        # 14:00 in London is after midnight in Sydney: both clinics' days have come.
        moment = at(physio.clinic, london_day, hour=14)
        assert services.questionnaires_make_due(now=moment)["due"] == 2
        # At 08:00 in Sydney it is still the day before in London, whatever the season.
        Questionnaire.objects.filter(timepoint="follow_up").delete()
        Questionnaire.objects.bulk_create(
            Questionnaire(
                episode=p.episodes.get(),
                patient=p,
                clinic=p.clinic,
                timepoint="follow_up",
                due_on=london_day + timedelta(days=7),
                status="scheduled",
            )
            for p in (london_patient, sydney_patient)
        )
        sydney_morning = datetime.combine(london_day + timedelta(days=7), datetime.min.time()).replace(
            hour=8, tzinfo=ZoneInfo("Australia/Sydney")
        )
        assert services.questionnaires_make_due(now=sydney_morning)["due"] == 1
        assert Questionnaire.objects.get(timepoint="follow_up", status="due").patient == sydney_patient

    def test_a_clinic_asking_nothing_at_follow_ups_plans_on(self, clinic, physio):
        services.schedule_update(clinic=clinic, by=physio, follow_up_weeks=2, measures={"psfs": (True, False, True)})
        patient = make_patient(physio=physio)
        day = clinic.local_today() + timedelta(weeks=2)
        assert services.questionnaires_make_due(now=at(clinic, day)) == {"due": 0, "not_asked": 1, "planned": 1}
        assert of(patient, "follow_up", due_on=day).get().status == "cancelled"
        assert of(patient, "follow_up", status="scheduled").get().due_on == day + timedelta(weeks=2)

    def test_courses_of_care_from_before_questionnaires_get_their_follow_up_planned(self, patient):
        Questionnaire.objects.filter(patient=patient).delete()
        start = patient.clinic.local_today()
        Episode.objects.filter(patient=patient).update(opened_at=at(patient.clinic, start - timedelta(days=30)))
        done = services.questionnaires_make_due(now=at(patient.clinic, start))
        assert done["planned"] == 1
        # Opened 30 days ago with a follow-up every 4 weeks: the next one is on day 56.
        assert of(patient, "follow_up").get().due_on == start + timedelta(days=26)

    def test_the_query_count_does_not_grow_with_the_patients(self, physio):
        def run(count):
            for _ in range(count):
                make_patient(physio=physio)
            day = physio.clinic.local_today() + timedelta(weeks=4)
            with count_queries() as queries:
                done = services.questionnaires_make_due(now=at(physio.clinic, day))
            return queries, done

        few, done_few = run(2)
        many, done_many = run(8)  # the first two are asked already: their next follow-up is weeks away
        assert (done_few["due"], done_many["due"]) == (2, 8)
        assert_same_query_count(few, many, what="making follow-ups due")

    def test_the_command_twin(self, patient, capsys):
        call_command("make_questionnaires_due")
        assert "follow-up questionnaires due" in capsys.readouterr().out


class TestDischarge:
    def test_discharge_closes_what_is_open_and_asks_the_discharge_questionnaire(self, patient, physio):
        services.questionnaires_make_due(now=at(patient.clinic, patient.clinic.local_today() + timedelta(weeks=4)))
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        statuses = {(q.timepoint, q.status) for q in Questionnaire.objects.filter(patient=patient)}
        assert statuses == {
            ("intake", "expired"),
            ("follow_up", "expired"),
            ("follow_up", "cancelled"),
            ("discharge", "due"),
        }
        assert keys(of(patient, "discharge").get()) == ["psfs", "pain-week", "grc"]
        # No follow-up comes due for the discharged patient.
        later = at(patient.clinic, patient.clinic.local_today() + timedelta(weeks=20))
        assert services.questionnaires_make_due(now=later)["due"] == 0


class TestScheduleChoice:
    def test_bad_choices_are_refused_and_nothing_is_kept(self, clinic, physio):
        with pytest.raises(ValidationError) as caught:
            services.schedule_update(
                clinic=clinic,
                by=physio,
                follow_up_weeks=0,
                measures={"grc": (True, False, True), "odi": (True, False, False)},
            )
        errors = caught.value.message_dict
        assert errors["follow_up_weeks"] == ["Give a number of weeks from 1 to 26."]
        assert "Global rating of change is not meant to be asked at the start." in errors["measures"][0]
        assert "'odi' is not an instrument your clinic can use." in errors["measures"][0]
        assert not OutcomeSettings.objects.exists() and not ScheduledMeasure.objects.exists()

    def test_another_clinics_licensed_instrument_is_not_ours(self, clinic, physio, licensed):
        other = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
        with pytest.raises(ValidationError, match="'odi' is not an instrument your clinic can use"):
            services.schedule_update(clinic=other.clinic, by=other, follow_up_weeks=4, measures={"odi": (1, 0, 0)})
