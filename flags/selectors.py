"""Reads about flags: the clinic's queue and its counts, one flag, a patient's flags, and the physiotherapist's
dashboard. Every query starts from what the requesting user may see."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from checkins import rules as checkin_rules
from checkins.models import CheckIn
from checkins.selectors import days_paused
from patients.models import Patient, Pause
from patients.selectors import ACTIVE, by_episode_status, in_care, patients_visible_to
from programs.models import Program, ProgramVersion
from programs.selectors import first_start
from rehab.models import User

from .models import UNRESOLVED, Flag, FlagEvent, FlagReason, FlagStatus


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


def _overdue(now) -> Q:
    return Q(status=FlagStatus.OPEN, acknowledged_at__isnull=True, ack_due_at__lt=now)


def queue_patients(*, user: User, now, **filters) -> QuerySet:
    """The queue one row per patient: the ids of the patients with flags the filters select, worst first (an urgent
    flag, then an overdue one, then the oldest flag), as rows of `patient_id`. Page it, then read the flags of a
    page with queue_patient_rows."""
    return (
        queue_flags(user=user, **filters)
        .order_by()
        .values("patient_id")
        .annotate(
            any_urgent=Max(Case(When(urgent=True, then=1), default=0)),
            any_overdue=Max(Case(When(_overdue(now), then=1), default=0)),
            first_opened=Min("opened_at"),
        )
        .order_by("-any_urgent", "-any_overdue", "first_opened", "patient_id")
    )


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
    by_patient: dict[int, list[Flag]] = {pk: [] for pk in patient_ids}
    for flag in flag_rows(flags.filter(patient_id__in=patient_ids)):
        by_patient[flag.patient_id].append(flag)
    return [
        PatientRow(patient=found[0].patient, flags=flags_worst_first(found, now), now=now)
        for found in by_patient.values()
        if found
    ]


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
    return list(
        patient.flags.only(
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
        ).order_by(Case(When(status=FlagStatus.RESOLVED, then=1), default=0), "-opened_at")
    )


# --- The physiotherapist's dashboard ----------------------------------------------------------

SPARKLINE_POINTS = 10
ADHERENCE_DAYS = 14  # the dashboard's adherence column: the last two weeks


def _own_caseload(physio: User) -> QuerySet[Patient]:
    return patients_visible_to(physio).filter(physiotherapist=physio)


def _active_program():
    return Program.objects.filter(patient=OuterRef("pk"), status=Program.Status.ACTIVE)


def caseload(*, physio: User, episodes: str = ACTIVE) -> QuerySet[Patient]:
    """A physiotherapist's patients in a course of care (or those discharged, or everybody: `episodes`), those with
    open flags first, with their last report: one query.

    Only the fields the dashboard shows are read.
    """
    last = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-session_date", "-submitted_at")
    open_flags = (
        Flag.objects.filter(patient=OuterRef("pk"))
        .exclude(status=FlagStatus.RESOLVED)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        by_episode_status(_own_caseload(physio), episodes)
        .select_related("user")
        .only("onset_date", "pain_threshold", "user__first_name", "user__last_name")
        .annotate(
            open_flags=Coalesce(Subquery(open_flags), 0),
            last_date=Subquery(last.values("session_date")[:1]),
            last_pain=Subquery(last.values("max_pain")[:1]),
            has_program=Exists(_active_program()),
        )
        .order_by("-open_flags", "user__last_name", "user__first_name", "pk")
    )


def caseload_without_program(*, physio: User, limit: int = 20) -> list[Patient]:
    """A physiotherapist's patients in a course of care with no program in force, by name: only what the list
    shows."""
    return list(
        _own_caseload(physio)
        .filter(~Exists(_active_program()), in_care())
        .select_related("user")
        .only("pk", "user__first_name", "user__last_name")
        .order_by("user__last_name", "user__first_name", "pk")[:limit]
    )


def caseload_rows(*, patients: list[Patient], today: date) -> list[dict]:
    """Sparkline and 14-day adherence for a page of patients: a fixed number of queries for the page."""
    ids = [p.pk for p in patients]
    ranked = (
        CheckIn.objects.filter(patient_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("session_date").desc(), F("submitted_at").desc()],
            )
        )
        .filter(rank__lte=SPARKLINE_POINTS)
        .values_list("patient_id", "session_date", "max_pain")
    )
    recent: dict[int, list[tuple[date, int]]] = {}
    for patient_id, day, pain in ranked:
        recent.setdefault(patient_id, []).append((day, pain))
    window_start = today - timedelta(days=ADHERENCE_DAYS - 1)
    reported: dict[int, set[date]] = {}
    for patient_id, day in (
        CheckIn.objects.filter(patient_id__in=ids, session_date__gte=window_start, session_date__lte=today)
        .order_by()
        .values_list("patient_id", "session_date")
        .distinct()
    ):
        reported.setdefault(patient_id, set()).add(day)
    versions = {
        v.program.patient_id: v
        for v in ProgramVersion.objects.filter(
            program__patient_id__in=ids, status=ProgramVersion.Status.ACTIVE, program__status=Program.Status.ACTIVE
        )
        .select_related("program")
        .only("start_date", "weekdays", "sessions_per_week", "program__patient")
        .annotate(program_start=first_start(OuterRef("program")))
    }
    pauses: dict[int, list] = {}
    for pause in Pause.objects.filter(patient_id__in=ids, starts_on__lte=today, ends_on__gte=window_start).only(
        "patient", "starts_on", "ends_on", "resumed_on"
    ):
        pauses.setdefault(pause.patient_id, []).append(pause)
    rows = []
    for patient in patients:
        version = versions.get(patient.pk)
        adherence = None
        if version is not None:
            start = max(window_start, version.program_start or version.start_date)
            adherence = checkin_rules.adherence(
                start=start,
                end=today,
                reported_days=reported.get(patient.pk, ()),
                paused_days=days_paused(pauses.get(patient.pk, []), start=start, end=today),
                weekdays=version.weekdays,
                sessions_per_week=version.sessions_per_week,
            )["percent"]
        pains = [pain for _day, pain in sorted(recent.get(patient.pk, []))]
        rows.append(
            {
                "patient": patient,
                "adherence": adherence,
                "pains": pains,
                "spark": sparkline(pains, patient.pain_threshold),
            }
        )
    return rows


def sparkline(pains: list[int], threshold: int, *, width: int = 100, height: int = 24) -> dict:
    """SVG coordinates for a small pain line (0-5 from bottom to top) and the threshold line."""
    if not pains:
        return {}
    step = width / max(1, len(pains) - 1)

    def y(value: int) -> float:
        return round(height - value * height / 5, 1)

    points = " ".join(f"{round(i * step, 1)},{y(p)}" for i, p in enumerate(pains))
    return {"points": points, "threshold_y": y(threshold), "width": width, "height": height}


def own_open_flags(*, physio: User) -> QuerySet[Flag]:
    return (
        flag_rows(flags_visible_to(physio))
        .filter(patient__physiotherapist=physio)
        .exclude(status=FlagStatus.RESOLVED)
        .order_by("-urgent", "opened_at")
    )
