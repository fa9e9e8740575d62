"""Celery entry points for outcome measures. Thin: they call a service, and are safe to repeat."""

from celery import shared_task

from flags.tasks import RETRY

from . import services


@shared_task(**RETRY)
def make_questionnaires_due() -> dict:
    """Every hour: planned follow-up questionnaires whose day has come are asked, in every clinic at once."""
    return services.questionnaires_make_due()
