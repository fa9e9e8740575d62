"""The clinic's flag queue: one row per flag, or one per patient with every open flag of theirs, worst first."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    Max,
    Min,
    Q,
    QuerySet,
    When,
)
from django.utils.functional import SimpleLazyObject

from patients.models import Patient
from patients.selectors import staff_clinic_id
from rehab.models import User
from rehab.pagination import CountedPaginator, with_total
from rehab.prepared import prepared

from ..models import Flag, FlagReason, FlagStatus, overdue_at
from .flags import clinic_flags, flag_rows, flags_visible_to


def queue_flags(
    *,
    user: User,
    reason: str = "",
    status: str = "",
    physiotherapist_id: int | None = None,
    escalated: str = "",
    opened_from=None,
    opened_to=None,
    search: str = "",
) -> QuerySet[Flag]:
    """The clinic's flags the queue's filters select, in no order. `status` "" means every unresolved flag."""
    qs = flags_visible_to(user)
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = _unresolved(qs)
    if reason:
        qs = qs.filter(reason=reason)
    if physiotherapist_id:
        qs = qs.filter(patient__physiotherapist_id=physiotherapist_id)
    if escalated == "yes":
        qs = qs.filter(escalated_at__isnull=False)
    elif escalated == "no":
        qs = qs.filter(escalated_at__isnull=True)
    if opened_from:
        qs = qs.filter(opened_at__date__gte=opened_from)
    if opened_to:
        qs = qs.filter(opened_at__date__lte=opened_to)
    for term in search.split():
        qs = qs.filter(Q(patient__user__first_name__icontains=term) | Q(patient__user__last_name__icontains=term))
    return qs


def flag_queue(*, user: User, **filters) -> QuerySet[Flag]:
    """The queue one row per flag: urgent first, then oldest first."""
    return flag_rows(queue_flags(user=user, **filters)).order_by("-urgent", "opened_at", "pk")


# A patient's reasons in their queue row, worst first: what may need the patient seen today, then pain, then the rest.
REASON_RANK = {
    reason: rank
    for rank, reason in enumerate(
        [
            FlagReason.WARNING_SYMPTOMS,
            FlagReason.NEW_SYMPTOM,
            FlagReason.SHARP_PAIN,
            FlagReason.PAIN,
            FlagReason.WORSENING,
            FlagReason.FLARE_UP,
            FlagReason.OUTCOME_WORSE,
            FlagReason.REST,
        ]
    )
}


def queue_patients(*, user: User, now, **filters) -> QuerySet:
    """The queue one row per patient: the ids of the patients with flags the filters select, worst first (an urgent
    flag, then an overdue one, then the oldest flag), as rows of `patient_id`. Page it, then read the flags of a
    page with queue_patient_rows."""
    return _by_patient(queue_flags(user=user, **filters), now=now)


def _by_patient(flags: QuerySet[Flag], *, now) -> QuerySet:
    return (
        flags.order_by()
        .values("patient_id")
        .annotate(
            any_urgent=Max(Case(When(urgent=True, then=1), default=0)),
            any_overdue=Max(Case(When(overdue_at(now), then=1), default=0)),
            first_opened=Min("opened_at"),
        )
        .order_by("-any_urgent", "-any_overdue", "first_opened", "patient_id")
    )


def is_filtered(filters: dict) -> bool:
    """Whether the queue's filters select anything but every unresolved flag (the queue as it opens)."""
    return any(value not in ("", None) for value in filters.values())


def _unresolved(flags: QuerySet[Flag]) -> QuerySet[Flag]:
    """The queue's flags with no filter given (queue_flags: `status` "" means every unresolved flag)."""
    return flags.exclude(status=FlagStatus.RESOLVED)


def queue_patients_paginator(*, user: User, now, per_page: int, **filters) -> CountedPaginator:
    """The queue one row per patient in pages. Unfiltered (the queue as it opens), each page is read by a prepared
    query (rehab.prepared) with its number of rows."""
    clinic_id = staff_clinic_id(user)
    if clinic_id is None or is_filtered(filters):
        return CountedPaginator(queue_patients(user=user, now=now, **filters), per_page)
    return CountedPaginator(
        SimpleLazyObject(lambda: queue_patients(user=user, now=now)),
        per_page,
        read_page=lambda bottom, top: _unfiltered_page(clinic_id=clinic_id, now=now, bottom=bottom, top=top),
    )


@prepared(shape=("bottom", "top"))
def _unfiltered_page(*, clinic_id: int, now: datetime, bottom: int, top: int) -> QuerySet:
    return with_total(_by_patient(_unresolved(clinic_flags(clinic_id)), now=now), bottom, top)


@prepared
def _unresolved_flag_rows(*, clinic_id: int, ids: tuple[int, ...]) -> QuerySet[Flag]:
    return flag_rows(_unresolved(clinic_flags(clinic_id)).filter(patient_id__in=ids))


def page_patient_rows(*, user: User, patient_ids: list[int], now, **filters) -> list["PatientRow"]:
    """The rows of a page of the queue one row per patient (queue_patient_rows), each with its flags the filters
    select; unfiltered, read by a prepared query."""
    clinic_id = staff_clinic_id(user)
    if clinic_id is None or is_filtered(filters):
        return queue_patient_rows(flags=queue_flags(user=user, **filters), patient_ids=patient_ids, now=now)
    if not patient_ids:
        return []
    return patient_rows_of(_unresolved_flag_rows(clinic_id=clinic_id, ids=tuple(patient_ids)), patient_ids, now)


@dataclass
class PatientRow:
    """One patient's row of the queue: their flags worst first, and the flags each of the row's actions acts on."""

    patient: Patient
    flags: list[Flag]
    now: datetime = field(repr=False)

    @property
    def unresolved(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.is_open]

    @property
    def unacknowledged(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.status == FlagStatus.OPEN]

    @property
    def rest_flag(self) -> Flag | None:
        return next((flag for flag in self.unresolved if flag.reason == FlagReason.REST), None)

    @property
    def overdue(self) -> bool:
        return any(flag.is_overdue(self.now) for flag in self.flags)

    @property
    def urgent(self) -> bool:
        return any(flag.urgent and flag.is_open for flag in self.flags)


def flags_worst_first(flags, now) -> list[Flag]:
    return sorted(
        flags,
        key=lambda f: (
            not f.is_open,
            not (f.urgent and f.is_open),
            not f.is_overdue(now),
            REASON_RANK.get(f.reason, len(REASON_RANK)),
            f.opened_at,
            f.pk,
        ),
    )


def queue_patient_rows(*, flags: QuerySet[Flag], patient_ids: list[int], now) -> list[PatientRow]:
    """The rows of a page of patients (in the order given), each with its flags among `flags`: one query."""
    return patient_rows_of(flag_rows(flags.filter(patient_id__in=patient_ids)), patient_ids, now)


def patient_rows_of(flags, patient_ids: list[int], now) -> list[PatientRow]:
    """The rows of these patients (in the order given), each with its flags among `flags` (read already)."""
    by_patient: dict[int, list[Flag]] = {pk: [] for pk in patient_ids}
    for flag in flags:
        by_patient[flag.patient_id].append(flag)
    return [
        PatientRow(patient=found[0].patient, flags=flags_worst_first(found, now), now=now)
        for found in by_patient.values()
        if found
    ]
