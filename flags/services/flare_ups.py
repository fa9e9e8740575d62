"""The flag a flare-up raises (docs/clinical-rules.md, rule 18): not urgent, emailed at once, once per flare-up
however often its task runs; the sweep finds a flare-up whose task was lost (sweep.flags_flag_missed_flare_ups)."""

from django.db import transaction

from patients.selectors import open_episode
from programs.models import FlareUp

from .. import rules
from ..models import Flag, FlagEvent, FlagEventKind
from .evaluation import flag_record_finding


def told(flare_up_id):
    """The event that told the physiotherapist about a flare-up (at most one: flag_event_once_per_flare_up)."""
    return FlagEvent.objects.filter(flare_up_id=flare_up_id, kind__in=[FlagEventKind.RAISED, FlagEventKind.EVIDENCE])


@transaction.atomic
def flare_up_flag(*, flare_up_id: int, now=None) -> Flag | None:
    """Tell the physiotherapist about a flare-up: raise the patient's flare-up flag, or add it to the one open.
    Idempotent: a flare-up adds one event, once (a partial unique index holds it), and a flag staff resolved is not
    raised again for it. None when it had been told already."""
    flare_up = (
        FlareUp.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "plan")
        .filter(pk=flare_up_id)
        .first()
    )
    if flare_up is None or told(flare_up.pk).exists() or open_episode(flare_up.patient) is None:
        return None  # told already, or the patient was discharged since: no flag for a course of care that ended
    finding = rules.flare_up_finding(
        starts_on=flare_up.starts_on,
        last_day=flare_up.planned_last_day,
        plan_number=flare_up.plan.number if flare_up.plan is not None else None,
    )
    return flag_record_finding(patient=flare_up.patient, finding=finding, now=now, flare_up_id=flare_up.pk)
