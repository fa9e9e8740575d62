"""Reads about patients. Every query starts from what the requesting user may see."""

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from rehab.db import read_once
from rehab.models import AuditEvent, User
from rehab.prepared import prepared, with_parent

from . import rules
from .models import OPEN_EPISODE, Episode, Patient, Pause, ThresholdChange

# Which patients a list shows: those in a course of care (the default), those discharged, or everybody.
ACTIVE, DISCHARGED, EVERYONE = "active", "discharged", "all"
EPISODE_FILTERS = [(ACTIVE, "In a course of care"), (DISCHARGED, "Discharged"), (EVERYONE, "Everyone")]


def in_care(patient_ref=None) -> Exists:
    """True for a patient in a course of care (an open episode): one index entry per patient
    (one_open_episode_per_patient)."""
    return Exists(Episode.objects.filter(OPEN_EPISODE, patient=patient_ref or OuterRef("pk")))


def by_episode_status(patients: QuerySet[Patient], status: str) -> QuerySet[Patient]:
    """Patients in a course of care (ACTIVE), discharged (DISCHARGED) or everybody (EVERYONE)."""
    if status == DISCHARGED:
        return patients.filter(~in_care())
    if status == EVERYONE:
        return patients
    return patients.filter(in_care())


def staff_clinic_id(user: User) -> int | None:
    """The clinic whose patients `user` may see as staff (patients_visible_to), or None for anybody else."""
    if not user.is_authenticated or user.clinic_id is None or not user.is_active:
        return None
    return user.clinic_id if user.role in (User.Role.PHYSIO, User.Role.CLINIC_ADMIN) else None


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """The patients `user` may see: their clinic's for staff, their own record for a patient."""
    if (clinic_id := staff_clinic_id(user)) is not None:
        return Patient.objects.filter(clinic_id=clinic_id)
    if not user.is_authenticated or user.clinic_id is None or not user.is_active:
        return Patient.objects.none()
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
    *,
    user: User,
    search: str = "",
    phase: str = "",
    physiotherapist_id: int | None = None,
    episodes: str = ACTIVE,
) -> QuerySet[Patient]:
    qs = by_episode_status(patients_visible_to(user).select_related("user", "physiotherapist", "clinic"), episodes)
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
    clinic_id = staff_clinic_id(user)
    if clinic_id is None:
        return patients_visible_to(user).select_related("user", "physiotherapist", "clinic").get(pk=pk)
    found = _clinic_patient(clinic_id=clinic_id, pk=pk)
    if not found:
        raise Patient.DoesNotExist("No such patient in this clinic.")
    return found[0]


@prepared
def _clinic_patient(*, clinic_id: int, pk: int) -> QuerySet[Patient]:
    return Patient.objects.filter(clinic_id=clinic_id, pk=pk).select_related("user", "physiotherapist", "clinic")


def threshold_history(*, patient: Patient) -> list[ThresholdChange]:
    """The patient's threshold changes, the latest first, with who made each. Read once per patient object: the
    patient page, its threshold review and the pain chart another app adds to it ask for it on the same object."""
    return read_once(
        patient,
        "_threshold_history",
        lambda: with_parent(_threshold_changes(patient_id=patient.pk), "patient", patient),
    )


@prepared
def _threshold_changes(*, patient_id: int) -> QuerySet[ThresholdChange]:
    return (
        ThresholdChange.objects.filter(patient_id=patient_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )


@prepared
def active_physiotherapists(*, clinic_id: int) -> QuerySet[User]:
    """physiotherapists_of as a prepared query's list (the filter bars' and forms' choices)."""
    return physiotherapists_of(clinic_id)


@prepared
def all_physiotherapists(*, clinic_id: int) -> QuerySet[User]:
    """Every physiotherapist the clinic has had, those who left too (physiotherapists_of), as a prepared query."""
    return physiotherapists_of(clinic_id, former_too=True)


def physiotherapists_of(clinic_id: int, *, former_too: bool = False) -> QuerySet[User]:
    """The clinic's active physiotherapists by name; with `former_too`, those who left as well."""
    physios = User.objects.filter(clinic_id=clinic_id, role=User.Role.PHYSIO)
    return (physios if former_too else physios.filter(is_active=True)).order_by("last_name", "first_name")


def threshold_steps(*, patient_ids) -> dict[int, list[tuple[date, int]]]:
    """Each patient's threshold history as (day of the change in their clinic's time zone, value), oldest first,
    for patients.rules.threshold_on: one query for any number of patients."""
    steps: dict[int, list[tuple[date, int]]] = defaultdict(list)
    zones: dict[str, ZoneInfo] = {}
    for patient_id, changed_at, value, time_zone in (
        ThresholdChange.objects.filter(patient_id__in=list(patient_ids))
        .order_by("patient_id", "changed_at", "id")
        .values_list("patient_id", "changed_at", "value", "patient__clinic__time_zone")
    ):
        tz = zones.setdefault(time_zone, ZoneInfo(time_zone))
        steps[patient_id].append((changed_at.astimezone(tz).date(), value))
    return steps


def last_decided_phase() -> Subquery:
    """For a patient query: the phase their threshold was last decided for ("" for a change made before phases were
    recorded, None without a change)."""
    return Subquery(
        ThresholdChange.objects.filter(patient=OuterRef("pk")).order_by("-changed_at", "-id").values("phase")[:1]
    )


def reviews_due_among(patients, *, today: date) -> list[Patient]:
    """Of patients read with `decided_for` (last_decided_phase), those whose threshold is due for review today (rule
    15: rules.threshold_review_due), by onset: each with `review_phase` and `review_default` (that phase's default)."""
    due = []
    for patient in patients:
        phase = rules.threshold_review_due(decided_for=patient.decided_for or "", onset=patient.onset_date, today=today)
        if phase is not None:
            patient.review_phase, patient.review_default = phase, rules.default_threshold(phase)
            due.append(patient)
    return sorted(due, key=lambda patient: (patient.onset_date, patient.pk))


# What a list of patients in care shows of each: a name, and what a threshold review says.
IN_CARE_FIELDS = ("onset_date", "pain_threshold", "user__first_name", "user__last_name")


def in_care_of(physio: User) -> QuerySet[Patient]:
    """The physiotherapist's own patients in a course of care, with their names and the phase their threshold was
    last decided for (`decided_for`), by name. A caseload is some tens of patients, whatever the network's size."""
    clinic_id = staff_clinic_id(physio)
    if clinic_id is None:
        return Patient.objects.none()
    return in_care_at(clinic_id=clinic_id, physio_id=physio.pk)


def in_care_at(*, clinic_id: int, physio_id: int) -> QuerySet[Patient]:
    """in_care_of, from the ids of the clinic whose patients the physiotherapist may see and of the physiotherapist
    (for a prepared query: rehab.prepared)."""
    return (
        Patient.objects.filter(clinic_id=clinic_id, physiotherapist_id=physio_id)
        .filter(in_care())
        .select_related("user")
        .only(*IN_CARE_FIELDS)
        .annotate(decided_for=last_decided_phase())
        .order_by("user__last_name", "user__first_name", "pk")
    )


def threshold_reviews_due(*, physio: User, now=None) -> list[Patient]:
    """The physiotherapist's patients whose phase changed since the last decision about their threshold (rule 15),
    in one query, by onset: each with `review_phase` (today's, in the clinic's time zone) and `review_default`."""
    today = (now or timezone.now()).astimezone(physio.clinic.tzinfo).date()
    return reviews_due_among(in_care_of(physio), today=today)


def threshold_review_for(*, patient: Patient, today) -> rules.Phase | None:
    """The phase whose threshold the patient's physiotherapist is asked to review, or None."""
    history = threshold_history(patient=patient)
    return rules.threshold_review_due(
        decided_for=history[0].phase if history else "", onset=patient.onset_date, today=today
    )


def open_episode(patient: Patient) -> Episode | None:
    """The patient's course of care in progress, or None when they are discharged."""
    return patient.episodes.filter(OPEN_EPISODE).first()


def latest_episode(patient: Patient) -> Episode | None:
    """The patient's open course of care, or else the one that ended last: the first of episode_history."""
    history = episode_history(patient)
    return history[0] if history else None


def episode_history(patient: Patient) -> list[Episode]:
    """Every course of care of the patient, the latest first, with who opened and discharged it. Read once per
    patient object: a page and the panels other apps add to it ask for it on the same object (a patient has a few
    courses of care at most, so reading them all costs what reading the latest did)."""
    return read_once(
        patient, "_episode_history", lambda: with_parent(_episodes(patient_id=patient.pk), "patient", patient)
    )


@prepared
def _episodes(*, patient_id: int) -> QuerySet[Episode]:
    return (
        Episode.objects.filter(patient_id=patient_id)
        .select_related("opened_by", "discharged_by")
        .order_by("-opened_at", "-pk")
    )


def episodes_visible_to(user: User) -> QuerySet[Episode]:
    return Episode.objects.filter(patient__in=patients_visible_to(user).values("pk"))
