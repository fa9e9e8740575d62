"""Reads about questionnaires and their results, for the patient who answers them and the staff who read them."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from patients.models import Episode, Patient
from patients.selectors import patients_visible_to
from rehab.db import read_once
from rehab.models import User
from rehab.prepared import prepared, with_parent

from .. import rules
from ..models import Measurement, Questionnaire, QuestionnaireStatus, Timepoint


def questionnaires_visible_to(user: User) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(patient__in=patients_visible_to(user).values("pk"))


def own_questionnaire(*, user: User, pk: int) -> Questionnaire:
    """A questionnaire of the signed-in patient's, with its measurements and their instruments; DoesNotExist else."""
    if not user.is_authenticated or user.role != User.Role.PATIENT:
        raise Questionnaire.DoesNotExist
    return (
        questionnaires_visible_to(user)
        .select_related("episode")
        .prefetch_related(Prefetch("measurements", queryset=Measurement.objects.select_related("instrument")))
        .get(pk=pk)
    )


def due_questionnaires(*, patient: Patient) -> list[Questionnaire]:
    """The questionnaires a patient has to answer now, the oldest first, with their measurements."""
    return list(
        Questionnaire.objects.filter(patient=patient, status=QuestionnaireStatus.DUE)
        .prefetch_related(Prefetch("measurements", queryset=Measurement.objects.select_related("instrument")))
        .order_by("due_on", "pk")
    )


def _completed(episode_id: int) -> QuerySet[Measurement]:
    return Measurement.objects.filter(
        questionnaire__episode_id=episode_id, questionnaire__status=QuestionnaireStatus.COMPLETED
    ).order_by("questionnaire__completed_at", "pk")


def named_activities(measurement: Measurement, *, episode_id: int) -> list[str] | None:
    """The activities a patient named in the first answered questionnaire of their course of care that asked them
    (the PSFS): the ones they rate ever after. None before they named any."""
    if rules.ACTIVITIES not in [item.get("kind") for item in measurement.instrument.definition["items"]]:
        return None
    first = (
        _completed(episode_id)
        .filter(instrument__key=measurement.instrument.key)
        .exclude(questionnaire_id=measurement.questionnaire_id)
        .values_list("answers", flat=True)
        .first()
    )
    return (first or {}).get(rules.NAMES_KEY) or None


def questions_of(measurement: Measurement, *, episode_id: int) -> list[rules.Question]:
    """A measurement's questions as its answers stand (a follow-up's PSFS rates the activities named at the start)."""
    return rules.questions(
        measurement.instrument.definition,
        answers=measurement.answers,
        named=named_activities(measurement, episode_id=episode_id),
    )


def start_of(measurement: Measurement, *, episode_id: int) -> Measurement | None:
    """The first score of the same measure in the course of care, if another questionnaire gave one before."""
    return (
        _completed(episode_id)
        .filter(instrument__key=measurement.instrument.key, score__isnull=False)
        .exclude(questionnaire_id=measurement.questionnaire_id)
        .select_related("questionnaire")
        .first()
    )


@dataclass(frozen=True)
class Point:
    day: object
    timepoint: str
    score: Decimal
    category: str
    subscores: dict


@dataclass(frozen=True)
class MeasureResults:
    """One measure over a course of care: every score, the first, the latest, and the change against the MCID."""

    key: str
    name: str
    short_name: str
    higher_is_better: bool
    mcid: Decimal | None
    compares_with_start: bool
    points: list[Point]

    @property
    def start(self) -> Point | None:
        return self.points[0] if self.points and self.compares_with_start else None

    @property
    def latest(self) -> Point:
        return self.points[-1]

    @property
    def improvement(self) -> Decimal | None:
        """How much better the latest score is than the first (a rating of change: the latest score itself)."""
        if not self.compares_with_start:
            return self.latest.score
        if len(self.points) < 2:
            return None
        return rules.improvement(
            start=self.start.score, score=self.latest.score, higher_is_better=self.higher_is_better
        )

    @property
    def status(self) -> rules.Status | None:
        if self.improvement is None or self.mcid is None:
            return None
        start = self.start.score if self.compares_with_start else Decimal(0)
        return rules.change_status(
            start=start, score=self.latest.score, mcid=self.mcid, higher_is_better=self.higher_is_better
        )


MEASURE_FIELDS = ("key", "name", "short_name", "higher_is_better", "mcid", "compares_with_start")


def completed_measurements(episode: Episode) -> list[Measurement]:
    """A course of care's answered measurements in the order they were answered, with only what its results and its
    screening result show (an instrument's whole definition, read with each of its measurements, cost more than the
    rest of the page's outcomes: bench/, issue 23). Read once per episode object: the patient page's outcomes panel
    and the screening note beside its threshold share them."""
    return read_once(
        episode,
        "_completed_measurements",
        lambda: _completed_of(episode_id=episode.pk),
    )


@prepared
def _completed_of(*, episode_id: int) -> QuerySet[Measurement]:
    return (
        _completed(episode_id)
        .select_related("instrument", "questionnaire")
        .only(
            "score",
            "category",
            "subscores",
            "questionnaire__completed_at",
            "questionnaire__timepoint",
            *(f"instrument__{name}" for name in MEASURE_FIELDS),
        )
    )


def measure_results(*, episode: Episode) -> list[MeasureResults]:
    """Each measure answered in a course of care, with its scores over time."""
    by_key: dict[str, list] = {}
    instruments = {}
    measurements = completed_measurements(episode)
    for measurement in measurements:
        if measurement.score is None:
            continue
        instruments.setdefault(measurement.instrument.key, measurement.instrument)
        by_key.setdefault(measurement.instrument.key, []).append(
            Point(
                measurement.questionnaire.completed_at,
                measurement.questionnaire.timepoint,
                measurement.score,
                measurement.category,
                measurement.subscores,
            )
        )
    return [
        MeasureResults(
            key,
            instruments[key].name,
            instruments[key].short_name,
            instruments[key].higher_is_better,
            instruments[key].mcid,
            instruments[key].compares_with_start,
            points,
        )
        for key, points in by_key.items()
    ]


def intake_risk(*, episode: Episode) -> Measurement | None:
    """The screening result (a STarT Back risk group) of a course of care's intake questionnaire, if it has one."""
    return next(
        (
            measurement
            for measurement in completed_measurements(episode)
            if measurement.questionnaire.timepoint == Timepoint.INTAKE and measurement.category != ""
        ),
        None,
    )


def open_questionnaires(*, episode: Episode) -> list[Questionnaire]:
    """The questionnaires of a course of care due and not answered, for staff to see what is outstanding."""
    return with_parent(_due_of(episode_id=episode.pk), "episode", episode)


@prepared
def _due_of(*, episode_id: int) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(episode_id=episode_id, status=QuestionnaireStatus.DUE).order_by("due_on")
