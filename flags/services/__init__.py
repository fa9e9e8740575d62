"""Every write to flags and their events. One module per part of a flag's life; the names are importable from
here as before."""

from .alerts import flag_escalate_overdue, flag_send_alert, flag_send_rest_digests
from .evaluation import checkin_evaluate, checkins_evaluate, flag_record_finding, symptom_report_evaluate
from .flare_ups import flare_up_flag
from .lifecycle import (
    flag_acknowledge,
    flag_claim,
    flag_record,
    flag_resolve,
    flag_unclaim,
    flags_close_at_discharge,
    flags_close_rest,
    flags_note_correction,
    flags_note_reassignment,
)
from .progress import flag_prepare_ease_off, patient_prepare_step_up
from .sweep import (
    EVALUATE_CHUNK,
    UNEVALUATED_BATCH,
    UNEVALUATED_GRACE,
    flags_count_rest_days,
    flags_evaluate_missed,
    flags_flag_missed_flare_ups,
    flags_send_missed_alerts,
    flags_sweep,
    flags_sweep_rest,
)
from .together import flag_bulk_resolve, patient_flags_acknowledge, patient_flags_resolve

__all__ = [
    "EVALUATE_CHUNK",
    "UNEVALUATED_BATCH",
    "UNEVALUATED_GRACE",
    "checkin_evaluate",
    "checkins_evaluate",
    "flag_acknowledge",
    "flag_bulk_resolve",
    "flag_claim",
    "flag_escalate_overdue",
    "flag_prepare_ease_off",
    "flag_record",
    "flag_record_finding",
    "flag_resolve",
    "flag_send_alert",
    "flag_send_rest_digests",
    "flag_unclaim",
    "flags_close_at_discharge",
    "flags_close_rest",
    "flags_count_rest_days",
    "flags_evaluate_missed",
    "flags_flag_missed_flare_ups",
    "flags_note_correction",
    "flags_note_reassignment",
    "flags_send_missed_alerts",
    "flags_sweep",
    "flags_sweep_rest",
    "flare_up_flag",
    "patient_flags_acknowledge",
    "patient_flags_resolve",
    "patient_prepare_step_up",
    "symptom_report_evaluate",
]
