"""Celery entry points for the flag rules. Thin: they take ids, call a service, and are safe to repeat."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

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
EMAILS = RETRY | {"autoretry_for": (*RETRY["autoretry_for"], OSError)}
SWEEP = RETRY | {"soft_time_limit": 600, "time_limit": 660}


@shared_task(**RETRY)
def evaluate_checkin(checkin_id: int) -> int:
    """Apply the flag rules to a saved check-in (queued when it is sent or corrected)."""
    return len(services.checkin_evaluate(checkin_id=checkin_id))


@shared_task(**RETRY)
def evaluate_symptom_report(report_id: int) -> int:
    """Apply the flag rules to a symptom report sent without a session (queued when it is saved)."""
    return len(services.symptom_report_evaluate(report_id=report_id))


@shared_task(**RETRY)
def flag_flare_up(flare_up_id: int) -> bool:
    """Tell the physiotherapist about a flare-up the patient started (queued when it is saved)."""
    return services.flare_up_flag(flare_up_id=flare_up_id) is not None


@shared_task(**EMAILS)
def send_flag_alert(flag_id: int) -> bool:
    """Email the physiotherapist about an urgent or pain-related flag, telling each piece of evidence once."""
    return services.flag_send_alert(flag_id=flag_id)


@shared_task(**SWEEP)
def sweep_flags() -> dict:
    """Every 15 minutes: evaluate lost check-ins, flag patients resting too long, send lost alerts."""
    return services.flags_sweep()


@shared_task(**EMAILS)
def escalate_flags() -> int:
    """Email clinic admins about flags nobody acknowledged in time."""
    return services.flag_escalate_overdue()


@shared_task(**EMAILS)
def send_rest_digests() -> int:
    """Once a day: each physiotherapist's new rest flags in one email."""
    return services.flag_send_rest_digests()


# The names these tasks had before the flags app had its own: messages queued then, and beat entries saved in
# the database then, still carry them. Kept for one release.
shared_task(name="programs.tasks.evaluate_report", **RETRY)(evaluate_checkin.run)
shared_task(name="programs.tasks.send_flag_alert", **EMAILS)(send_flag_alert.run)
shared_task(name="programs.tasks.sweep_flags", **SWEEP)(sweep_flags.run)
shared_task(name="programs.tasks.escalate_flags", **EMAILS)(escalate_flags.run)
shared_task(name="programs.tasks.send_rest_digests", **EMAILS)(send_rest_digests.run)
