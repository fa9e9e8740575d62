"""The threshold follows the phase, by a clinician's decision (docs/clinical-rules.md, rule 15)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients import rules
from patients.models import ThresholdChange
from patients.selectors import threshold_reviews_due
from patients.services import patient_change_threshold, patient_review_threshold
from tests.factories import ClinicFactory, PhysioFactory, make_patient

pytestmark = pytest.mark.django_db


def acute_patient(physio, *, onset_days=41):
    return make_patient(physio=physio, onset_days=onset_days)


class TestDue:
    def test_a_patient_crossing_six_weeks_in_the_clinics_time_zone(self):
        """Auckland is 13 hours ahead of UTC in its summer: at 11:30 UTC it is already the next day there."""
        clinic = ClinicFactory(name="Harbour", time_zone="Pacific/Auckland")
        physio = PhysioFactory(clinic=clinic)
        patient = acute_patient(physio, onset_days=41)  # registered acute: six weeks tomorrow, clinic time
        tomorrow = clinic.local_today() + timedelta(days=1)
        # 23:59 on the clinic's day before, and one minute after its midnight, in UTC
        before = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=ZoneInfo("Pacific/Auckland"))
        assert threshold_reviews_due(physio=physio, now=before - timedelta(minutes=1)) == []
        (due,) = threshold_reviews_due(physio=physio, now=before + timedelta(minutes=1))
        assert due.pk == patient.pk
        assert (due.review_phase, due.review_default) == (rules.Phase.SUBACUTE, 1)

    def test_at_six_months_too(self, physio):
        patient = make_patient(physio=physio, onset_days=170)
        assert threshold_reviews_due(physio=physio) == []
        ThresholdChange.objects.filter(patient=patient).update(phase="subacute")
        patient.onset_date -= timedelta(days=20)
        patient.save()
        (due,) = threshold_reviews_due(physio=physio)
        assert (due.review_phase, due.review_default) == (rules.Phase.LONG_TERM, 2)

    def test_only_the_physiotherapists_own_patients(self, physio):
        acute_patient(PhysioFactory(clinic=physio.clinic), onset_days=50)
        assert threshold_reviews_due(physio=physio) == []

    def test_a_threshold_change_in_the_new_phase_is_a_decision_for_it(self, physio):
        patient = make_patient(physio=physio, onset_days=50)
        ThresholdChange.objects.filter(patient=patient).update(phase="acute")
        assert len(threshold_reviews_due(physio=physio)) == 1
        patient_change_threshold(patient=patient, changed_by=physio, value=3, reason="Coping well")
        assert threshold_reviews_due(physio=physio) == []


class TestDecision:
    def due(self, physio):
        patient = make_patient(physio=physio, onset_days=50)  # subacute, threshold 1
        ThresholdChange.objects.filter(patient=patient).update(phase="acute", value=2)
        patient.pain_threshold = 2
        patient.save()
        return patient

    def test_apply_the_new_default(self, physio):
        patient = self.due(physio)
        change = patient_review_threshold(patient=patient, by=physio, apply=True, phase="subacute", reason="Per rule")
        patient.refresh_from_db()
        assert (patient.pain_threshold, change.previous_value, change.value, change.phase) == (1, 2, 1, "subacute")
        assert threshold_reviews_due(physio=physio) == []

    def test_keep_is_a_decision_too(self, physio):
        patient = self.due(physio)
        change = patient_review_threshold(
            patient=patient, by=physio, apply=False, phase="subacute", reason="Working well at 2/5"
        )
        patient.refresh_from_db()
        assert (patient.pain_threshold, change.previous_value, change.value) == (2, 2, 2)
        assert patient.threshold_changes.count() == 2 and threshold_reviews_due(physio=physio) == []

    def test_without_a_reason_nothing_is_stored(self, physio, client):
        patient = self.due(physio)
        with pytest.raises(ValidationError) as refused:
            patient_review_threshold(patient=patient, by=physio, apply=True, phase="subacute", reason="  ")
        assert refused.value.message_dict["reason"] == [
            "Give the reason for your decision; it is kept in the threshold's history."
        ]
        client.force_login(physio)
        url = reverse("patients:threshold_review", args=[patient.pk])
        response = client.post(url, {"decision": "apply", "phase": "subacute", "reason": ""})
        page = response.content.decode()
        assert response.status_code == 200 and "kept in the threshold&#x27;s history" in page
        assert patient.threshold_changes.count() == 1

    def test_the_dashboard_asks_and_one_action_answers(self, physio, client):
        patient = self.due(physio)
        client.force_login(physio)
        page = client.get(reverse("flags:dashboard")).content.decode()
        assert 'id="threshold-reviews"' in page and "Apply the subacute default: 1/5" in page and "Keep 2/5" in page
        response = client.post(
            reverse("patients:threshold_review", args=[patient.pk]),
            {"decision": "keep", "phase": "subacute", "reason": "Tolerating 2/5", "next": reverse("flags:dashboard")},
            follow=True,
        )
        page = response.content.decode()
        assert "threshold kept at 2/5" in page and 'id="threshold-reviews"' not in page
        assert patient.threshold_changes.first().reason == "Tolerating 2/5"

    def test_the_patient_page_asks_too(self, physio, client):
        patient = self.due(physio)
        client.force_login(physio)
        assert 'id="threshold-review"' in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
