"""What each clinic asks and when: its schedule (or the default one) and the instruments it uses."""

from dataclasses import dataclass, field

from django.db.models import Q

from .. import rules
from ..models import Instrument, OutcomeSettings, ScheduledMeasure


@dataclass(frozen=True)
class Schedule:
    """A clinic's choice of measures by instrument key: (at intake, at follow-ups, at discharge), and how often the
    follow-up comes."""

    follow_up_weeks: int = rules.DEFAULT_FOLLOW_UP_WEEKS
    measures: dict[str, tuple[bool, bool, bool]] = field(default_factory=lambda: dict(rules.DEFAULT_SCHEDULE))
    chosen: bool = False  # False: the clinic has not chosen, and the default applies

    def keys_at(self, timepoint: str) -> list[str]:
        column = [rules.Timepoint.INTAKE, rules.Timepoint.FOLLOW_UP, rules.Timepoint.DISCHARGE].index(timepoint)
        return [key for key, when in sorted(self.measures.items(), key=_order) if when[column]]


def _order(entry) -> tuple:
    """The default schedule's order first (activities, pain, overall change), then by key."""
    defaults = list(rules.DEFAULT_SCHEDULE)
    key = entry[0]
    return (defaults.index(key) if key in defaults else len(defaults), key)


def schedules_for(clinic_ids) -> dict[int, Schedule]:
    """Each clinic's schedule, in two queries whatever the number of clinics."""
    clinic_ids = set(clinic_ids)
    weeks = dict(OutcomeSettings.objects.filter(clinic_id__in=clinic_ids).values_list("clinic_id", "follow_up_weeks"))
    measures: dict[int, dict] = {clinic_id: {} for clinic_id in weeks}
    for clinic_id, key, *when in ScheduledMeasure.objects.filter(clinic_id__in=weeks).values_list(
        "clinic_id", "instrument_key", "at_intake", "at_follow_up", "at_discharge"
    ):
        measures[clinic_id][key] = tuple(when)
    return {
        clinic_id: Schedule(weeks[clinic_id], measures[clinic_id], chosen=True) if clinic_id in weeks else Schedule()
        for clinic_id in clinic_ids
    }


def schedule_for(clinic_id: int) -> Schedule:
    return schedules_for([clinic_id])[clinic_id]


def instruments_for(clinic_ids) -> dict[int, dict[str, Instrument]]:
    """The instruments each clinic may use, by key, in one query: the latest version of each, a clinic's own (a
    licensed one it loaded) before a shipped one of the same key."""
    clinic_ids = set(clinic_ids)
    shipped: dict[str, Instrument] = {}
    own: dict[int, dict[str, Instrument]] = {clinic_id: {} for clinic_id in clinic_ids}
    for instrument in Instrument.objects.filter(Q(clinic__isnull=True) | Q(clinic_id__in=clinic_ids)).order_by(
        "loaded_at", "pk"
    ):
        (shipped if instrument.clinic_id is None else own[instrument.clinic_id])[instrument.key] = instrument
    return {clinic_id: {**shipped, **own[clinic_id]} for clinic_id in clinic_ids}


def asked_at(*, schedule: Schedule, instruments: dict[str, Instrument], timepoint: str) -> list[Instrument]:
    """The instruments a clinic asks at a timepoint: those its schedule names there, loaded, and meant for it."""
    return [
        instruments[key]
        for key in schedule.keys_at(timepoint)
        if key in instruments and timepoint in instruments[key].timepoints
    ]
