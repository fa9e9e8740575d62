"""Celery entry points for the flag rules. Thin: they take ids, call a service, and are safe to repeat."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from patients import services as patient_services

from . import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(**RETRY)
def evaluate_report(report_id: int) -> int:
    """Apply rules 3-6 to a saved report (queued when the report is saved or corrected)."""
    return len(services.report_evaluate(report_id=report_id))


@shared_task(**(RETRY | {"autoretry_for": (*RETRY["autoretry_for"], OSError)}))
def send_flag_alert(flag_id: int) -> bool:
    """Email the physiotherapist about an urgent or pain flag, once."""
    return patient_services.flag_send_alert(flag_id=flag_id)


@shared_task(**(RETRY | {"soft_time_limit": 600, "time_limit": 660}))
def sweep_flags() -> dict:
    """Every 15 minutes: evaluate missed reports, then flag patients resting too long (rule 7)."""
    return services.flags_sweep()


@shared_task(**(RETRY | {"autoretry_for": (*RETRY["autoretry_for"], OSError)}))
def escalate_flags() -> int:
    """Email clinic admins about flags nobody acknowledged in time (rule 9)."""
    return patient_services.flag_escalate_overdue()


@shared_task(**(RETRY | {"autoretry_for": (*RETRY["autoretry_for"], OSError)}))
def send_rest_digests() -> int:
    """Once a day: each physiotherapist's new rest flags in one email."""
    return patient_services.flag_send_rest_digests()
