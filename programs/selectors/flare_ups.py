"""Flare-ups (docs/clinical-rules.md, rule 18): the one on a day, its plan, and what the patient does today."""

from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery

from patients.selectors import patients_visible_to
from rehab.models import User
from rehab.prepared import prepared

from .. import rules
from ..models import (
    FlareUp,
    Program,
    ProgramVersion,
)
from .programs import _versions_in_force, first_start


def flare_ups_visible_to(user: User) -> QuerySet[FlareUp]:
    return FlareUp.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def flare_ups_on(patient, *, today: date) -> QuerySet[FlareUp]:
    """The patient's flare-ups on `today` (the clinic's day), latest first: one at most, in practice."""
    return FlareUp.objects.filter(patient=patient, starts_on__lte=today, last_day__gte=today).order_by(
        "-started_at", "-pk"
    )


def flare_up_in_force(patient, *, today: date) -> FlareUp | None:
    """The patient's flare-up on `today` (the clinic's day), with its plan, or None. Worked out from its days: it
    ends at the clinic's midnight after its last day, with nothing to run."""
    return flare_ups_on(patient, today=today).select_related("plan__program").first()


def plan_in_force(flare_up: FlareUp | None) -> ProgramVersion | None:
    """The flare-up plan a flare-up puts in force: none without a plan, or when its program has ended since."""
    if flare_up is None or flare_up.plan is None or flare_up.plan.program.status != Program.Status.ACTIVE:
        return None
    return flare_up.plan


def program_version_and_flare_up(patient, *, today: date) -> tuple[ProgramVersion | None, FlareUp | None]:
    """The version of the patient's program in force (active_version_for) and their flare-up on `today`, if one is on
    (flare_up_in_force): one query on a day without a flare-up (the version, asked whether one is on), two while
    one is or without a program in force."""
    found = _version_asking_flare_up(patient_id=patient.pk, today=today)
    version = found[0] if found else None
    if version is not None and version.flare_up_on is None:
        return version, None
    return version, flare_up_in_force(patient, today=today)


@prepared
def _version_asking_flare_up(*, patient_id: int, today: date) -> QuerySet[ProgramVersion]:
    """The version in force (one at most), with `flare_up_on`: the id of a flare-up on `today`, or None."""
    return (
        _versions_in_force(patient_id)
        .annotate(flare_up_on=Subquery(flare_ups_on(patient_id, today=today).values("pk")[:1]))
        .order_by("pk")[:1]
    )


def version_in_force(patient, *, today: date) -> tuple[ProgramVersion | None, FlareUp | None]:
    """What the patient does today: their flare-up plan while a flare-up with one lasts, else the version of their
    program in force (active_version_for); and the flare-up, if one is on. The version comes with `program_start`.
    One query on a day without a flare-up, two while one is (program_version_and_flare_up)."""
    version, flare_up = program_version_and_flare_up(patient, today=today)
    plan = plan_in_force(flare_up)
    if plan is None:
        return version, flare_up
    if version is not None and plan.program_id == version.program_id:
        plan.program_start = version.program_start  # the same program: the same first day
        return plan, flare_up
    plan = (
        ProgramVersion.objects.filter(pk=plan.pk)
        .select_related("program")
        .annotate(program_start=first_start(OuterRef("program")))
        .get()
    )
    return plan, flare_up


def kept_plan(program: Program | None) -> ProgramVersion | None:
    """The flare-up plan kept ready for a program, if there is one."""
    if program is None:
        return None
    return program.versions.filter(status=ProgramVersion.Status.ASIDE).select_related("created_by").first()


def flare_up_to_ask_about(patient, *, today: date) -> FlareUp | None:
    """The patient's last flare-up, when it is over, was not answered yet and ended lately: Today asks how it went."""
    latest = FlareUp.objects.filter(patient=patient).order_by("-started_at", "-pk").first()
    if latest is None or latest.answered_at is not None or latest.last_day >= today:
        return None
    if (today - latest.last_day).days > rules.FLARE_UP_ASK_DAYS:
        return None
    return latest


def patient_flare_ups(*, patient, limit: int = 10) -> list[FlareUp]:
    """A patient's latest flare-ups, newest first, with who ended each and its plan."""
    return list(
        FlareUp.objects.filter(patient=patient)
        .select_related("plan", "usual", "ended_by")
        .order_by("-started_at", "-pk")[:limit]
    )
