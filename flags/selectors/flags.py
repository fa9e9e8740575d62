"""Which flags a user may see, a flag's row as lists show it, the queue's counts, one flag, and a patient's flags."""

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Prefetch,
    Q,
    QuerySet,
    When,
)

from patients.models import Patient
from patients.selectors import staff_clinic_id
from rehab.models import User
from rehab.prepared import prepared, with_parent

from ..models import UNRESOLVED, Flag, FlagEvent, FlagReason, FlagStatus, overdue_at


def flags_visible_to(user: User) -> QuerySet[Flag]:
    """Flags of the clinic's patients, for staff only (patients never see flags)."""
    clinic_id = staff_clinic_id(user)
    if clinic_id is None:
        return Flag.objects.none()
    return clinic_flags(clinic_id)


def clinic_flags(clinic_id: int) -> QuerySet[Flag]:
    """The flags of a clinic's patients (flags_visible_to, from the clinic's id, for a prepared query)."""
    return Flag.objects.filter(patient__in=Patient.objects.filter(clinic_id=clinic_id).values("pk"))


# What a flag's row in the queue and on the dashboard shows (templates/patients/_flag_row.html), and no more:
# the staff's other columns (passwords, emails, ...) were most of the rows' bytes.
FLAG_ROW_FIELDS = (
    "reason",
    "urgent",
    "status",
    "details",
    "opened_at",
    "last_evidence_at",
    "ack_due_at",
    "acknowledged_at",
    "escalated_at",
    "outcome",
    "rest_since",
    "rest_days",
    "patient__phone",
    "patient__user__first_name",
    "patient__user__last_name",
    "patient__physiotherapist__first_name",
    "patient__physiotherapist__last_name",
    "acknowledged_by__first_name",
    "acknowledged_by__last_name",
)


def flag_rows(flags: QuerySet[Flag]) -> QuerySet[Flag]:
    """Flags with what their rows show, in one query."""
    return flags.select_related("patient__user", "patient__physiotherapist", "acknowledged_by").only(*FLAG_ROW_FIELDS)


RECENTLY_RESOLVED = timedelta(days=7)


@prepared
def _counts(*, clinic_id: int, now: datetime, resolved_since: datetime) -> QuerySet:
    return (
        clinic_flags(clinic_id)
        .filter(UNRESOLVED | Q(status=FlagStatus.RESOLVED, resolved_at__gte=resolved_since))
        .order_by()
        .values("reason", "status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue_at(now)))
    )


def flag_counts(*, user: User, now) -> dict:
    """The queue's tiles in one query: overdue flags, unresolved flags per status and per reason, and the
    flags resolved in the last seven days. Older resolved flags are not counted, so the query reads the
    open work and one week of history, not every flag the clinic ever had."""
    clinic_id = staff_clinic_id(user)
    rows = [] if clinic_id is None else _counts(clinic_id=clinic_id, now=now, resolved_since=now - RECENTLY_RESOLVED)
    by_reason = dict.fromkeys(FlagReason.values, 0)
    by_status = dict.fromkeys(FlagStatus.values, 0)
    overdue = 0
    for row in rows:
        by_status[row["status"]] += row["n"]
        overdue += row["overdue"]
        if row["status"] != FlagStatus.RESOLVED:
            by_reason[row["reason"]] += row["n"]
    labels = dict(FlagStatus.choices) | {FlagStatus.RESOLVED: "Resolved in the last 7 days"}
    return {
        "overdue": overdue,
        "reasons": [(value, label, by_reason[value]) for value, label in FlagReason.choices],
        "statuses": [(value, labels[value], by_status[value]) for value in FlagStatus.values],
    }


def flag_detail(*, user: User, pk: int) -> Flag:
    return (
        flags_visible_to(user)
        .select_related(
            "patient__user",
            "patient__physiotherapist",
            "patient__clinic",
            "acknowledged_by",
            "resolved_by",
            "changed_to__program",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=FlagEvent.objects.select_related("by", "flare_up__plan", "flare_up__ended_by").order_by(
                    "at", "id"
                ),
            )
        )
        .get(pk=pk)
    )


def patient_flags(*, patient: Patient) -> list[Flag]:
    """Every flag of a patient, those not resolved first, with what the patient's page lists of each."""
    return with_parent(_flags_of(patient_id=patient.pk), "patient", patient)


@prepared
def _flags_of(*, patient_id: int) -> QuerySet[Flag]:
    return (
        Flag.objects.filter(patient_id=patient_id)
        .only(
            "patient",
            "reason",
            "urgent",
            "status",
            "details",
            "opened_at",
            "resolved_at",
            "outcome",
            "rest_since",
            "rest_days",
        )
        .order_by(Case(When(status=FlagStatus.RESOLVED, then=1), default=0), "-opened_at")
    )
