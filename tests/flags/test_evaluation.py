from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from flags import services, tasks
from flags.models import Flag, FlagEvent, FlagOutcome, FlagReason, FlagStatus
from tests.factories import bulk_active_patients
from tests.helpers import (
    assert_same_query_count,
    checkin_form_data,
    count_queries,
    evaluate,
    flag_reasons,
    send_checkin,
)

pytestmark = pytest.mark.django_db


class TestCheckinEvaluation:
    def test_pain_equal_to_threshold_raises_nothing(self, active):
        patient = active.program.patient
        evaluate(send_checkin(active, max_pain=patient.pain_threshold))
        assert flag_reasons(patient) == []
        assert CheckIn.objects.get().evaluated_at is not None

    def test_one_over_threshold_raises_explained_pain_flag(self, active):
        patient = active.program.patient
        saved = send_checkin(active, max_pain=patient.pain_threshold + 1)
        evaluate(saved)
        flag = Flag.objects.get(patient=patient)
        assert (flag.reason, flag.status, flag.urgent) == (FlagReason.PAIN, FlagStatus.OPEN, False)
        assert flag.details["rule"] == "Pain over the patient's threshold"
        assert flag.details["values"]["max_pain"] == 2 and flag.details["values"]["threshold"] == 1
        assert flag.events.get().checkin_id == saved.pk
        assert flag.ack_due_at == flag.opened_at + timedelta(hours=24)

    def test_evaluating_twice_changes_nothing(self, active):
        saved = send_checkin(active, max_pain=4, sharp_pain=True)
        evaluate(saved)
        evaluate(saved)
        tasks.evaluate_checkin(saved.pk)
        assert Flag.objects.count() == 2
        assert FlagEvent.objects.filter(kind="raised").count() == 2
        assert FlagEvent.objects.filter(kind="evidence").count() == 0

    def test_new_evidence_goes_to_the_open_flag(self, active):
        patient = active.program.patient
        first = send_checkin(active, days_ago=2, max_pain=3)
        evaluate(first)
        services.flag_acknowledge(flag=Flag.objects.get(), by=patient.physiotherapist)
        second = send_checkin(active, days_ago=1, max_pain=2)
        evaluate(second)
        flag = Flag.objects.get()
        assert flag.status == FlagStatus.ACKNOWLEDGED
        assert list(flag.events.values_list("kind", "checkin_id")) == [
            ("raised", first.pk),
            ("acknowledged", None),
            ("evidence", second.pk),
        ]

    def test_resolved_flag_reopens_as_a_new_flag(self, active):
        patient = active.program.patient
        evaluate(send_checkin(active, days_ago=2, max_pain=3))
        services.flag_resolve(flag=Flag.objects.get(), by=patient.physiotherapist, outcome="no_action")
        evaluate(send_checkin(active, days_ago=1, max_pain=3))
        assert list(Flag.objects.order_by("pk").values_list("status", flat=True)) == ["resolved", "open"]

    def test_sharp_pain_flags_whatever_the_number(self, active):
        evaluate(send_checkin(active, max_pain=0, sharp_pain=True))
        assert flag_reasons(active.program.patient) == ["sharp_pain"]

    def test_warning_symptom_is_urgent_and_due_in_an_hour(self, active):
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        assert flag.urgent and flag.reason == FlagReason.WARNING_SYMPTOMS
        assert flag.ack_due_at == flag.opened_at + timedelta(hours=1)
        assert flag.details["values"]["symptoms"] == ["leg_weakness"]

    def test_worsening_over_three_reports(self, active):
        patient = active.program.patient
        patient.pain_threshold = 2
        patient.save()
        for days_ago, pain in ((3, 1), (2, 2), (1, 3)):
            evaluate(send_checkin(active, days_ago=days_ago, max_pain=pain))
        assert flag_reasons(patient) == ["pain", "worsening"]
        flag = Flag.objects.get(reason="worsening")
        assert flag.details["values"]["pains"] == [1, 2, 3]

    def test_new_report_closes_open_rest_flag(self, active):
        patient = active.program.patient
        now = timezone.now()
        services.flags_sweep_rest(now=now)
        rest = Flag.objects.get(reason=FlagReason.REST)
        saved = send_checkin(active, max_pain=0)
        evaluate(saved)
        rest.refresh_from_db()
        assert (rest.status, rest.outcome) == (FlagStatus.RESOLVED, FlagOutcome.PATIENT_REPORTED)
        assert str(saved.pk) in rest.resolution_note
        assert flag_reasons(patient) == ["rest"]

    def test_missed_reports_are_evaluated_by_the_sweep(self, active):
        saved = send_checkin(active, max_pain=5)  # its queued evaluation never ran
        assert services.flags_sweep(now=timezone.now())["evaluated"] == 0  # still within the grace period
        result = services.flags_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["evaluated"] == 1
        saved.refresh_from_db()
        assert saved.evaluated_at is not None
        assert flag_reasons(active.program.patient) == ["pain"]


class TestMissedEvaluationsTogether:
    """The sweep evaluates lost reports in batches: the same flags as one at a time, in fewer queries."""

    def scenario(self, active):
        patient = active.program.patient
        patient.pain_threshold = 2
        patient.save()
        services.flags_sweep_rest(now=timezone.now())  # an open rest flag, closed by the first report
        saved = [send_checkin(active, days_ago=days_ago, max_pain=pain) for days_ago, pain in ((3, 1), (2, 2), (1, 3))]
        saved.append(send_checkin(active, max_pain=0, leg_weakness=True))
        return patient, saved

    @staticmethod
    def outcome(patient):
        flags = Flag.objects.filter(patient=patient).order_by("reason")
        return [
            (
                f.reason,
                f.status,
                f.outcome,
                f.resolution_note,
                f.details["values"],
                [(e.kind, e.note, e.values) for e in f.events.order_by("at", "pk")],
            )
            for f in flags
        ]

    def test_batch_matches_one_at_a_time(self, active):
        patient, saved = self.scenario(active)
        ids = [r.pk for r in saved]
        with transaction.atomic():
            for checkin_id in ids:
                services.checkin_evaluate(checkin_id=checkin_id)
            one_at_a_time = self.outcome(patient)
            transaction.set_rollback(True)
        assert services.checkins_evaluate(checkin_ids=ids) == 4
        assert self.outcome(patient) == one_at_a_time
        assert [reason for reason, *_ in one_at_a_time] == ["pain", "rest", "warning_symptoms", "worsening"]
        assert not CheckIn.objects.filter(pk__in=ids, evaluated_at__isnull=True).exists()
        assert services.checkins_evaluate(checkin_ids=ids) == 0  # evaluated already: skipped

    def test_query_count_does_not_grow_with_reports(self, physio, library):
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=30)
        versions = [p.programs.get().versions.get() for p in patients]
        few = [send_checkin(v, max_pain=0).pk for v in versions[:3]]
        many = [send_checkin(v, max_pain=0).pk for v in versions[3:]]
        with count_queries() as small:
            assert services.checkins_evaluate(checkin_ids=few) == 3
        with count_queries() as large:
            assert services.checkins_evaluate(checkin_ids=many) == 27
        assert_same_query_count(small, large)

    def test_a_failing_batch_falls_back_to_one_at_a_time(self, active, monkeypatch):
        patient, saved = self.scenario(active)

        def broken(**kwargs):
            raise RuntimeError("lost connection")

        monkeypatch.setattr("flags.services.sweep.checkins_evaluate", broken)
        result = services.flags_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["evaluated"] == 4
        assert [reason for reason, *_ in self.outcome(patient)] == ["pain", "rest", "warning_symptoms", "worsening"]


class TestCorrections:
    """A patient corrects a check-in: its evaluation says on the flags it raised what changed, once."""

    def test_correction_is_told_to_the_flags_the_report_raised(self, client, active, clinic_admin):
        patient = active.program.patient
        patient.pain_threshold = 2
        patient.save()
        flagged = send_checkin(active, max_pain=5, pain_now=3)
        calm = send_checkin(active, days_ago=1, max_pain=1, pain_now=0)
        for saved in (flagged, calm):
            evaluate(saved)
        (flag,) = Flag.objects.filter(patient=patient, reason="pain")
        client.force_login(patient.user)
        data = checkin_form_data(active, max_pain="1", pain_now="1", note="I pressed the wrong number")
        data.pop("session_date")
        assert client.post(reverse("checkins:correct", args=[flagged.pk]), data).status_code == 302
        assert client.post(reverse("checkins:correct", args=[calm.pk]), data).status_code == 302
        for saved in (flagged, calm, flagged):  # the evaluations the corrections queued, one delivered twice
            evaluate(saved)
        (event,) = FlagEvent.objects.filter(kind="corrected")  # one: the calm report raised nothing
        assert (event.flag_id, event.checkin_id) == (flag.pk, flagged.pk)
        assert event.values["max_pain"] == 1
        day = flagged.session_date
        explanation = (
            f"The patient corrected the report of {day:%a} {day.day} {day:%b}: "
            "highest pain 5 → 1 out of 5; pain afterwards 3 → 1 out of 5."
        )
        assert event.values["explanation"] == explanation
        client.force_login(clinic_admin)
        page = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
        assert "Report corrected by the patient" in page and "highest pain 5 → 1 out of 5" in page

    def test_a_warning_symptom_taken_back_is_told_to_the_urgent_flag_and_kept_for_staff(self, client, active, physio):
        saved = send_checkin(active, max_pain=1, leg_weakness=True)
        evaluate(saved)
        flag = Flag.objects.get(reason="warning_symptoms")
        client.force_login(active.program.patient.user)
        data = checkin_form_data(active, max_pain="1", pain_now="0", note="Ticked the wrong box")
        data.pop("session_date")
        assert client.post(reverse("checkins:correct", args=[saved.pk]), data).status_code == 302
        evaluate(saved)
        (event,) = FlagEvent.objects.filter(kind="corrected", flag=flag)
        assert event.values["explanation"].endswith("new weakness in both legs no longer reported.")
        assert event.values["symptoms"] == []
        client.force_login(physio)
        page = client.get(reverse("checkins:patient", args=[saved.patient_id])).content.decode()
        assert "warning symptoms: new weakness in both legs" in page
        flag.refresh_from_db()
        assert flag.status == "open"  # staff still decide what it means
