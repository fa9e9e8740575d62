"""Celery beat's reminder runs. Thin and idempotent: each reminder is claimed by its row before it is sent."""

from celery import shared_task

from flags.tasks import EMAILS

from . import services

RUN = EMAILS | {"soft_time_limit": 600, "time_limit": 660}


@shared_task(**RUN)
def send_session_reminders() -> int:
    """Every 5 minutes: the session reminders whose time has come in each clinic time zone."""
    return services.reminders_send_sessions()


@shared_task(**RUN)
def send_rest_nudges() -> int:
    """Every 5 minutes: the nudges before the rest limit whose time has come."""
    return services.reminders_send_nudges()
