"""The one way the apps queue background work: a Celery task, by its name, once the transaction commits.

Services name the task instead of importing it, so a tasks module imports its services and never the reverse
(no services <-> tasks import cycle), and a lower app can queue work that a higher app's task does. Queued on
commit, a task never runs before the rows it reads exist, and nothing is queued for a change that rolled back.
"""

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args) -> None:
    """Queue the task `task_name` with `args` once the current transaction commits (at once outside one).

    A broker that is down is logged, never raised: the change is saved, and each periodic sweep finds what a lost
    message would have done (a check-in that was never evaluated, an alert that was never sent)."""

    def send_task() -> None:
        current_app.send_task(task_name, args=args)

    send_task.__qualname__ = f"send_task({task_name!r})"  # how Django's log names it if the broker is down
    transaction.on_commit(send_task, robust=True)
