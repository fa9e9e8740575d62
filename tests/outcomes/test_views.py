"""The outcome pages: the patient's questionnaire one question per request, the Today page and the patient page's
parts, the summary of a course of care, and the clinic's choice of measures."""

from decimal import Decimal

import pytest
from django.urls import reverse

from outcomes.models import Measurement, OutcomeSettings, Questionnaire, ScheduledMeasure
from outcomes.services import schedule_update
from patients.services import episode_discharge
from tests.factories import make_patient
from tests.helpers import answer_questionnaire, count_queries, follow_up_due, send_checkin

pytestmark = pytest.mark.django_db

START = {"psfs": {"activities": ["Socks", "Gardening"], "activity-1": 3, "activity-2": 4}, "pain-week": {"pain": 6}}


def intake(patient):
    return Questionnaire.objects.get(patient=patient, timepoint="intake")


class TestOneQuestionPerRequest:
    def url(self, patient):
        return reverse("outcomes:questionnaire", args=[intake(patient).pk])

    def test_the_whole_questionnaire_without_javascript(self, client, patient):
        client.force_login(patient.user)
        url = self.url(patient)
        page = client.get(url).content.decode()
        assert page.count("<legend") == 1
        assert "Question 1 of 2" in page and "Which everyday activities does your back make hard" in page
        step = f"{intake(patient).measurements.get(instrument__key='psfs').pk}:activities"
        response = client.post(url, {"step": step, "names": ["Socks", "Gardening", "", "", ""]})
        assert response.status_code == 302 and response.url == url
        page = client.get(url).content.decode()
        assert "Question 2 of 4" in page and "How well can you manage this today: Socks?" in page
        assert page.count("<legend") == 1 and "Previous question" in page
        psfs = intake(patient).measurements.get(instrument__key="psfs").pk
        pain = intake(patient).measurements.get(instrument__key="pain-week").pk
        # No answer chosen: the same question again, with the message tied to it, and nothing kept.
        page = client.post(url, {"step": f"{psfs}:activity-1"})
        html = page.content.decode()
        assert page.status_code == 200 and 'aria-describedby="answer-error"' in html
        assert "Choose an answer to go on." in html
        assert "activity-1" not in intake(patient).measurements.get(instrument__key="psfs").answers
        client.post(url, {"step": f"{psfs}:activity-1", "answer": "3"})
        client.post(url, {"step": f"{psfs}:activity-2", "answer": "4"})
        # An answer out of range is refused.
        html = client.post(url, {"step": f"{pain}:pain", "answer": "12"}).content.decode()
        assert "Choose one of the answers shown." in html
        client.post(url, {"step": f"{pain}:pain", "answer": "6"})
        review = client.get(url).content.decode()
        assert "Check and send your answers" in review and "Socks; Gardening" in review
        assert client.post(url, {"send": "1"}).status_code == 302
        assert "Thank you" in client.get(url).content.decode()
        assert intake(patient).status == "completed"
        # Sent twice: stored once, and the page says it is sent.
        assert client.post(url, {"send": "1"}).status_code == 302
        assert Questionnaire.objects.filter(patient=patient, status="completed").count() == 1

    def test_resumable_where_the_patient_stopped(self, client, patient):
        client.force_login(patient.user)
        pain = intake(patient).measurements.get(instrument__key="pain-week").pk
        psfs = intake(patient).measurements.get(instrument__key="psfs").pk
        client.post(self.url(patient), {"step": f"{psfs}:activities", "names": ["Socks"]})
        page = client.get(self.url(patient)).content.decode()
        assert "How well can you manage this today: Socks?" in page  # where it stopped, not the first question
        # Going back to change an answer opens that question with the answer chosen.
        client.post(self.url(patient), {"step": f"{psfs}:activity-1", "answer": "5"})
        client.post(self.url(patient), {"step": f"{pain}:pain", "answer": "4"})
        page = client.get(self.url(patient), {"step": f"{pain}:pain"}).content.decode()
        assert 'value="4" checked' in page

    def test_another_patients_questionnaire_is_not_found(self, client, patient, physio):
        other = make_patient(physio=physio)
        client.force_login(other.user)
        assert client.get(self.url(patient)).status_code == 404

    def test_a_follow_up_after_the_discharge_says_it_is_closed(self, client, patient, physio):
        answer_questionnaire(intake(patient), START)
        follow_up = follow_up_due(patient)
        episode_discharge(patient=patient, by=physio, reason="goals_met")
        client.force_login(patient.user)
        page = client.get(reverse("outcomes:questionnaire", args=[follow_up.pk])).content.decode()
        assert "This questionnaire is closed" in page


class TestToday:
    def test_a_due_questionnaire_shows_below_the_check_in(self, client, active):
        patient = active.program.patient
        client.force_login(patient.user)
        page = client.get(reverse("checkins:today")).content.decode()
        assert page.index(reverse("checkins:create")) < page.index(
            reverse("outcomes:questionnaire", args=[intake(patient).pk])
        )
        assert "Answer the questionnaire" in page
        answer_questionnaire(intake(patient), START, send=False)
        assert "Carry on with the questionnaire" in client.get(reverse("checkins:today")).content.decode()
        answer_questionnaire(intake(patient), {})
        assert "A short questionnaire" not in client.get(reverse("checkins:today")).content.decode()

    def test_after_the_discharge_the_summary_and_the_discharge_questionnaire(self, client, active, physio):
        patient = active.program.patient
        episode = episode_discharge(patient=patient, by=physio, reason="goals_met")
        client.force_login(patient.user)
        page = client.get(reverse("checkins:today")).content.decode()
        assert reverse("outcomes:summary", args=[episode.pk]) in page
        discharge = Questionnaire.objects.get(patient=patient, timepoint="discharge")
        assert reverse("outcomes:questionnaire", args=[discharge.pk]) in page
        assert "now that your care has ended" in page


HIGH_RISK = {**{f"item-{n}": int(n >= 4) for n in range(1, 9)}, "item-9": 5}  # overall 6, psychosocial 5
LOW_RISK = {**{f"item-{n}": 0 for n in range(1, 9)}, "item-9": 1}


def screened_at_intake(clinic, physio, answers: dict):
    """A new patient of a clinic that asks STarT Back at intake, who answered it with `answers`."""
    schedule_update(clinic=clinic, by=physio, follow_up_weeks=4, measures={"start-back": (True, False, False)})
    patient = make_patient(physio=physio)
    answer_questionnaire(intake(patient), {"start-back": answers})
    return patient


def threshold_card_of(page: str) -> str:
    return page.split('id="threshold-h"')[1].split("</section>")[0]


class TestThePatientPage:
    def test_each_measure_over_time_against_its_mcid(self, client, patient, physio):
        answer_questionnaire(intake(patient), START)
        answer_questionnaire(
            follow_up_due(patient), {"psfs": {"activity-1": 6, "activity-2": 7}, "pain-week": {"pain": 5}}
        )
        client.force_login(physio)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        panel = page.split('id="outcomes-h"')[1]
        assert "Patient-Specific Functional Scale" in panel and "Average back pain over the past week" in panel
        assert "Change since the start: +3 (higher is better)" in panel  # 3.5 -> 6.5
        assert "Better by at least the change that matters" in panel
        assert "Change since the start: +1 (lower is better)" in panel  # 6 -> 5: not yet the 2 that matter
        assert "Change that matters not reached" in panel
        assert "Summary so far" in panel

    def test_an_unanswered_questionnaire_shows(self, client, patient, physio):
        client.force_login(physio)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert "At the start questionnaire, due since" in page
        assert "No questionnaire answered in this course of care yet." in page

    def test_a_start_back_high_risk_at_intake_shows_beside_the_threshold(self, client, clinic, physio, licensed):
        patient = screened_at_intake(clinic, physio, HIGH_RISK)
        client.force_login(physio)
        with count_queries() as queries:
            page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        threshold_card = threshold_card_of(page)
        assert '<div class="alert alert-warning small mb-2" role="note"><strong>STarT Back at the start: high risk' in (
            threshold_card
        )
        assert "fear of movement weigh on this patient's recovery" in threshold_card
        assert "overall score 6, psychosocial subscore 5" in threshold_card
        # The screening note and the outcomes panel read the course of care's measurements once, between them.
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        assert sum('FROM "outcomes_measurement"' in sql for sql in reads) == 1
        assert "STarT Back" in page.split('id="outcomes-h"')[1]

    def test_a_screening_result_without_a_score_still_shows_its_group(self, client, clinic, physio, licensed):
        patient = screened_at_intake(clinic, physio, HIGH_RISK)
        screened = Measurement.objects.filter(questionnaire__patient=patient, instrument__key="start-back")
        assert screened.update(score=None) == 1
        client.force_login(physio)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        threshold_card = threshold_card_of(page)
        assert "STarT Back at the start: high risk</strong> (overall score –" in threshold_card

    def test_a_low_risk_shows_quietly(self, client, clinic, physio, licensed):
        patient = screened_at_intake(clinic, physio, LOW_RISK)
        client.force_login(physio)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert "STarT Back at the start: low risk" in page and "alert-warning" not in page.split('id="threshold-h"')[1]


class TestSummary:
    def discharged(self, active, physio):
        patient = active.program.patient
        for days_ago, pain in ((6, 3), (4, 2), (2, 1)):
            send_checkin(active, days_ago=days_ago, max_pain=pain)
        answer_questionnaire(intake(patient), START)
        episode = episode_discharge(
            patient=patient, by=physio, reason="goals_met", note="Back at work.", advice="Bridges twice a week."
        )
        patient.episodes.filter(pk=episode.pk).update(referral_date=active.start_date)
        answer_questionnaire(
            Questionnaire.objects.get(patient=patient, timepoint="discharge"),
            {"psfs": {"activity-1": 8, "activity-2": 9}, "pain-week": {"pain": 2}, "grc": {"change": 2}},
        )
        return patient, episode

    def test_the_discharge_summary_for_the_patient_and_the_referrer(self, client, active, physio):
        patient, episode = self.discharged(active, physio)
        client.force_login(physio)
        page = client.get(reverse("outcomes:summary", args=[episode.pk])).content.decode()
        assert "Discharge summary" in page and patient.full_name in page
        assert "Goals met" not in page and "goals met" in page and "Back at work." in page
        assert "3 sessions reported of" in page
        assert "Bridges twice a week." in page
        assert "Patient-Specific Functional Scale" in page and "+5 better" in page  # 3.5 -> 8.5
        assert "Global rating of change" in page
        client.force_login(patient.user)
        assert client.get(reverse("outcomes:summary", args=[episode.pk])).status_code == 200

    def test_nobody_else_reads_it(self, client, active, physio):
        _patient, episode = self.discharged(active, physio)
        client.force_login(make_patient(physio=physio).user)
        assert client.get(reverse("outcomes:summary", args=[episode.pk])).status_code == 404


class TestScheduleChoice:
    def test_the_admin_chooses_the_measures(self, client, clinic_admin):
        client.force_login(clinic_admin)
        url = reverse("outcomes:schedule")
        page = client.get(url).content.decode()
        assert "Patient-Specific Functional Scale" in page and "the measures ticked below are the default" in page
        response = client.post(url, {"follow_up_weeks": "6", "pain-week__intake": "on", "pain-week__discharge": "on"})
        assert response.status_code == 302
        assert OutcomeSettings.objects.get(clinic=clinic_admin.clinic).follow_up_weeks == 6
        assert list(ScheduledMeasure.objects.values_list("instrument_key", "at_intake", "at_follow_up")) == [
            ("pain-week", True, False)
        ]

    def test_bad_input_is_told_beside_the_field_and_nothing_is_kept(self, client, clinic_admin):
        client.force_login(clinic_admin)
        page = client.post(reverse("outcomes:schedule"), {"follow_up_weeks": "40", "psfs__intake": "on"})
        assert page.status_code == 200
        assert "Give a number from 1 to 26." in page.content.decode()
        assert not OutcomeSettings.objects.exists()

    def test_a_timepoint_an_instrument_is_not_meant_for_is_not_offered(self, client, clinic_admin):
        client.force_login(clinic_admin)
        page = client.get(reverse("outcomes:schedule")).content.decode()
        assert 'name="grc__intake"' not in page and 'name="grc__discharge"' in page
        client.post(reverse("outcomes:schedule"), {"follow_up_weeks": "4", "grc__intake": "on"})
        assert not ScheduledMeasure.objects.filter(at_intake=True).exists()


def test_scores_keep_their_decimals(patient):
    sent = answer_questionnaire(
        intake(patient),
        {
            "psfs": {"activities": ["a", "b", "c"], "activity-1": 1, "activity-2": 2, "activity-3": 2},
            "pain-week": {"pain": 3},
        },
    )
    assert sent.measurements.get(instrument__key="psfs").score == Decimal("1.67")
