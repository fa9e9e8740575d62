"""Flags that keep the clinician's work (docs/clinical-rules.md, rules 7, 9 and 15): a report evaluated again
changes nothing, rest flags close only when a session ends the rest and keep their day count current, new warning
symptoms on an urgent flag need an answer again, and each report is judged against the threshold of its day."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkins import services as checkin_services
from flags import services
from flags.models import Flag, FlagEvent, FlagEventKind, FlagOutcome, FlagReason, FlagStatus
from patients.models import ThresholdChange
from patients.services import patient_change_threshold
from tests.helpers import count_queries, evaluate, flag_reasons, send_checkin

pytestmark = pytest.mark.django_db


def rows():
    """Every flag and event, as the clinic would see them."""
    return (
        list(Flag.objects.order_by("pk").values_list("pk", "reason", "status", "notified_at", "ack_due_at")),
        list(FlagEvent.objects.order_by("pk").values_list("pk", "flag_id", "kind", "checkin_id")),
    )


class TestEvaluatingAgain:
    def test_the_same_report_three_times_around_a_sweep_is_one_evaluation(self, active, physio):
        """A re-delivered message, a sweep after a crash, another re-delivery: the same rows and one e-mail per
        flag, and the flag staff resolved in between stays resolved."""
        patient = active.program.patient
        saved = send_checkin(active, max_pain=4, sharp_pain=True, leg_weakness=True)
        now = timezone.now()
        services.checkin_evaluate(checkin_id=saved.pk, now=now)
        sweep = services.flags_sweep(now=now + timedelta(minutes=5))  # sends the three alerts
        assert sweep["alerts"] == 3 and len(mail.outbox) == 3
        pain = Flag.objects.get(reason=FlagReason.PAIN)
        services.flag_resolve(flag=pain, by=physio, outcome="contacted_patient", note="Called her.")
        after_one = rows()

        services.checkin_evaluate(checkin_id=saved.pk, now=now + timedelta(minutes=6))
        again = services.flags_sweep(now=now + timedelta(minutes=20))
        services.checkin_evaluate(checkin_id=saved.pk, now=now + timedelta(minutes=21))

        assert again["alerts"] == 0 and len(mail.outbox) == 3
        assert rows() == after_one
        assert Flag.objects.filter(patient=patient).count() == 3
        assert Flag.objects.get(reason=FlagReason.PAIN).status == FlagStatus.RESOLVED

    def test_a_resolved_flag_is_not_reopened_by_its_own_report(self, active, physio):
        saved = send_checkin(active, max_pain=4)
        evaluate(saved)
        services.flag_resolve(flag=Flag.objects.get(), by=physio, outcome="no_action")
        evaluate(saved)
        assert list(Flag.objects.values_list("status", flat=True)) == ["resolved"]

    def test_in_any_order_with_the_sweep(self, active):
        """The sweep evaluates a report whose task is late; the task then runs: nothing changes."""
        saved = send_checkin(active, max_pain=4)
        later = timezone.now() + timedelta(minutes=5)
        services.flags_sweep(now=later)
        services.flags_sweep(now=later + timedelta(minutes=5))  # the alert
        before = rows()
        evaluate(saved)
        services.flags_sweep(now=later + timedelta(minutes=10))
        assert rows() == before and len(mail.outbox) == 1


class TestRestFlags:
    def open_rest_flag(self, active, *, acknowledged_by=None):
        services.flags_sweep_rest(now=timezone.now())
        flag = Flag.objects.get(reason=FlagReason.REST)
        if acknowledged_by is not None:
            services.flag_acknowledge(flag=flag, by=acknowledged_by)
        return flag

    def test_a_late_report_dated_before_the_rest_began_keeps_the_acknowledgement(self, active, physio):
        today = active.program.patient.clinic.local_today()
        active.start_date = today - timedelta(days=5)
        active.save(update_fields=["start_date"])
        flag = self.open_rest_flag(active, acknowledged_by=physio)
        assert flag.rest_since == active.start_date  # before the first report, the start counts as the last session
        active.start_date = today - timedelta(days=8)  # in force for longer: a day before the rest can be reported
        active.save(update_fields=["start_date"])
        late = send_checkin(active, days_ago=6)
        evaluate(late)
        flag.refresh_from_db()
        assert (flag.status, flag.acknowledged_by) == (FlagStatus.ACKNOWLEDGED, physio)
        assert Flag.objects.filter(reason=FlagReason.REST).count() == 1

    def test_a_correction_keeps_the_rest_flag_and_its_acknowledgement(self, active, physio):
        patient = active.program.patient
        earlier = send_checkin(active, days_ago=6)
        evaluate(earlier)
        flag = self.open_rest_flag(active, acknowledged_by=physio)
        assert flag.rest_since == earlier.session_date
        checkin_services.checkin_correct(
            checkin=earlier,
            outcomes={r.item_id: r.outcome for r in earlier.results.all()},
            max_pain=1,
            pain_now=0,
            sharp_pain=False,
            note="Typo fixed.",
        )
        evaluate(earlier)
        services.flags_sweep(now=timezone.now() + timedelta(minutes=5))
        flag.refresh_from_db()
        assert (flag.status, flag.acknowledged_by) == (FlagStatus.ACKNOWLEDGED, physio)
        assert Flag.objects.filter(patient=patient, reason=FlagReason.REST).count() == 1
        assert flag.escalated_at is None

    def test_a_session_after_the_rest_closes_it(self, active, physio):
        flag = self.open_rest_flag(active, acknowledged_by=physio)
        saved = send_checkin(active)
        evaluate(saved)
        flag.refresh_from_db()
        assert (flag.status, flag.outcome) == (FlagStatus.RESOLVED, FlagOutcome.PATIENT_REPORTED)

    def test_a_symptom_report_is_not_a_session(self, active):
        """Day 2 of a rest: a symptom report does not reset the count, and on day 3 the patient is flagged."""
        patient = active.program.patient
        clinic = patient.clinic
        evaluate(send_checkin(active, days_ago=3))  # two whole days of rest so far: day 2
        assert services.flags_sweep_rest(now=timezone.now()) == 0
        report, _ = checkin_services.symptom_report_create(
            patient=patient, idempotency_key="0c4f0c9e-0000-4000-8000-000000000001", sharp_pain=True
        )
        services.symptom_report_evaluate(report_id=report.pk)
        tomorrow = clinic.local_today() + timedelta(days=1)
        noon = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, tzinfo=ZoneInfo(clinic.time_zone))
        assert services.flags_sweep_rest(now=noon) == 1
        flag = Flag.objects.get(reason=FlagReason.REST)
        assert flag.rest_days == 3 and flag.rest_since == clinic.local_today() - timedelta(days=3)
        assert flag_reasons(patient) == ["rest", "sharp_pain"]

    def test_each_sweep_keeps_the_day_count_current_in_one_update(self, active, clinic_admin, client):
        flag = self.open_rest_flag(active)
        raised_with = flag.rest_days
        with count_queries() as captured:
            changed = services.flags_count_rest_days(now=timezone.now() + timedelta(days=2))
        updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
        assert changed == 1 and len(updates) == 1 and len(captured.captured_queries) == 2  # the time zones, the UPDATE
        flag.refresh_from_db()
        assert flag.rest_days == raised_with + 2
        assert services.flags_count_rest_days(now=timezone.now() + timedelta(days=2)) == 0  # nothing to rewrite
        client.force_login(clinic_admin)
        page = client.get(reverse("flags:queue")).content.decode()
        assert f"No session reported for {raised_with + 2} whole days" in page


class TestWarningSymptomsNeedAnAnswerAgain:
    @pytest.mark.parametrize(("minutes", "escalated"), [(59, False), (61, True)])
    def test_a_second_warning_report_on_an_acknowledged_urgent_flag(self, active, physio, minutes, escalated):
        start = timezone.now()
        first = send_checkin(active, days_ago=1, leg_weakness=True)
        services.checkin_evaluate(checkin_id=first.pk, now=start)
        flag = Flag.objects.get()
        services.flag_acknowledge(flag=flag, by=physio)
        second_at = start + timedelta(hours=5)
        second = send_checkin(active, bladder_bowel=True)
        services.checkin_evaluate(checkin_id=second.pk, now=second_at)
        flag.refresh_from_db()
        assert (flag.status, flag.ack_due_at, flag.escalated_at) == (
            FlagStatus.OPEN,
            second_at + timedelta(hours=1),
            None,
        )
        assert flag.events.filter(kind=FlagEventKind.REOPENED).get().values["acknowledged_by"] == "Alex Morgan"
        assert services.flag_escalate_overdue(now=second_at + timedelta(minutes=minutes)) == int(escalated)

    def test_an_escalated_urgent_flag_is_escalated_again(self, active, clinic_admin):
        start = timezone.now()
        services.checkin_evaluate(checkin_id=send_checkin(active, days_ago=1, leg_weakness=True).pk, now=start)
        assert services.flag_escalate_overdue(now=start + timedelta(minutes=61)) == 1
        later = start + timedelta(hours=3)
        services.checkin_evaluate(checkin_id=send_checkin(active, saddle_numbness=True).pk, now=later)
        assert services.flag_escalate_overdue(now=later + timedelta(minutes=59)) == 0
        assert services.flag_escalate_overdue(now=later + timedelta(minutes=61)) == 1
        assert Flag.objects.get().events.filter(kind=FlagEventKind.ESCALATED).count() == 2

    def test_an_open_urgent_flag_keeps_its_earlier_deadline(self, active):
        start = timezone.now()
        services.checkin_evaluate(checkin_id=send_checkin(active, days_ago=1, leg_weakness=True).pk, now=start)
        services.checkin_evaluate(
            checkin_id=send_checkin(active, bladder_bowel=True).pk, now=start + timedelta(minutes=30)
        )
        assert Flag.objects.get().ack_due_at == start + timedelta(hours=1)


class TestPainFigures:
    def test_pain_after_the_session_over_the_threshold_fires_and_says_so(self, active):
        evaluate(send_checkin(active, max_pain=1, pain_now=3))  # the threshold is 1 (subacute)
        flag = Flag.objects.get()
        assert flag.reason == FlagReason.PAIN
        assert flag.details["explanation"] == "Pain after the session 3/5 is above the threshold of 1/5."

    def test_both_figures_over(self, active):
        evaluate(send_checkin(active, max_pain=4, pain_now=2))
        assert Flag.objects.get().details["explanation"] == (
            "Highest pain 4/5 and pain after the session 2/5 are above the threshold of 1/5."
        )

    def test_a_report_is_judged_against_the_threshold_of_its_day(self, active, physio):
        """A late report of a day before the threshold was raised is judged against the one in force then."""
        patient = active.program.patient
        ThresholdChange.objects.filter(patient=patient).update(changed_at=timezone.now() - timedelta(days=30))
        change = patient_change_threshold(patient=patient, changed_by=physio, value=3, reason="Building up")
        ThresholdChange.objects.filter(pk=change.pk).update(changed_at=timezone.now() - timedelta(days=2))
        evaluate(send_checkin(active, days_ago=1, max_pain=2))  # under today's 3
        assert flag_reasons(patient) == []
        evaluate(send_checkin(active, days_ago=4, max_pain=2))  # over the 1 in force that day
        flag = Flag.objects.get()
        assert flag.details["values"]["threshold"] == 1
