"""Loading instruments, and a clinic's choice of which to ask and when."""

from django.core.exceptions import ValidationError
from django.db import transaction

from rehab.models import Clinic, User

from .. import instruments, rules
from ..models import Instrument, OutcomeSettings, ScheduledMeasure
from ..selectors.schedule import instruments_for

TIMEPOINTS = (rules.Timepoint.INTAKE, rules.Timepoint.FOLLOW_UP, rules.Timepoint.DISCHARGE)


@transaction.atomic
def instrument_load(*, data: dict, clinic: Clinic | None = None) -> tuple[Instrument, bool]:
    """Load one version of an instrument from its definition, for every clinic (a shipped one, free to use) or for
    one clinic (one whose licence that clinic holds). Returns (instrument, created); the same version loaded again
    changes nothing."""
    return instruments.sync_instrument(Instrument, data, clinic_id=clinic.pk if clinic else None)


@transaction.atomic
def schedule_update(
    *, clinic: Clinic, by: User, follow_up_weeks: int, measures: dict[str, tuple[bool, bool, bool]]
) -> OutcomeSettings:
    """Choose the clinic's measures: each instrument key with (at intake, at follow-ups, at discharge), and the weeks
    between follow-ups. Applies to questionnaires that come due from now on."""
    errors = {}
    if not rules.FOLLOW_UP_WEEKS_MIN <= follow_up_weeks <= rules.FOLLOW_UP_WEEKS_MAX:
        errors["follow_up_weeks"] = (
            f"Give a number of weeks from {rules.FOLLOW_UP_WEEKS_MIN} to {rules.FOLLOW_UP_WEEKS_MAX}."
        )
    available = instruments_for([clinic.pk])[clinic.pk]
    problems = []
    for key, when in measures.items():
        instrument = available.get(key)
        if instrument is None:
            problems.append(f"'{key}' is not an instrument your clinic can use.")
            continue
        for asked, timepoint in zip(when, TIMEPOINTS, strict=True):
            if asked and timepoint not in instrument.timepoints:
                problems.append(f"{instrument.name} is not meant to be asked {timepoint.label.lower()}.")
    if problems:
        errors["measures"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    settings, _ = OutcomeSettings.objects.select_for_update().get_or_create(clinic=clinic)
    settings.follow_up_weeks = follow_up_weeks
    settings.full_clean()
    settings.save()
    chosen = {key: when for key, when in measures.items() if any(when)}
    ScheduledMeasure.objects.filter(clinic=clinic).exclude(instrument_key__in=chosen).delete()
    for key, (intake, follow_up, discharge) in chosen.items():
        ScheduledMeasure.objects.update_or_create(
            clinic=clinic,
            instrument_key=key,
            defaults={"at_intake": intake, "at_follow_up": follow_up, "at_discharge": discharge},
        )
    return settings
