import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from checkins import services as checkin_services
from flags import services, tasks
from flags.models import Flag, FlagEvent
from flags.services import alerts
from tests.factories import ClinicAdminFactory, ClinicFactory, PhysioFactory, bulk_active_patients, make_patient
from tests.helpers import count_queries, evaluate, send_checkin

pytestmark = pytest.mark.django_db


class TestEmails:
    def test_alert_sent_once_with_rule_and_values(self, active):
        evaluate(send_checkin(active, max_pain=4))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        (email,) = mail.outbox
        assert email.to == [active.program.patient.physiotherapist.email]
        assert "Pain over threshold" in email.subject
        assert (
            "Rule: Pain over the patient's threshold" in email.body
            and "Highest pain 4/5 is above the threshold of 1/5" in email.body
        )
        assert flag.events.filter(kind="notified").count() == 1

    def test_new_warning_symptoms_on_an_acknowledged_urgent_flag_alert_the_physio_again(
        self, active, physio, django_capture_on_commit_callbacks
    ):
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        services.flag_acknowledge(flag=flag, by=physio)
        later = send_checkin(active, max_pain=0, bladder_bowel=True)
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)
        assert len(callbacks) == 1  # the alert, queued again
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        first, again = mail.outbox
        assert "again" not in first.subject and "new weakness in both legs" in first.body
        assert again.subject.startswith("URGENT – warning symptoms again")
        # The flag needs acknowledging again, with a new deadline (rule 9).
        assert "bladder or bowel" in again.body and "(open)" in again.body and "Please acknowledge by" in again.body
        flag.refresh_from_db()
        assert (flag.status, Flag.objects.count()) == ("open", 1)
        assert flag.events.filter(kind="notified").count() == 2
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)  # the same report again: nothing new to say
        assert callbacks == [] and services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 0

    def test_the_first_alert_tells_all_the_evidence_gathered_before_it(self, active):
        """Two reports evaluated before the alert task ran (a backlog, the sweep after an outage): one email, a
        first alert with both reports' symptoms, and nothing left for a second task."""
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        evaluate(send_checkin(active, max_pain=0, bladder_bowel=True))
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        assert tasks.send_flag_alert(flag.pk) is False
        (email,) = mail.outbox
        assert "again" not in email.subject and "again" not in email.body
        assert "weakness in both legs" in email.body and "bladder or bowel" in email.body
        assert "Please acknowledge by" in email.body

    def test_an_alert_whose_evidence_an_earlier_alert_told_sends_nothing(self, active, physio):
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        evaluate(send_checkin(active, max_pain=0, bladder_bowel=True))  # its re-alert is queued...
        assert tasks.send_flag_alert(flag.pk) is True  # ...but the first alert, sent now, tells both
        Flag.objects.filter(pk=flag.pk).update(notified_at=None)  # the second report's task runs after all
        assert tasks.send_flag_alert(flag.pk) is False
        assert len(mail.outbox) == 1

    def test_an_alert_sent_before_alerts_recorded_what_they_told_covers_what_came_before(self, active):
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        flag = Flag.objects.get()
        FlagEvent.objects.create(flag=flag, kind="notified", values={"to": ["alex@northside.example"]})
        Flag.objects.filter(pk=flag.pk).update(notified_at=timezone.now())
        evaluate(send_checkin(active, max_pain=0, saddle_numbness=True))
        assert tasks.send_flag_alert(flag.pk) is True
        (email,) = mail.outbox
        assert "numbness" in email.body and "weakness in both legs" not in email.body

    def test_a_correction_adding_a_warning_symptom_alerts_again(
        self, active, physio, django_capture_on_commit_callbacks
    ):
        saved = send_checkin(active, max_pain=0, leg_weakness=True)
        evaluate(saved)
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is True
        services.flag_acknowledge(flag=flag, by=physio)
        done = {item.pk: "done" for item in active.items.all()}
        correct = {"outcomes": done, "max_pain": 0, "pain_now": 0, "sharp_pain": False, "leg_weakness": True}
        with django_capture_on_commit_callbacks() as callbacks:
            checkin_services.checkin_correct(checkin=saved, **correct, bladder_bowel=True)
        assert len(callbacks) == 1  # the evaluation, which says on the flags what changed...
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(saved)
        assert len(callbacks) == 1  # ...and queues the alert
        assert tasks.send_flag_alert(flag.pk) is True
        again = mail.outbox[1]
        assert "warning symptoms again" in again.subject
        assert "new bladder or bowel control problems now reported" in again.body
        assert "correction" not in again.body  # which correction it was is the app's own bookkeeping
        checkin_services.checkin_correct(checkin=saved, **correct)
        with django_capture_on_commit_callbacks() as callbacks:  # taking one back alerts nobody
            evaluate(saved)
        assert callbacks == [] and tasks.send_flag_alert(flag.pk) is False
        assert len(mail.outbox) == 2

    def test_a_corrected_report_raises_a_flag_staff_resolved_again_only_when_it_got_worse(self, active, physio):
        saved = send_checkin(active, max_pain=4, leg_weakness=True)
        evaluate(saved)
        for flag in Flag.objects.all():
            services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient", note="Seen in clinic")
        done = {item.pk: "done" for item in active.items.all()}
        same = {"outcomes": done, "max_pain": 4, "pain_now": 0, "sharp_pain": False, "leg_weakness": True}
        checkin_services.checkin_correct(checkin=saved, **same, note="Typo fixed")
        evaluate(saved)
        assert Flag.objects.exclude(status="resolved").count() == 0  # nothing new: no second flag, no alert
        checkin_services.checkin_correct(checkin=saved, **same | {"max_pain": 5})
        evaluate(saved)
        assert list(Flag.objects.exclude(status="resolved").values_list("reason", flat=True)) == ["pain"]
        checkin_services.checkin_correct(checkin=saved, **same | {"max_pain": 5}, bladder_bowel=True)
        evaluate(saved)
        reopened = sorted(Flag.objects.exclude(status="resolved").values_list("reason", flat=True))
        assert reopened == ["pain", "warning_symptoms"]

    def test_a_checkin_corrected_before_its_evaluation_ran_is_alerted_once(self, active):
        """The patient corrects a check-in (adding a warning symptom) before its task ran, say after a backlog:
        the evaluation sees the corrected figures and alerts them once; the correction's own evaluation has
        nothing to add, so there is no second, "again" alert and no note of a change the flag never saw."""
        saved = send_checkin(active, max_pain=0)
        done = {item.pk: "done" for item in active.items.all()}
        correct = {"outcomes": done, "max_pain": 0, "pain_now": 0, "sharp_pain": False}
        checkin_services.checkin_correct(checkin=saved, **correct, bladder_bowel=True)
        evaluate(saved)  # the task the check-in queued, run late
        assert tasks.send_flag_alert(Flag.objects.get().pk) is True
        evaluate(saved)  # the task the correction queued
        flag = Flag.objects.get()
        assert tasks.send_flag_alert(flag.pk) is False
        assert not flag.events.filter(kind="corrected").exists()
        (email,) = mail.outbox
        assert "again" not in email.subject and "bladder or bowel" in email.body

    def test_new_pain_evidence_does_not_alert_again(self, active, django_capture_on_commit_callbacks):
        evaluate(send_checkin(active, max_pain=4))
        assert tasks.send_flag_alert(Flag.objects.get().pk) is True
        later = send_checkin(active, max_pain=5)
        with django_capture_on_commit_callbacks() as callbacks:
            evaluate(later)
        assert callbacks == []
        assert Flag.objects.get().events.filter(kind="evidence").count() == 1

    def test_a_lost_second_alert_is_sent_by_the_sweep(self, active, physio):
        evaluate(send_checkin(active, max_pain=0, leg_weakness=True))
        assert tasks.send_flag_alert(Flag.objects.get().pk) is True
        evaluate(send_checkin(active, max_pain=0, saddle_numbness=True))  # its alert task never ran
        assert services.flags_sweep(now=timezone.now())["alerts"] == 0  # within the grace period
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 1
        assert "numbness" in mail.outbox[-1].body

    def test_alert_queued_on_commit_for_immediate_reasons_only(self, active, django_capture_on_commit_callbacks):
        saved = send_checkin(active, max_pain=0, sharp_pain=True)
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
        evaluate(send_checkin(active, max_pain=0, bladder_bowel=True))
        flag = Flag.objects.get()
        assert services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=59)) == 0
        assert services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=61)) == 1
        assert services.flag_escalate_overdue(now=flag.opened_at + timedelta(minutes=90)) == 0
        (email,) = mail.outbox
        assert email.to == [admin.email]
        assert "URGENT Warning symptoms" in email.body and "Rule: Any warning symptom" in email.body
        assert "new bladder or bowel control problems" in email.body
        flag.refresh_from_db()
        assert flag.escalated_at is not None

    def test_acknowledged_flags_are_not_escalated(self, active):
        ClinicAdminFactory(clinic=active.program.patient.clinic)
        evaluate(send_checkin(active, max_pain=3))
        flag = Flag.objects.get()
        services.flag_acknowledge(flag=flag, by=active.program.patient.physiotherapist)
        assert services.flag_escalate_overdue(now=flag.opened_at + timedelta(hours=25)) == 0
        assert mail.outbox == []

    def test_rest_digest_one_email_per_physio_once(self, active, physio, library):
        other_physio = PhysioFactory(clinic=physio.clinic, email="sam@northside.example")
        bulk_active_patients(physio=other_physio, exercise=library["dead-bug"], count=2)
        services.flags_sweep_rest(now=timezone.now() + timedelta(days=30))
        assert Flag.objects.filter(reason="rest").count() == 3
        assert tasks.send_rest_digests() == 3
        assert tasks.send_rest_digests() == 0
        assert sorted(len(m.body.split("Rule: More than 2 whole rest days in a row")) - 1 for m in mail.outbox) == [
            1,
            2,
        ]
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
    bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=5)
    later = timezone.now() + timedelta(days=30)
    with count_queries() as sweep:
        assert services.flags_sweep_rest(now=later) == 5
    assert FlagEvent.objects.filter(kind="raised").count() == 5
    with count_queries() as digests:
        assert tasks.send_rest_digests() == 5
    (digest,) = mail.outbox
    assert len(digest.body.split("Rule: More than 2 whole rest days in a row")) - 1 == 5
    with count_queries() as escalation:
        assert services.flag_escalate_overdue(now=later + timedelta(days=2)) == 5
    assert services.flag_escalate_overdue(now=later + timedelta(days=2)) == 0
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


def test_escalation_failure_for_one_clinic_does_not_lose_the_others(physio, library, monkeypatch):
    home_admin = ClinicAdminFactory(clinic=physio.clinic, email="home@admin.example")
    other_physio = PhysioFactory(clinic=ClinicFactory(name="Other"))
    ClinicAdminFactory(clinic=other_physio.clinic, email="other@admin.example")
    flags = []
    for p in (make_patient(physio=physio), make_patient(physio=other_physio)):
        flag, _ = services.flag_record(patient=p, reason="pain", rule="r", explanation="e", values={})
        flags.append(flag)
    real_send = alerts._send

    def flaky(template, context, recipients):
        if recipients == [home_admin.email]:
            raise OSError("mail server down")
        return real_send(template, context, recipients)

    monkeypatch.setattr(alerts, "_send", flaky)
    later = timezone.now() + timedelta(days=2)
    assert services.flag_escalate_overdue(now=later) == 1
    assert [m.to for m in mail.outbox] == [["other@admin.example"]]
    home, other = (Flag.objects.get(pk=f.pk) for f in flags)
    assert home.escalated_at is None and other.escalated_at is not None  # home is tried again next time
    monkeypatch.setattr(alerts, "_send", real_send)
    assert services.flag_escalate_overdue(now=later) == 1
    assert mail.outbox[-1].to == ["home@admin.example"]
