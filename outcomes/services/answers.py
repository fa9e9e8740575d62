"""A patient answering a questionnaire, one question at a time, and sending it. Sending scores every measure; a
follow-up worse than the start of the course of care by at least a measure's minimal clinically important difference
raises an "outcome worse" flag through the flags app's service, in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from flags import rules as flag_rules
from flags.services import flag_record_finding

from .. import rules
from ..models import Measurement, Questionnaire, QuestionnaireStatus, Timepoint
from ..selectors.results import named_activities, questions_of, start_of

NOT_DUE = "This questionnaire is not due yet."
CLOSED = "This questionnaire is closed: a newer one took its place, or it was no longer needed."
CARE_ENDED = "Your course of care has ended, so this questionnaire is closed. Thank you all the same."


def _lock_open(questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire, locked, if it can still be answered; ValidationError saying why not otherwise."""
    questionnaire = (
        Questionnaire.objects.select_for_update(of=("self",)).select_related("episode").get(pk=questionnaire.pk)
    )
    if questionnaire.status == QuestionnaireStatus.SCHEDULED:
        raise ValidationError(NOT_DUE)
    if questionnaire.status in (QuestionnaireStatus.EXPIRED, QuestionnaireStatus.CANCELLED):
        raise ValidationError(CLOSED)
    # Only the discharge questionnaire is answered after the discharge.
    if questionnaire.timepoint != Timepoint.DISCHARGE and not questionnaire.episode.is_open:
        raise ValidationError(CARE_ENDED)
    return questionnaire


@transaction.atomic
def questionnaire_answer(*, questionnaire: Questionnaire, measurement_id: int, key: str, value) -> Measurement:
    """Keep one answer (a choice's value, None to skip an optional question, or the names of the patient's
    activities). Answering the same question again replaces the answer; nothing is scored until the questionnaire is
    sent."""
    questionnaire = _lock_open(questionnaire)
    if questionnaire.status == QuestionnaireStatus.COMPLETED:
        raise ValidationError("You have sent this questionnaire already: your answers are kept.")
    measurement = (
        questionnaire.measurements.select_related("instrument").filter(pk=measurement_id).first()
        if str(measurement_id).isdigit()
        else None
    )
    question = None
    if measurement is not None:
        question = next(
            (q for q in questions_of(measurement, episode_id=questionnaire.episode_id) if q.key == key), None
        )
    if question is None:
        raise ValidationError("This question is not part of your questionnaire: please open it again.")
    error = rules.answer_error(question, value)
    if error:
        raise ValidationError({"answer": error})
    answers = dict(measurement.answers)
    if question.names:
        value = [name.strip() for name in value if name and name.strip()]
        if value != answers.get(key):  # other activities: their ratings are asked again
            answers = {k: v for k, v in answers.items() if not k.startswith("activity-")}
    answers[key] = value
    measurement.answers = answers
    measurement.save(update_fields=["answers"])
    return measurement


@transaction.atomic
def questionnaire_send(*, questionnaire: Questionnaire, now=None) -> Questionnaire:
    """Score every measure and keep the questionnaire as answered. Sent twice, it is stored once: the second time
    returns it as the first left it. A follow-up worse than the start by at least a measure's minimal clinically
    important difference raises an "outcome worse" flag."""
    now = now or timezone.now()
    questionnaire = _lock_open(questionnaire)
    if questionnaire.status == QuestionnaireStatus.COMPLETED:
        return questionnaire
    measurements = list(questionnaire.measurements.select_related("instrument").order_by("position"))
    for measurement in measurements:
        named = named_activities(measurement, episode_id=questionnaire.episode_id)
        try:
            result = rules.score(measurement.instrument.definition, measurement.answers, named=named)
        except rules.Incomplete as exc:
            raise ValidationError(f"{measurement.instrument.short_name}: {exc}") from exc
        measurement.score, measurement.subscores, measurement.category = result.value, result.subscores, result.category
    Measurement.objects.bulk_update(measurements, ["score", "subscores", "category"])
    questionnaire.status, questionnaire.completed_at = QuestionnaireStatus.COMPLETED, now
    questionnaire.save(update_fields=["status", "completed_at"])
    if questionnaire.timepoint == Timepoint.FOLLOW_UP:
        _flag_worse(questionnaire, measurements, now=now)
    return questionnaire


def _flag_worse(questionnaire: Questionnaire, measurements: list[Measurement], *, now) -> None:
    """Rule 20: each measure of a follow-up worse than its first score in the course of care by at least its minimal
    clinically important difference is evidence on the patient's "outcome worse" flag."""
    tz = questionnaire.clinic.tzinfo
    for measurement in measurements:
        instrument = measurement.instrument
        if not instrument.compares_with_start or instrument.mcid is None:
            continue
        start = start_of(measurement, episode_id=questionnaire.episode_id)
        if start is None:
            continue
        status = rules.change_status(
            start=start.score,
            score=measurement.score,
            mcid=instrument.mcid,
            higher_is_better=instrument.higher_is_better,
        )
        if status != rules.Status.WORSE:
            continue
        finding = flag_rules.outcome_worse_finding(
            measure=instrument.name,
            baseline=start.score,
            score=measurement.score,
            worse_by=-rules.improvement(
                start=start.score, score=measurement.score, higher_is_better=instrument.higher_is_better
            ),
            mcid=instrument.mcid,
            completed_on=now.astimezone(tz).date(),
            baseline_on=start.questionnaire.completed_at.astimezone(tz).date(),
        )
        flag_record_finding(patient=questionnaire.patient, finding=finding, now=now)
