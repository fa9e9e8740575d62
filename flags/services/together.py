"""Several flags acted on at once: the rest flags an admin ticks in the queue, and the flags of one patient's queue
row. Each refuses the lot if any flag cannot be acted on, so that nobody resolves a flag they did not see."""

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import Patient
from rehab.models import User

from ..models import Flag, FlagReason, FlagStatus
from .lifecycle import flag_acknowledge, flag_resolve

CHANGED = "Some of these flags changed since the page was shown: look at them again before acting."


@transaction.atomic
def flag_bulk_resolve(*, flag_ids: list[int], by: User, outcome: str, note: str = "") -> list[Flag]:
    """Resolve several rest flags at once with one outcome; refuses the lot if any cannot be resolved."""
    flags = list(Flag.objects.select_for_update().filter(pk__in=flag_ids).order_by("pk"))
    if not flags:
        raise ValidationError({"flags": "Select at least one rest flag."})
    if any(f.reason != FlagReason.REST for f in flags):
        raise ValidationError({"flags": "Only rest flags can be resolved together."})
    if any(f.status == FlagStatus.RESOLVED for f in flags):
        raise ValidationError({"flags": "Some of these flags are already resolved; reload the list."})
    return [flag_resolve(flag=f, by=by, outcome=outcome, note=note) for f in flags]


def _patient_flags(*, patient: Patient, flag_ids: list[int]) -> list[Flag]:
    """The flags named, locked; all of them the patient's, or none."""
    wanted = set(flag_ids)
    flags = list(Flag.objects.select_for_update().filter(patient=patient, pk__in=wanted).order_by("pk"))
    if not wanted or len(flags) != len(wanted):
        raise ValidationError(CHANGED)
    return flags


@transaction.atomic
def patient_flags_acknowledge(*, patient: Patient, flag_ids: list[int], by: User) -> list[Flag]:
    """Acknowledge the flags of one patient's queue row, every one still waiting for it, or none."""
    flags = _patient_flags(patient=patient, flag_ids=flag_ids)
    if any(f.status != FlagStatus.OPEN for f in flags):
        raise ValidationError(CHANGED)
    return [flag_acknowledge(flag=f, by=by) for f in flags]


@transaction.atomic
def patient_flags_resolve(
    *, patient: Patient, flag_ids: list[int], by: User, outcome: str, note: str = ""
) -> list[Flag]:
    """Resolve the flags of one patient's queue row with one outcome and note, every one still unresolved, or none.
    With "program changed", each flag records the newest version made since it was raised."""
    flags = _patient_flags(patient=patient, flag_ids=flag_ids)
    if any(f.status == FlagStatus.RESOLVED for f in flags):
        raise ValidationError(CHANGED)
    return [flag_resolve(flag=f, by=by, outcome=outcome, note=note) for f in flags]
