import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import services as patient_services
from patients.models import Flag, FlagEvent, FlagOutcome, FlagReason, FlagStatus
from patients.services import pause_create
from programs import services, tasks
from programs.models import SessionReport
from tests.factories import ClinicAdminFactory, ClinicFactory, PhysioFactory, bulk_active_patients, make_patient
from tests.programs.conftest import report

pytestmark = pytest.mark.django_db


def evaluate(saved):
    return services.report_evaluate(report_id=saved.pk)


def reasons(patient):
    return sorted(Flag.objects.filter(patient=patient).values_list("reason", flat=True))


class TestReportEvaluation:
    def test_pain_equal_to_threshold_raises_nothing(self, active):
        patient = active.program.patient
        evaluate(report(active, max_pain=patient.pain_threshold))
        assert reasons(patient) == []
        assert SessionReport.objects.get().evaluated_at is not None

    def test_one_over_threshold_raises_explained_pain_flag(self, active):
        patient = active.program.patient
        saved = report(active, max_pain=patient.pain_threshold + 1)
        evaluate(saved)
        flag = Flag.objects.get(patient=patient)
        assert (flag.reason, flag.status, flag.urgent) == (FlagReason.PAIN, FlagStatus.OPEN, False)
        assert flag.details["rule"].startswith("Rule 3")
        assert flag.details["values"]["max_pain"] == 2 and flag.details["values"]["threshold"] == 1
        assert flag.details["report_id"] == saved.pk
        assert flag.ack_due_at == flag.opened_at + timedelta(hours=24)

    def test_evaluating_twice_changes_nothing(self, active):
        saved = report(active, max_pain=4, sharp_pain=True)
        evaluate(saved)
        evaluate(saved)
        tasks.evaluate_report(saved.pk)
        assert Flag.objects.count() == 2
        assert FlagEvent.objects.filter(kind="raised").count() == 2
        assert FlagEvent.objects.filter(kind="evidence").count() == 0

    def test_new_evidence_goes_to_the_open_flag(self, active):
        patient = active.program.patient
        first = report(active, days_ago=2, max_pain=3)
        evaluate(first)
        patient_services.flag_acknowledge(flag=Flag.objects.get(), by=patient.physiotherapist)
        second = report(active, days_ago=1, max_pain=2)
        evaluate(second)
        flag = Flag.objects.get()
        assert flag.status == FlagStatus.ACKNOWLEDGED
        assert list(flag.events.values_list("kind", "report_id")) == [
            ("raised", first.pk),
            ("acknowledged", None),
            ("evidence", second.pk),
        ]

    def test_resolved_flag_reopens_as_a_new_flag(self, active):
        patient = active.program.patient
        evaluate(report(active, days_ago=2, max_pain=3))
        patient_services.flag_resolve(flag=Flag.objects.get(), by=patient.physiotherapist, outcome="no_action")
        evaluate(report(active, days_ago=1, max_pain=3))
        assert list(Flag.objects.order_by("pk").values_list("status", flat=True)) == ["resolved", "open"]

    def test_sharp_pain_flags_whatever_the_number(self, active):
        evaluate(report(active, max_pain=0, sharp_pain=True))
        assert reasons(active.program.patient) == ["sharp_pain"]

    def test_warning_symptom_is_urgent_and_due_in_an_hour(self, active):
        evaluate(report(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        assert flag.urgent and flag.reason == FlagReason.WARNING_SYMPTOMS
        assert flag.ack_due_at == flag.opened_at + timedelta(hours=1)
        assert flag.details["values"]["symptoms"] == ["leg_weakness"]

    def test_worsening_over_three_reports(self, active):
        patient = active.program.patient
        patient.pain_threshold = 2
        patient.save()
        for days_ago, pain in ((3, 1), (2, 2), (1, 3)):
            evaluate(report(active, days_ago=days_ago, max_pain=pain))
        assert reasons(patient) == ["pain", "worsening"]
        flag = Flag.objects.get(reason="worsening")
        assert flag.details["values"]["pains"] == [1, 2, 3]

    def test_new_report_closes_open_rest_flag(self, active):
        patient = active.program.patient
        now = timezone.now()
        services.flags_sweep_rest(now=now)
        rest = Flag.objects.get(reason=FlagReason.REST)
        saved = report(active, max_pain=0)
        evaluate(saved)
        rest.refresh_from_db()
        assert (rest.status, rest.outcome) == (FlagStatus.RESOLVED, FlagOutcome.PATIENT_REPORTED)
        assert str(saved.pk) in rest.resolution_note
        assert reasons(patient) == ["rest"]

    def test_missed_reports_are_evaluated_by_the_sweep(self, active):
        saved = report(active, max_pain=5)  # its queued evaluation never ran
        assert services.flags_sweep(now=timezone.now())["evaluated"] == 0  # still within the grace period
        result = services.flags_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["evaluated"] == 1
        saved.refresh_from_db()
        assert saved.evaluated_at is not None
        assert reasons(active.program.patient) == ["pain"]


class TestMissedEvaluationsTogether:
    """The sweep evaluates lost reports in batches: the same flags as one at a time, in fewer queries."""

    def scenario(self, active):
        patient = active.program.patient
        patient.pain_threshold = 2
        patient.save()
        services.flags_sweep_rest(now=timezone.now())  # an open rest flag, closed by the first report
        saved = [report(active, days_ago=days_ago, max_pain=pain) for days_ago, pain in ((3, 1), (2, 2), (1, 3))]
        saved.append(report(active, max_pain=0, leg_weakness=True))
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
            for report_id in ids:
                services.report_evaluate(report_id=report_id)
            one_at_a_time = self.outcome(patient)
            transaction.set_rollback(True)
        assert services.reports_evaluate(report_ids=ids) == 4
        assert self.outcome(patient) == one_at_a_time
        assert [reason for reason, *_ in one_at_a_time] == ["pain", "rest", "warning_symptoms", "worsening"]
        assert not SessionReport.objects.filter(pk__in=ids, evaluated_at__isnull=True).exists()
        assert services.reports_evaluate(report_ids=ids) == 0  # evaluated already: skipped

    def test_query_count_does_not_grow_with_reports(self, physio, library):
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=30)
        versions = [p.programs.get().versions.get() for p in patients]
        few = [report(v, max_pain=0).pk for v in versions[:3]]
        many = [report(v, max_pain=0).pk for v in versions[3:]]
        with CaptureQueriesContext(connection) as small:
            assert services.reports_evaluate(report_ids=few) == 3
        with CaptureQueriesContext(connection) as large:
            assert services.reports_evaluate(report_ids=many) == 27
        assert len(large) == len(small)

    def test_a_failing_batch_falls_back_to_one_at_a_time(self, active, monkeypatch):
        patient, saved = self.scenario(active)

        def broken(**kwargs):
            raise RuntimeError("lost connection")

        monkeypatch.setattr(services, "reports_evaluate", broken)
        result = services.flags_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["evaluated"] == 4
        assert [reason for reason, *_ in self.outcome(patient)] == ["pain", "rest", "warning_symptoms", "worsening"]


def set_start(version, start):
    version.start_date = start
    version.save(update_fields=["start_date"])


def at(clinic, day, hour=12, minute=0):
    """An aware moment on `day` at the clinic's local time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(clinic.time_zone))


class TestRestRule:
    @pytest.mark.parametrize(("rest_days", "flagged"), [(0, False), (2, False), (3, True), (6, True)])
    def test_whole_rest_days(self, active, rest_days, flagged):
        patient = active.program.patient
        today = patient.clinic.local_today()
        saved = report(active, days_ago=0)
        evaluate(saved)
        now = at(patient.clinic, today + timedelta(days=rest_days + 1))
        assert services.flags_sweep_rest(now=now) == int(flagged)
        assert (reasons(patient) == ["rest"]) is flagged

    def test_program_start_counts_as_last_session(self, active):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today)
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=3))) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=4))) == 1
        flag = Flag.objects.get()
        assert flag.details["values"] == {"last_session": today.isoformat(), "rest_days": 3, "allowed": 2}

    def test_program_not_started_yet(self, active):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today + timedelta(days=10))
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=5))) == 0

    def test_pause_suppresses_and_restarts_the_count(self, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today)
        pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today + timedelta(days=1),
            ends_on=today + timedelta(days=10),
            reason="Holiday",
        )
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=8))) == 0
        # The pause's last day counts as a session: three whole days after it, the flag comes.
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=13))) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=14))) == 1

    def test_clinic_setting_changes_the_rule(self, active):
        patient = active.program.patient
        clinic = patient.clinic
        clinic.rest_days_allowed = 3
        clinic.save()
        today = clinic.local_today()
        set_start(active, today)
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=4))) == 0  # 3 rest days allowed
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=5))) == 1

    def test_clinic_time_zone_decides_the_day(self, physio, library):
        """Just after midnight in Auckland it is already the next day there, still the day before in UTC."""
        from programs.services import program_activate, program_add_exercise, program_create

        clinic = physio.clinic
        clinic.time_zone = "Pacific/Auckland"
        clinic.save()
        patient = make_patient(physio=physio)
        version = program_create(
            patient=patient, created_by=physio, title="P", start_date=clinic.local_today(), weekdays=[0, 2, 4]
        ).versions.get()
        program_add_exercise(version=version, exercise=library["dead-bug"])
        program_activate(version=version, activated_by=physio)
        set_start(version, datetime(2026, 11, 16).date())
        Flag.objects.all().delete()
        before_midnight = at(clinic, datetime(2026, 11, 19).date(), hour=23, minute=59)  # 3 rest days not over
        assert services.flags_sweep_rest(now=before_midnight) == 0
        just_after = at(clinic, datetime(2026, 11, 20).date(), hour=0, minute=5)  # Tue, Wed, Thu complete
        assert just_after.astimezone(ZoneInfo("UTC")).date() == datetime(2026, 11, 19).date()
        assert services.flags_sweep_rest(now=just_after) == 1

    @pytest.mark.parametrize(
        ("time_zone", "resolved_hour"),
        [("Europe/London", 13), ("Australia/Sydney", 9), ("America/New_York", 20)],  # the UTC date differs
    )
    def test_resolving_a_rest_flag_counts_like_a_session(self, active, physio, time_zone, resolved_hour):
        """Staff resolved it (they phoned the patient): the rest flag comes back only if the rest goes on for
        more than the allowed days after that day, counted in the clinic's own days; not at the next sweep."""
        patient = active.program.patient
        clinic = patient.clinic
        clinic.time_zone = time_zone
        clinic.save()
        today = clinic.local_today()
        set_start(active, today - timedelta(days=10))
        assert services.flags_sweep_rest(now=at(clinic, today)) == 1
        flag = Flag.objects.get(reason=FlagReason.REST)
        patient_services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient", note="Back on it tomorrow")
        Flag.objects.filter(pk=flag.pk).update(resolved_at=at(clinic, today, hour=resolved_hour))
        for days, hour, minute in ((0, 23, 0), (1, 12, 0), (3, 23, 55)):  # 0, 1 and 2 whole days since
            moment = at(clinic, today + timedelta(days=days), hour=hour, minute=minute)
            assert services.flags_sweep_rest(now=moment) == 0
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=4), hour=0, minute=5)) == 1
        again = Flag.objects.exclude(pk=flag.pk).get(reason=FlagReason.REST)
        assert again.details["values"]["rest_days"] == 13  # still counted from the last session

    def test_a_late_report_that_closes_a_rest_flag_does_not_hold_off_the_next(self, active):
        """A report sent today for a session four days ago closes the open rest flag, but the rest since that
        session goes on: unlike a flag staff resolved, the next sweep raises it again."""
        patient = active.program.patient
        clinic = patient.clinic
        today = clinic.local_today()
        set_start(active, today - timedelta(days=10))
        assert services.flags_sweep_rest(now=at(clinic, today, hour=9)) == 1
        first = Flag.objects.get(reason=FlagReason.REST)
        evaluate(report(active, days_ago=4))
        first.refresh_from_db()
        assert (first.status, first.outcome, first.resolved_by) == (FlagStatus.RESOLVED, "patient_reported", None)
        assert services.flags_sweep_rest(now=at(clinic, today, hour=10)) == 1
        again = Flag.objects.exclude(pk=first.pk).get(reason=FlagReason.REST)
        assert again.details["values"]["rest_days"] == 3  # whole days since that session

    def test_sweep_twice_raises_one_flag(self, active):
        today = active.program.patient.clinic.local_today()
        now = at(active.program.patient.clinic, today + timedelta(days=10))
        assert services.flags_sweep_rest(now=now) == 1
        assert services.flags_sweep_rest(now=now + timedelta(minutes=15)) == 0
        assert Flag.objects.count() == 1 and FlagEvent.objects.count() == 1


def make_active_patients(physio, library, count):
    bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=count)


def test_sweep_query_count_does_not_grow_with_patients(physio, library):
    now = timezone.now()
    make_active_patients(physio, library, 10)
    with CaptureQueriesContext(connection) as small:
        assert services.flags_sweep(now=now)["rest_flags"] == 10
    Flag.objects.all().delete()
    make_active_patients(physio, library, 190)
    with CaptureQueriesContext(connection) as large:
        assert services.flags_sweep(now=now)["rest_flags"] == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_one_sweep_applies_each_clinics_day_and_setting(library):
    """Clinics in three time zones and two rest settings, swept at one moment: each patient is judged by
    their own clinic's local day and rest setting, and adding clinics adds no queries."""
    from programs.models import ProgramVersion

    now = datetime(2026, 11, 20, 11, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 21st in Auckland
    start = datetime(2026, 11, 17).date()  # whole rest days: 18, 19, 20 (and 21 has not ended anywhere)
    settings = [("Pacific/Auckland", 2), ("America/Los_Angeles", 2), ("Europe/London", 3)]
    expected, queries = set(), []
    for time_zone, allowed in settings:
        physio = PhysioFactory(clinic=ClinicFactory(time_zone=time_zone, rest_days_allowed=allowed))
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=2)
        ProgramVersion.objects.filter(program__patient__in=patients).update(start_date=start)
        today = now.astimezone(ZoneInfo(time_zone)).date()
        if (today - start).days - 1 > allowed:
            expected.update(p.pk for p in patients)
        Flag.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            services.flags_sweep_rest(now=now)
        queries.append(len(captured))
    Flag.objects.all().delete()
    services.flags_sweep_rest(now=now)
    flagged = set(Flag.objects.filter(reason=FlagReason.REST).values_list("patient_id", flat=True))
    assert flagged == expected and len(expected) == 2  # Auckland's only: 3 whole days there, 2 in LA
    assert queries[0] == queries[1] == queries[2]


def test_sweep_with_no_clinic_yet_does_nothing(db):
    assert services.flags_sweep(now=timezone.now()) == {"evaluated": 0, "rest_flags": 0, "alerts": 0}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_each_flag_once(physio, shipped_library):
    from programs.models import Exercise

    make_active_patients(physio, {"dead-bug": Exercise.objects.get(clinic=None, key="dead-bug")}, 20)
    now = timezone.now()
    barrier = threading.Barrier(2)
    errors = []

    def sweep(moment):
        try:
            barrier.wait()
            services.flags_sweep_rest(now=moment)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(now + timedelta(microseconds=i),)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Flag.objects.filter(reason="rest").count() == 20
    assert FlagEvent.objects.filter(kind="raised").count() == 20


class TestEmails:
    def test_alert_sent_once_with_rule_and_values(self, active):
        evaluate(report(active, max_pain=4))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        (email,) = mail.outbox
        assert email.to == [active.program.patient.physiotherapist.email]
        assert "Pain over threshold" in email.subject
        assert "Rule 3" in email.body and "Highest pain 4/5 is above the threshold of 1/5" in email.body
        assert flag.events.filter(kind="notified").count() == 1

    def test_new_warning_symptoms_on_an_acknowledged_urgent_flag_alert_the_physio_again(
        self, active, physio, django_capture_on_commit_callbacks
    ):
        evaluate(report(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        patient_services.flag_acknowledge(flag=flag, by=physio)
        later = report(active, max_pain=0, bladder_bowel=True)
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)
        assert len(callbacks) == 1  # the alert, queued again
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        first, again = mail.outbox
        assert "again" not in first.subject and "new weakness in both legs" in first.body
        assert again.subject.startswith("URGENT – warning symptoms again")
        assert "bladder or bowel" in again.body and "(acknowledged)" in again.body
        flag.refresh_from_db()
        assert (flag.status, Flag.objects.count()) == ("acknowledged", 1)
        assert flag.events.filter(kind="notified").count() == 2
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)  # the same report again: nothing new to say
        assert callbacks == [] and services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 0

    def test_the_first_alert_tells_all_the_evidence_gathered_before_it(self, active):
        """Two reports evaluated before the alert task ran (a backlog, the sweep after an outage): one email, a
        first alert with both reports' symptoms, and nothing left for a second task."""
        evaluate(report(active, max_pain=0, leg_weakness=True))
        evaluate(report(active, max_pain=0, bladder_bowel=True))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        (email,) = mail.outbox
        assert "again" not in email.subject and "again" not in email.body
        assert "weakness in both legs" in email.body and "bladder or bowel" in email.body
        assert "Please acknowledge by" in email.body

    def test_an_alert_whose_evidence_an_earlier_alert_told_sends_nothing(self, active, physio):
        evaluate(report(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        evaluate(report(active, max_pain=0, bladder_bowel=True))  # its re-alert is queued...
        assert tasks.send_flag_alert(flag.pk) is True  # ...but the first alert, sent now, tells both
        Flag.objects.filter(pk=flag.pk).update(notified_at=None)  # the second report's task runs after all
        assert tasks.send_flag_alert(flag.pk) is False
        assert len(mail.outbox) == 1

    def test_an_alert_sent_before_alerts_recorded_what_they_told_covers_what_came_before(self, active):
        evaluate(report(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        FlagEvent.objects.create(flag=flag, kind="notified", values={"to": ["alex@northside.example"]})
        Flag.objects.filter(pk=flag.pk).update(notified_at=timezone.now())
        evaluate(report(active, max_pain=0, saddle_numbness=True))
        assert tasks.send_flag_alert(flag.pk) is True
        (email,) = mail.outbox
        assert "numbness" in email.body and "weakness in both legs" not in email.body

    def test_a_correction_adding_a_warning_symptom_alerts_again(
        self, active, physio, django_capture_on_commit_callbacks
    ):
        saved = report(active, max_pain=0, leg_weakness=True)
        evaluate(saved)
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        patient_services.flag_acknowledge(flag=flag, by=physio)
        done = {item.pk: "done" for item in active.items.all()}
        correct = {"outcomes": done, "max_pain": 0, "pain_now": 0, "sharp_pain": False, "leg_weakness": True}
        with django_capture_on_commit_callbacks() as callbacks:
            services.report_correct(report=saved, **correct, bladder_bowel=True)
        assert len(callbacks) == 2  # the alert and the evaluation
        assert tasks.send_flag_alert(flag.pk) is True
        again = mail.outbox[1]
        assert "warning symptoms again" in again.subject
        assert "new bladder or bowel control problems now reported" in again.body
        with django_capture_on_commit_callbacks() as callbacks:  # taking one back alerts nobody
            services.report_correct(report=saved, **correct)
        assert len(callbacks) == 1 and tasks.send_flag_alert(flag.pk) is False
        assert len(mail.outbox) == 2

    def test_a_corrected_report_raises_a_flag_staff_resolved_again_only_when_it_got_worse(self, active, physio):
        saved = report(active, max_pain=4, leg_weakness=True)
        evaluate(saved)
        for flag in Flag.objects.all():
            patient_services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient", note="Seen in clinic")
        done = {item.pk: "done" for item in active.items.all()}
        same = {"outcomes": done, "max_pain": 4, "pain_now": 0, "sharp_pain": False, "leg_weakness": True}
        services.report_correct(report=saved, **same, note="Typo fixed")
        evaluate(saved)
        assert Flag.objects.exclude(status="resolved").count() == 0  # nothing new: no second flag, no alert
        services.report_correct(report=saved, **same | {"max_pain": 5})
        evaluate(saved)
        assert list(Flag.objects.exclude(status="resolved").values_list("reason", flat=True)) == ["pain"]
        services.report_correct(report=saved, **same | {"max_pain": 5}, bladder_bowel=True)
        evaluate(saved)
        reopened = sorted(Flag.objects.exclude(status="resolved").values_list("reason", flat=True))
        assert reopened == ["pain", "warning_symptoms"]

    def test_new_pain_evidence_does_not_alert_again(self, active, django_capture_on_commit_callbacks):
        evaluate(report(active, max_pain=4))
        assert tasks.send_flag_alert(Flag.objects.get().pk) is True
        later = report(active, max_pain=5)
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)
        assert callbacks == []
        assert Flag.objects.get().events.filter(kind="evidence").count() == 1

    def test_a_lost_second_alert_is_sent_by_the_sweep(self, active, physio):
        evaluate(report(active, max_pain=0, leg_weakness=True))
        assert tasks.send_flag_alert(Flag.objects.get().pk) is True
        evaluate(report(active, max_pain=0, saddle_numbness=True))  # its alert task never ran
        assert services.flags_sweep(now=timezone.now())["alerts"] == 0  # within the grace period
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 1
        assert "numbness" in mail.outbox[-1].body

    def test_alert_queued_on_commit_for_immediate_reasons_only(self, active, django_capture_on_commit_callbacks):
        saved = report(active, max_pain=0, sharp_pain=True)
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(saved)
        assert len(callbacks) == 1  # the sharp-pain alert
        with django_capture_on_commit_callbacks() as callbacks:
            services.flags_sweep_rest(now=timezone.now() + timedelta(days=30))
        assert callbacks == []  # rest flags wait for the daily digest

    def test_escalation_once_to_this_clinics_admins(self, active):
        patient = active.program.patient
        admin = ClinicAdminFactory(clinic=patient.clinic, email="admin@home.example")
        ClinicAdminFactory(clinic=ClinicFactory(name="Elsewhere"), email="admin@elsewhere.example")
        evaluate(report(active, max_pain=0, bladder_bowel=True))
        flag = Flag.objects.get()
        assert patient_services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=59)) == 0
        assert patient_services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=61)) == 1
        assert patient_services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=90)) == 0
        (email,) = mail.outbox
        assert email.to == [admin.email]
        assert "URGENT Warning symptoms" in email.body and "Rule 5" in email.body
        assert "new bladder or bowel control problems" in email.body
        flag.refresh_from_db()
        assert flag.escalated_at is not None

    def test_acknowledged_flags_are_not_escalated(self, active):
        ClinicAdminFactory(clinic=active.program.patient.clinic)
        evaluate(report(active, max_pain=3))
        flag = Flag.objects.get()
        patient_services.flag_acknowledge(flag=flag, by=active.program.patient.physiotherapist)
        assert patient_services.flag_escalate_overdue(now=flag.opened_at + timedelta(hours=25)) == 0
        assert mail.outbox == []

    def test_rest_digest_one_email_per_physio_once(self, active, physio, library):
        other_physio = PhysioFactory(clinic=physio.clinic, email="sam@northside.example")
        make_active_patients(other_physio, library, 2)
        services.flags_sweep_rest(now=timezone.now() + timedelta(days=30))
        assert Flag.objects.filter(reason="rest").count() == 3
        assert tasks.send_rest_digests() == 3
        assert tasks.send_rest_digests() == 0
        assert sorted(len(m.body.split("Rule 7")) - 1 for m in mail.outbox) == [1, 2]
        assert sorted(m.to[0] for m in mail.outbox) == ["alex@northside.example", "sam@northside.example"]


def id_lists(queries) -> list[int]:
    """How many values each IN (...) list of the captured statements holds."""
    return [
        len(found.split(",")) for q in queries.captured_queries for found in re.findall(r" IN \(([^()]+)\)", q["sql"])
    ]


def test_sweep_digest_and_escalation_send_long_id_lists_in_slices(physio, library, monkeypatch):
    """A backlog bigger than one statement's parameters: the same flags, events and emails, in order, with no
    list of ids longer than a slice."""
    monkeypatch.setattr("rehab.db.ID_SLICE", 2)
    ClinicAdminFactory(clinic=physio.clinic, email="admin@home.example")
    make_active_patients(physio, library, 5)
    later = timezone.now() + timedelta(days=30)
    with CaptureQueriesContext(connection) as sweep:
        assert services.flags_sweep_rest(now=later) == 5
    assert FlagEvent.objects.filter(kind="raised").count() == 5
    with CaptureQueriesContext(connection) as digests:
        assert tasks.send_rest_digests() == 5
    (digest,) = mail.outbox
    assert len(digest.body.split("Rule 7")) - 1 == 5
    with CaptureQueriesContext(connection) as escalation:
        assert patient_services.flag_escalate_overdue(now=later + timedelta(days=2)) == 5
    assert patient_services.flag_escalate_overdue(now=later + timedelta(days=2)) == 0
    assert Flag.objects.filter(escalated_at__isnull=True).count() == 0
    for queries in (sweep, digests, escalation):
        assert max(id_lists(queries)) == 2  # five ids, sent as 2 + 2 + 1


def test_management_command_twins(active, capsys):
    from django.core.management import call_command

    call_command("sweep_flags")
    call_command("escalate_flags")
    call_command("send_rest_digests")
    out = capsys.readouterr().out
    assert "rest flags raised" in out and "Flags escalated" in out and "digests" in out


class TestSweepEdges:
    def test_new_program_does_not_inherit_old_reports_or_pauses(self, active, physio, library):
        """Reports and a pause of an earlier program must not make a new program's first day a rest flag."""
        from programs.services import program_activate, program_add_exercise, program_create

        patient = active.program.patient
        today = patient.clinic.local_today()
        evaluate(report(active, days_ago=5))
        pause_create(patient=patient, created_by=physio, starts_on=today, ends_on=today, reason="Ill")
        later = today + timedelta(days=30)
        new = program_create(
            patient=patient, created_by=physio, title="Block 2", start_date=later, weekdays=[0, 2, 4]
        ).versions.get()
        program_add_exercise(version=new, exercise=library["bird-dog"])
        program_activate(version=new, activated_by=physio, progression_reason="Second block")
        Flag.objects.all().delete()
        assert services.flags_sweep_rest(now=at(patient.clinic, later)) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, later + timedelta(days=4))) == 1

    def test_cancelled_pause_is_not_a_session(self, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today - timedelta(days=10))
        pause = pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=5),
            reason="Holiday",
        )
        Flag.objects.all().delete()
        pause.resumed_on = pause.starts_on  # cancelled before it began
        pause.save()
        assert services.flags_sweep_rest(now=at(patient.clinic, today)) == 1

    def test_rest_flags_of_many_patients_close_together_in_a_fixed_number_of_queries(self, physio, library):
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=12)
        assert services.flags_sweep_rest(now=timezone.now() + timedelta(days=30)) == 12
        today = patients[0].clinic.local_today()
        few = {p.pk: (1000 + p.pk, today) for p in patients[:2]}
        many = {p.pk: (1000 + p.pk, today) for p in patients[2:]}
        with CaptureQueriesContext(connection) as small:
            assert len(patient_services.flags_close_rest(ends_rest=few)) == 2
        with CaptureQueriesContext(connection) as large:
            closed = patient_services.flags_close_rest(ends_rest=many)
        assert len(large) == len(small) and len(closed) == 10
        flag = Flag.objects.get(patient=patients[5])
        assert (flag.status, flag.outcome, flag.resolved_by) == ("resolved", "patient_reported", None)
        assert f"(report {1000 + patients[5].pk})" in flag.resolution_note
        assert list(flag.events.values_list("kind", flat=True).order_by("pk")) == ["raised", "resolved"]
        assert patient_services.flags_close_rest(ends_rest=many) == []  # closed already: nothing to do

    def test_closing_many_rest_flags_writes_them_in_batches(self, physio, library, monkeypatch):
        monkeypatch.setattr("rehab.db.BULK_BATCH", 2)
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=5)
        assert services.flags_sweep_rest(now=timezone.now() + timedelta(days=30)) == 5
        today = patients[0].clinic.local_today()
        with CaptureQueriesContext(connection) as queries:
            closed = patient_services.flags_close_rest(ends_rest={p.pk: (1000 + p.pk, today) for p in patients})
        assert len(closed) == 5 and not Flag.objects.exclude(status="resolved").exists()
        statements = [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]
        assert (statements.count("UPDATE"), statements.count("INSERT")) == (3, 3)  # 2 + 2 + 1 rows each

    def test_closing_rest_flags_refuses_more_patients_than_one_statement_takes(self, monkeypatch):
        monkeypatch.setattr("rehab.db.ID_SLICE", 2)
        today = timezone.now().date()
        with pytest.raises(ValueError, match="at most 2 patients"):
            patient_services.flags_close_rest(ends_rest={1: (1, today), 2: (2, today), 3: (3, today)})

    def test_closing_an_already_closed_rest_flag_is_harmless(self, active):
        patient = active.program.patient
        services.flags_sweep_rest(now=timezone.now() + timedelta(days=30))
        saved = report(active)
        assert patient_services.flag_close_rest(patient=patient, report_id=saved.pk, session_date=saved.session_date)
        assert (
            patient_services.flag_close_rest(patient=patient, report_id=saved.pk, session_date=saved.session_date)
            is None
        )

    def test_sweep_sends_alerts_whose_task_was_lost(self, active):
        evaluate(report(active, max_pain=4))  # its alert task was never delivered
        flag = Flag.objects.get()
        assert services.flags_sweep(now=timezone.now())["alerts"] == 0  # within the grace period
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 1
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=20))["alerts"] == 0
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [flag.patient.physiotherapist.email]


def test_escalation_failure_for_one_clinic_does_not_lose_the_others(physio, library, monkeypatch):
    home_admin = ClinicAdminFactory(clinic=physio.clinic, email="home@admin.example")
    other_physio = PhysioFactory(clinic=ClinicFactory(name="Other"))
    ClinicAdminFactory(clinic=other_physio.clinic, email="other@admin.example")
    flags = []
    for p in (make_patient(physio=physio), make_patient(physio=other_physio)):
        flag, _ = patient_services.flag_record(patient=p, reason="pain", rule="r", explanation="e", values={})
        flags.append(flag)
    real_send = patient_services._send

    def flaky(template, context, recipients):
        if recipients == [home_admin.email]:
            raise OSError("mail server down")
        return real_send(template, context, recipients)

    monkeypatch.setattr(patient_services, "_send", flaky)
    later = timezone.now() + timedelta(days=2)
    assert patient_services.flag_escalate_overdue(now=later) == 1
    assert [m.to for m in mail.outbox] == [["other@admin.example"]]
    home, other = (Flag.objects.get(pk=f.pk) for f in flags)
    assert home.escalated_at is None and other.escalated_at is not None  # home is tried again next time
    monkeypatch.setattr(patient_services, "_send", real_send)
    assert patient_services.flag_escalate_overdue(now=later) == 1
    assert mail.outbox[-1].to == ["home@admin.example"]
