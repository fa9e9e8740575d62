"""Reads about patients. Every query starts from what the requesting user may see."""

from datetime import timedelta

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When

from rehab.models import AuditEvent, User

from . import rules
from .models import UNRESOLVED, Flag, FlagEvent, FlagReason, FlagStatus, Patient, Pause


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """The patients `user` may see: their clinic's for staff, their own record for a patient."""
    if not user.is_authenticated or user.clinic_id is None or not user.is_active:
        return Patient.objects.none()
    if user.role in (User.Role.PHYSIO, User.Role.CLINIC_ADMIN):
        return Patient.objects.filter(clinic_id=user.clinic_id)
    if user.role == User.Role.PATIENT:
        return Patient.objects.filter(user_id=user.pk)
    return Patient.objects.none()


def own_patient(user: User) -> Patient | None:
    """A patient's own record, as patients_visible_to has it, or None. The audit trail has usually read it already
    (user.patient), and its user and clinic are the signed-in user's own, so a patient's page reads it at most
    once."""
    if not user.is_authenticated or user.clinic_id is None or not user.is_active or user.role != User.Role.PATIENT:
        return None
    patient = getattr(user, "patient", None)  # None when the account has no patient record
    if patient is not None and patient.clinic_id == user.clinic_id:
        patient.clinic = user.clinic
    return patient


def pauses_visible_to(user: User) -> QuerySet[Pause]:
    return Pause.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def audit_events(*, user: User, patient: Patient) -> QuerySet[AuditEvent]:
    """The audit trail of one patient, for their clinic's admins."""
    if user.role != User.Role.CLINIC_ADMIN or patient.clinic_id != user.clinic_id:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(clinic_id=user.clinic_id, patient_id=patient.pk).select_related("user")


def clinic_physio(*, user: User, pk: int) -> User:
    """A physiotherapist (active or not) of the user's clinic; User.DoesNotExist otherwise."""
    return User.objects.get(pk=pk, clinic_id=user.clinic_id, role=User.Role.PHYSIO)


def patient_list(
    *, user: User, search: str = "", phase: str = "", physiotherapist_id: int | None = None
) -> QuerySet[Patient]:
    qs = patients_visible_to(user).select_related("user", "physiotherapist", "clinic")
    for term in search.split():
        qs = qs.filter(Q(user__first_name__icontains=term) | Q(user__last_name__icontains=term))
    if phase:
        after, on_or_before = rules.onset_range(rules.Phase(phase), user.clinic.local_today())
        if after is not None:
            qs = qs.filter(onset_date__gt=after)
        if on_or_before is not None:
            qs = qs.filter(onset_date__lte=on_or_before)
    if physiotherapist_id:
        qs = qs.filter(physiotherapist_id=physiotherapist_id)
    return qs.order_by("user__last_name", "user__first_name", "pk")


def patient_detail(*, user: User, pk: int) -> Patient:
    """One patient the user may see, with what the detail page shows; Patient.DoesNotExist otherwise."""
    return patients_visible_to(user).select_related("user", "physiotherapist", "clinic").get(pk=pk)


def threshold_history(*, patient: Patient):
    return patient.threshold_changes.select_related("changed_by").order_by("-changed_at", "-id")


def physiotherapists_of(clinic_id: int) -> QuerySet[User]:
    return User.objects.filter(clinic_id=clinic_id, role=User.Role.PHYSIO, is_active=True).order_by(
        "last_name", "first_name"
    )


# --- Flags ---------------------------------------------------------------------------------------


def flags_visible_to(user: User) -> QuerySet[Flag]:
    """Flags of the clinic's patients, for staff only (patients never see flags)."""
    if getattr(user, "role", None) not in (User.Role.PHYSIO, User.Role.CLINIC_ADMIN):
        return Flag.objects.none()
    return Flag.objects.filter(patient__in=patients_visible_to(user).values("pk"))


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


def flag_queue(
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
    """The clinic's flags, urgent first, then oldest first. `status` "" means every unresolved flag."""
    qs = flag_rows(flags_visible_to(user))
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=FlagStatus.RESOLVED)
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
    return qs.order_by("-urgent", "opened_at", "pk")


RECENTLY_RESOLVED = timedelta(days=7)


def flag_counts(*, user: User, now) -> dict:
    """The queue's tiles in one query: overdue flags, unresolved flags per status and per reason, and the
    flags resolved in the last seven days. Older resolved flags are not counted, so the query reads the
    open work and one week of history, not every flag the clinic ever had."""
    rows = (
        flags_visible_to(user)
        .filter(UNRESOLVED | Q(status=FlagStatus.RESOLVED, resolved_at__gte=now - RECENTLY_RESOLVED))
        .order_by()
        .values("reason", "status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(status=FlagStatus.OPEN, ack_due_at__lt=now)))
    )
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
            "patient__user", "patient__physiotherapist", "patient__clinic", "acknowledged_by", "resolved_by"
        )
        .prefetch_related(Prefetch("events", queryset=FlagEvent.objects.select_related("by").order_by("at", "id")))
        .get(pk=pk)
    )


def patient_flags(*, patient: Patient) -> list[Flag]:
    """Every flag of a patient, those not resolved first, with what the patient's page lists of each."""
    return list(
        patient.flags.only(
            "patient", "reason", "urgent", "status", "details", "opened_at", "resolved_at", "outcome"
        ).order_by(Case(When(status=FlagStatus.RESOLVED, then=1), default=0), "-opened_at")
    )
