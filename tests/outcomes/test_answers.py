"""A patient answering and sending a questionnaire; the scores; the "outcome worse" flag at the MCID's boundary."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flags.models import Flag, FlagEvent
from outcomes import services
from outcomes.models import Measurement, Questionnaire
from patients.services import episode_discharge
from tests.helpers import answer_questionnaire, follow_up_due

pytestmark = pytest.mark.django_db

START = {
    "psfs": {"activities": ["Putting on socks", "Gardening"], "activity-1": 3, "activity-2": 4},
    "pain-week": {"pain": 6},
}


def intake(patient):
    return Questionnaire.objects.get(patient=patient, timepoint="intake")


def measurement(questionnaire, key):
    return questionnaire.measurements.get(instrument__key=key)


def answer(questionnaire, key, question, value):
    return services.questionnaire_answer(
        questionnaire=questionnaire, measurement_id=measurement(questionnaire, key).pk, key=question, value=value
    )


class TestAnswering:
    def test_answers_are_kept_one_at_a_time_and_scored_when_sent(self, patient):
        questionnaire = intake(patient)
        answer(questionnaire, "psfs", "activities", [" Putting on socks ", "", "Gardening"])
        assert measurement(questionnaire, "psfs").answers == {"activities": ["Putting on socks", "Gardening"]}
        answer(questionnaire, "psfs", "activity-1", 3)
        answer(questionnaire, "psfs", "activity-2", 4)
        answer(questionnaire, "pain-week", "pain", 7)
        answer(questionnaire, "pain-week", "pain", 6)  # changed: the answer is replaced
        sent = services.questionnaire_send(questionnaire=questionnaire)
        assert sent.status == "completed" and sent.completed_at is not None
        scores = dict(sent.measurements.values_list("instrument__key", "score"))
        assert scores == {"psfs": Decimal("3.50"), "pain-week": Decimal("6.00")}

    @pytest.mark.parametrize(
        ("key", "question", "value", "message"),
        [
            ("pain-week", "pain", 11, "Choose one of the answers shown."),
            ("pain-week", "pain", -1, "Choose one of the answers shown."),
            ("pain-week", "pain", None, "Choose an answer to go on."),
            ("pain-week", "pain", "not an answer", "Choose one of the answers shown."),
            ("psfs", "activities", [], "Name at least one activity that your back makes hard."),
        ],
    )
    def test_an_answer_out_of_range_or_missing_is_refused_and_nothing_is_kept(
        self, patient, key, question, value, message
    ):
        questionnaire = intake(patient)
        with pytest.raises(ValidationError) as caught:
            answer(questionnaire, key, question, value)
        assert caught.value.message_dict["answer"] == [message]
        assert all(m.answers == {} for m in questionnaire.measurements.all())

    def test_a_question_not_in_the_questionnaire(self, patient):
        questionnaire = intake(patient)
        with pytest.raises(ValidationError, match="not part of your questionnaire"):
            answer(questionnaire, "psfs", "activity-1", 3)  # no activity is named yet
        with pytest.raises(ValidationError, match="not part of your questionnaire"):
            services.questionnaire_answer(questionnaire=questionnaire, measurement_id=999999, key="pain", value=3)

    def test_naming_other_activities_asks_their_ratings_again(self, patient):
        questionnaire = intake(patient)
        answer(questionnaire, "psfs", "activities", ["Socks"])
        answer(questionnaire, "psfs", "activity-1", 3)
        answer(questionnaire, "psfs", "activities", ["Walking the dog", "Socks"])
        assert measurement(questionnaire, "psfs").answers == {"activities": ["Walking the dog", "Socks"]}

    def test_an_incomplete_questionnaire_is_not_sent(self, patient):
        questionnaire = intake(patient)
        answer(questionnaire, "pain-week", "pain", 4)
        with pytest.raises(ValidationError, match="Activities \\(PSFS\\): Name at least one activity"):
            services.questionnaire_send(questionnaire=questionnaire)
        questionnaire.refresh_from_db()
        assert questionnaire.status == "due"
        assert not Measurement.objects.filter(score__isnull=False).exists()

    def test_sent_twice_it_is_stored_once(self, patient):
        questionnaire = answer_questionnaire(intake(patient), START)
        first = questionnaire.completed_at
        again = services.questionnaire_send(questionnaire=questionnaire, now=timezone.now() + timedelta(minutes=1))
        assert again.completed_at == first
        with pytest.raises(ValidationError, match="You have sent this questionnaire already"):
            answer(questionnaire, "pain-week", "pain", 1)
        assert measurement(questionnaire, "pain-week").score == 6

    def test_a_follow_up_for_a_discharged_patient_is_closed(self, patient, physio):
        answer_questionnaire(intake(patient), START)
        follow_up = follow_up_due(patient)
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        # Even one the discharge missed (a form open at that moment) refuses, with the reason.
        Questionnaire.objects.filter(pk=follow_up.pk).update(status="due")
        with pytest.raises(ValidationError, match="Your course of care has ended, so this questionnaire is closed"):
            answer(follow_up, "pain-week", "pain", 3)
        with pytest.raises(ValidationError, match="Your course of care has ended"):
            services.questionnaire_send(questionnaire=follow_up)

    def test_the_discharge_questionnaire_is_answered_after_the_discharge(self, patient, physio):
        answer_questionnaire(intake(patient), START)
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        discharge = Questionnaire.objects.get(patient=patient, timepoint="discharge")
        sent = answer_questionnaire(
            discharge, {"psfs": {"activity-1": 8, "activity-2": 9}, "pain-week": {"pain": 2}, "grc": {"change": 2}}
        )
        assert dict(sent.measurements.values_list("instrument__key", "score")) == {
            "psfs": Decimal("8.50"),
            "pain-week": Decimal("2.00"),
            "grc": Decimal("2.00"),
        }
        assert not Flag.objects.exists()

    def test_a_closed_or_planned_questionnaire(self, patient):
        planned = Questionnaire.objects.get(patient=patient, status="scheduled")
        with pytest.raises(ValidationError, match="not due yet"):
            services.questionnaire_send(questionnaire=planned)
        Questionnaire.objects.filter(pk=intake(patient).pk).update(status="expired")
        with pytest.raises(ValidationError, match="This questionnaire is closed"):
            answer(intake(patient), "pain-week", "pain", 3)


class TestTheActivitiesNamedAtTheStart:
    def test_a_follow_up_rates_the_activities_named_at_the_start(self, patient):
        answer_questionnaire(intake(patient), START)
        follow_up = follow_up_due(patient)
        with pytest.raises(ValidationError, match="not part of your questionnaire"):
            answer(follow_up, "psfs", "activities", ["Something else"])
        sent = answer_questionnaire(follow_up, {"psfs": {"activity-1": 6, "activity-2": 7}, "pain-week": {"pain": 4}})
        assert measurement(sent, "psfs").score == Decimal("6.50")


class TestOutcomeWorse:
    """Rule 20: a follow-up worse than the start by at least the measure's MCID (2 points on the pain rating) raises a
    non-urgent "outcome worse" flag; one point less does not."""

    def follow_up(self, patient, pain: int, psfs=(3, 4)):
        answer_questionnaire(intake(patient), START)  # pain 6 at the start
        return answer_questionnaire(
            follow_up_due(patient),
            {"psfs": {"activity-1": psfs[0], "activity-2": psfs[1]}, "pain-week": {"pain": pain}},
        )

    def test_worse_by_exactly_the_mcid_raises_the_flag(self, patient, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            self.follow_up(patient, pain=8)
        flag = Flag.objects.get(patient=patient)
        assert (flag.reason, flag.urgent, flag.status) == ("outcome_worse", False, "open")
        assert flag.details["rule"] == (
            "A follow-up questionnaire worse than the first by at least the change that matters"
        )
        assert flag.details["explanation"].startswith("Average back pain over the past week: 8 on ")
        assert (
            "6 at the start" in flag.details["explanation"]
            and "worse by 2, and a change of 2 matters" in (flag.details["explanation"])
        )
        assert flag.details["values"]["baseline"] == "6" and flag.details["values"]["worse_by"] == "2"
        assert len(callbacks) == 1  # the physiotherapist's alert, queued once the answers are saved

    def test_one_point_less_does_not(self, patient):
        self.follow_up(patient, pain=7)
        assert not Flag.objects.exists()

    def test_better_does_not(self, patient):
        self.follow_up(patient, pain=2)
        assert not Flag.objects.exists()

    def test_each_worse_measure_is_evidence_on_one_flag(self, patient):
        self.follow_up(patient, pain=9, psfs=(1, 2))  # activities 3.5 -> 1.5: worse by exactly 2 too
        flag = Flag.objects.get(patient=patient)
        assert FlagEvent.objects.filter(flag=flag, kind__in=["raised", "evidence"]).count() == 2

    def test_the_intake_and_the_discharge_raise_no_flag(self, patient, physio):
        answer_questionnaire(intake(patient), START)
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        discharge = Questionnaire.objects.get(patient=patient, timepoint="discharge")
        answer_questionnaire(
            discharge, {"psfs": {"activity-1": 0, "activity-2": 0}, "pain-week": {"pain": 10}, "grc": {"change": -3}}
        )
        assert not Flag.objects.filter(patient=patient).exists()

    def test_without_a_score_at_the_start_there_is_nothing_to_compare(self, patient):
        Questionnaire.objects.filter(pk=intake(patient).pk).update(status="expired")
        answer_questionnaire(
            follow_up_due(patient),
            {"psfs": {"activities": ["Socks"], "activity-1": 1}, "pain-week": {"pain": 10}},
        )
        assert not Flag.objects.exists()
