"""Reads about flags: the clinic's queue and its counts, one flag, a patient's flags, and the physiotherapist's
dashboard. Every query starts from what the requesting user may see. By sub-domain: `flags` (what a user may see, rows,
counts, one flag), `queue`, `dashboard`."""

from .dashboard import (
    SPARKLINE_POINTS,
    caseload,
    caseload_aside,
    caseload_paginator,
    caseload_rows,
    own_open_flag_rows,
    own_open_flags,
    sparkline,
)
from .flags import (
    FLAG_ROW_FIELDS,
    RECENTLY_RESOLVED,
    flag_counts,
    flag_detail,
    flag_rows,
    flags_visible_to,
    patient_flags,
)
from .queue import (
    REASON_RANK,
    PatientRow,
    flag_queue,
    flags_worst_first,
    is_filtered,
    page_patient_rows,
    queue_flags,
    queue_patient_rows,
    queue_patients,
    queue_patients_paginator,
)

__all__ = [
    "caseload",
    "caseload_rows",
    "caseload_aside",
    "caseload_paginator",
    "flag_counts",
    "flag_detail",
    "flag_queue",
    "FLAG_ROW_FIELDS",
    "flag_rows",
    "flags_visible_to",
    "flags_worst_first",
    "own_open_flag_rows",
    "own_open_flags",
    "patient_flags",
    "PatientRow",
    "queue_flags",
    "is_filtered",
    "page_patient_rows",
    "queue_patient_rows",
    "queue_patients_paginator",
    "queue_patients",
    "REASON_RANK",
    "RECENTLY_RESOLVED",
    "sparkline",
    "SPARKLINE_POINTS",
]
