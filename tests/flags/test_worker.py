"""The flag engine on a real Celery worker and a real Redis broker, including a broker outage."""

import uuid
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from checkins import services as checkin_services
from checkins.models import CheckIn
from flags import tasks
from flags.models import Flag
from programs import services as program_services
from programs.models import Exercise
from rehab.celery import app
from tests.factories import make_patient
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(physio, shipped_library):
    patient = make_patient(physio=physio, first_name="Wendy", last_name="Worker")
    version = program_services.program_create(
        patient=patient, created_by=physio, title="P", start_date=patient.clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    program_services.program_add_exercise(version=version, exercise=Exercise.objects.get(clinic=None, key="dead-bug"))
    program_services.program_activate(version=version, activated_by=physio)
    version.refresh_from_db()
    return version


def submit(version, max_pain):
    patient = version.program.patient
    saved, _ = checkin_services.checkin_submit(
        patient=patient,
        version=version,
        idempotency_key=uuid.uuid4(),
        outcomes={i.pk: "done" for i in version.items.all()},
        session_date=patient.clinic.local_today(),
        max_pain=max_pain,
        pain_now=1,
        sharp_pain=False,
    )
    return saved


def test_report_over_threshold_is_flagged_by_the_worker(program, mailoutbox):
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        saved = submit(program, max_pain=4)  # committed: the evaluation is queued on Redis
        assert wait_for(lambda: Flag.objects.filter(patient=program.program.patient, reason="pain").exists())
        assert wait_for(lambda: any("Pain over threshold" in m.subject for m in mailoutbox))
    saved.refresh_from_db()
    assert saved.evaluated_at is not None


def test_broker_outage_then_sweep_catches_the_report(program, private_broker, client, monkeypatch):
    patient = program.program.patient
    private_broker.stop()
    client.force_login(patient.user)
    item = program.items.get()
    response = client.post(
        reverse("checkins:create"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "version": program.pk,
            "session_date": patient.clinic.local_today().isoformat(),
            f"exercise_{item.pk}": "done",
            "max_pain": "4",
            "pain_now": "2",
            "sharp_pain": "no",
            "symptoms": ["none"],
        },
        follow=True,
    )
    assert response.status_code == 200 and "your report is saved" in response.content.decode()
    saved = CheckIn.objects.get()
    assert saved.evaluated_at is None
    assert not Flag.objects.exists()

    private_broker.start()
    monkeypatch.setattr("flags.services.sweep.UNEVALUATED_GRACE", timedelta(0))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.sweep_flags.delay()  # what beat sends every 15 minutes
        assert wait_for(lambda: Flag.objects.filter(patient=patient, reason="pain").exists())
    saved.refresh_from_db()
    assert saved.evaluated_at is not None


def test_a_message_queued_under_a_tasks_earlier_name_still_runs(program):
    """Messages queued, and beat entries saved, before flags had an app of their own name the tasks as they were
    then: the worker still runs them, for this release."""
    saved = submit(program, max_pain=4)
    app.control.purge()  # the evaluation queued under the task's own name...
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        app.send_task("programs.tasks.evaluate_report", args=[saved.pk])  # ...and one queued under the old name
        assert wait_for(lambda: Flag.objects.filter(patient=program.program.patient, reason="pain").exists())
        app.send_task("programs.tasks.sweep_flags")
        app.send_task("programs.tasks.escalate_flags")
        app.send_task("programs.tasks.send_rest_digests")
        flag = Flag.objects.get(patient=program.program.patient, reason="pain")
        app.send_task("programs.tasks.send_flag_alert", args=[flag.pk])
        assert wait_for(lambda: Flag.objects.filter(pk=flag.pk, notified_at__isnull=False).exists())
