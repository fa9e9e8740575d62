"""The clinic's flag queue, a flag's own page, the actions on a flag, and the physiotherapist's dashboard.

Actions are plain POST forms that work without JavaScript; from a row of the queue or the dashboard, htmx swaps
only that row (and the counts it changes)."""

from .dashboard import dashboard, ease_off, step_up
from .flag import flag_acknowledge, flag_detail, flag_reassign, flag_resolve
from .queue import flag_bulk_resolve, flag_queue, patient_flags_acknowledge, patient_flags_resolve

__all__ = [
    "dashboard",
    "ease_off",
    "flag_acknowledge",
    "flag_bulk_resolve",
    "flag_detail",
    "flag_queue",
    "flag_reassign",
    "flag_resolve",
    "patient_flags_acknowledge",
    "patient_flags_resolve",
    "step_up",
]
