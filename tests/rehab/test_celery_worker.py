"""Proves the wiring end to end: a real Celery worker consuming from the real Redis broker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from rehab.celery import app
from tests.factories import make_patient
from tests.helpers import wait_for


@pytest.fixture
def celery_worker(transactional_db):
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.mark.worker
def test_registration_email_sent_by_worker(celery_worker, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    patient = make_patient(email="worker.test@example.com", password=None)
    assert wait_for(lambda: any(m.to == ["worker.test@example.com"] for m in mail.outbox))
    (email,) = [m for m in mail.outbox if m.to == ["worker.test@example.com"]]
    assert "set your password" in email.subject
    assert "/accounts/set-password/" in email.body
    assert patient.user.first_name in email.body


@pytest.mark.worker
def test_periodic_tasks_are_declared_in_code():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks <= set(app.tasks)
