"""When questionnaires come due: at the start of a course of care, every few weeks of it, and at its discharge.

The start and the discharge are told by the patients app in their own transactions (EPISODE_OPEN_HOOKS,
EPISODE_DISCHARGE_HOOKS). Follow-ups come due by the clock: each is planned when the one before it comes due, and the
hourly task turns every planned one whose day has come (in its clinic's time zone) into a due one, for every clinic
at once, in a fixed number of queries. Everything here is idempotent: each questionnaire is unique per course of care
and timepoint (follow-ups: per day), so a repeated run adds nothing.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Value, When
from django.utils import timezone

from patients.models import OPEN_EPISODE, Episode
from rehab import db
from rehab.models import Clinic, User

from .. import rules
from ..models import Instrument, Measurement, Questionnaire, QuestionnaireStatus, Timepoint
from ..selectors.schedule import asked_at, instruments_for, schedule_for, schedules_for

UNANSWERED = (QuestionnaireStatus.SCHEDULED, QuestionnaireStatus.DUE)


def _measurements(questionnaire_id: int, instruments: list[Instrument]) -> list[Measurement]:
    return [
        Measurement(questionnaire_id=questionnaire_id, instrument=instrument, position=position)
        for position, instrument in enumerate(instruments, start=1)
    ]


def _ask(*, episode: Episode, timepoint: str, due_on, instruments: list[Instrument]) -> Questionnaire | None:
    """A questionnaire due now with these instruments; None when there is nothing to ask."""
    if not instruments:
        return None
    questionnaire = Questionnaire(
        episode=episode,
        patient_id=episode.patient_id,
        clinic_id=episode.clinic_id,
        timepoint=timepoint,
        due_on=due_on,
        status=QuestionnaireStatus.DUE,
    )
    questionnaire.full_clean(validate_constraints=False)
    questionnaire.save()
    Measurement.objects.bulk_create(_measurements(questionnaire.pk, instruments))
    return questionnaire


def _plan_follow_ups(rows) -> None:
    """Plan follow-ups: (episode id, patient id, clinic id, due on) each; one already planned that day is kept."""
    Questionnaire.objects.bulk_create(
        [
            Questionnaire(
                episode_id=episode_id,
                patient_id=patient_id,
                clinic_id=clinic_id,
                timepoint=Timepoint.FOLLOW_UP,
                due_on=due_on,
                status=QuestionnaireStatus.SCHEDULED,
            )
            for episode_id, patient_id, clinic_id, due_on in rows
        ],
        ignore_conflicts=True,
        batch_size=db.BULK_BATCH,
    )


def questionnaires_open_episode(*, episode: Episode, by: User | None = None) -> Questionnaire | None:
    """A course of care opens: the intake questionnaire comes due today, and the first follow-up is planned.
    Listed in settings.EPISODE_OPEN_HOOKS. Returns the intake questionnaire, if the clinic asks one."""
    today = episode.patient.clinic.local_today()
    schedule = schedule_for(episode.clinic_id)
    instruments = instruments_for([episode.clinic_id])[episode.clinic_id]
    intake = _ask(
        episode=episode,
        timepoint=Timepoint.INTAKE,
        due_on=today,
        instruments=asked_at(schedule=schedule, instruments=instruments, timepoint=Timepoint.INTAKE),
    )
    due_on = rules.follow_up_after(today, weeks=schedule.follow_up_weeks)
    _plan_follow_ups([(episode.pk, episode.patient_id, episode.clinic_id, due_on)])
    return intake


def questionnaires_at_discharge(*, episode: Episode, by: User | None = None) -> Questionnaire | None:
    """The patient is discharged: the questionnaires of their course of care not yet answered close (no follow-up
    comes due after it), and the discharge questionnaire comes due. Listed in settings.EPISODE_DISCHARGE_HOOKS, called
    in the discharge's transaction. Returns the discharge questionnaire, if the clinic asks one."""
    mine = Questionnaire.objects.filter(episode=episode)
    mine.filter(status=QuestionnaireStatus.SCHEDULED).update(status=QuestionnaireStatus.CANCELLED)
    mine.filter(status=QuestionnaireStatus.DUE).update(status=QuestionnaireStatus.EXPIRED)
    schedule = schedule_for(episode.clinic_id)
    instruments = instruments_for([episode.clinic_id])[episode.clinic_id]
    today = episode.patient.clinic.local_today()
    return _ask(
        episode=episode,
        timepoint=Timepoint.DISCHARGE,
        due_on=today,
        instruments=asked_at(schedule=schedule, instruments=instruments, timepoint=Timepoint.DISCHARGE),
    )


def _clinic_today(now) -> Case | None:
    """Each questionnaire's clinic's date today, as a CASE on its time zone: one expression for every clinic."""
    zones = list(Clinic.objects.values_list("time_zone", flat=True).distinct().order_by())
    if not zones:
        return None
    return Case(
        *[When(clinic__time_zone=zone, then=Value(now.astimezone(ZoneInfo(zone)).date())) for zone in zones],
        output_field=DateField(),
    )


@transaction.atomic
def questionnaires_make_due(*, now: datetime | None = None) -> dict[str, int]:
    """The hourly task: every planned follow-up whose day has come, in every clinic, comes due with the measures its
    clinic asks at follow-ups (or is not asked, if there are none), an older follow-up not answered closes, and the
    next is planned. Courses of care without a follow-up planned (opened before questionnaires existed) get one."""
    now = now or timezone.now()
    today = _clinic_today(now)
    if today is None:
        return {"due": 0, "not_asked": 0, "planned": 0}
    arrived = list(
        Questionnaire.objects.filter(status=QuestionnaireStatus.SCHEDULED, timepoint=Timepoint.FOLLOW_UP)
        .filter(Exists(Episode.objects.filter(OPEN_EPISODE, pk=OuterRef("episode_id"))))
        .alias(today=today)
        .filter(due_on__lte=F("today"))
        .values_list("pk", "episode_id", "patient_id", "clinic_id", "due_on")
    )
    clinic_ids = {row[3] for row in arrived}
    schedules, instruments = schedules_for(clinic_ids), instruments_for(clinic_ids)
    asked, measurements, nothing_to_ask, next_ones = [], [], [], []
    for pk, episode_id, patient_id, clinic_id, due_on in arrived:
        schedule = schedules[clinic_id]
        measures = asked_at(schedule=schedule, instruments=instruments[clinic_id], timepoint=Timepoint.FOLLOW_UP)
        (asked if measures else nothing_to_ask).append(pk)
        measurements += _measurements(pk, measures)
        next_ones.append(
            (episode_id, patient_id, clinic_id, rules.follow_up_after(due_on, weeks=schedule.follow_up_weeks))
        )
    Measurement.objects.bulk_create(measurements, ignore_conflicts=True, batch_size=db.BULK_BATCH)
    due = sum(
        Questionnaire.objects.filter(pk__in=part, status=QuestionnaireStatus.SCHEDULED).update(
            status=QuestionnaireStatus.DUE
        )
        for part in db.id_slices(asked)
    )
    for part in db.id_slices(nothing_to_ask):
        Questionnaire.objects.filter(pk__in=part, status=QuestionnaireStatus.SCHEDULED).update(
            status=QuestionnaireStatus.CANCELLED
        )
    # A follow-up nobody answered closes when the next comes due: the patient answers how they are now.
    episodes = sorted({row[1] for row in arrived})
    for part in db.id_slices(episodes):
        Questionnaire.objects.filter(
            episode_id__in=part, timepoint=Timepoint.FOLLOW_UP, status=QuestionnaireStatus.DUE
        ).exclude(pk__in=asked).update(status=QuestionnaireStatus.EXPIRED)
    _plan_follow_ups(next_ones)
    return {"due": due, "not_asked": len(nothing_to_ask), "planned": len(next_ones) + _plan_missing(now)}


def _plan_missing(now) -> int:
    """Courses of care in progress with no follow-up planned or due (opened before questionnaires were asked, or
    loaded in bulk): the next follow-up on their schedule, counted from the day they opened."""
    unplanned = list(
        Episode.objects.filter(OPEN_EPISODE)
        .filter(
            ~Exists(
                Questionnaire.objects.filter(
                    episode_id=OuterRef("pk"), timepoint=Timepoint.FOLLOW_UP, status__in=UNANSWERED
                )
            )
        )
        .values_list("pk", "patient_id", "clinic_id", "opened_at", "clinic__time_zone")
    )
    schedules = schedules_for({row[2] for row in unplanned})
    rows = []
    for episode_id, patient_id, clinic_id, opened_at, zone in unplanned:
        tz = ZoneInfo(zone)
        start, today = opened_at.astimezone(tz).date(), now.astimezone(tz).date()
        weeks = schedules[clinic_id].follow_up_weeks
        rows.append((episode_id, patient_id, clinic_id, rules.next_follow_up_on(start=start, today=today, weeks=weeks)))
    _plan_follow_ups(rows)
    return len(rows)
