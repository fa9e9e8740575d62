"""Celery entry points for accounts: thin, they take ids and call a service."""

import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from .models import User
from .services import user_send_set_password_email

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_set_password_email(user_id: int) -> None:
    user = User.objects.select_related("clinic").filter(pk=user_id, is_active=True).first()
    if user is None:
        logger.info("No active user %s: no set-password email sent", user_id)
        return
    user_send_set_password_email(user=user)


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired login sessions (the periodic twin of `manage.py clearsessions`)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("Cleared %s expired sessions", deleted)
    return deleted
