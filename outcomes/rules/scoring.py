"""Scoring rules: the fixed set the code knows, each turning an instrument's answers into a score."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .change import as_score
from .questions import NAMES_KEY, questions

# --- Scoring rules: the fixed set the code knows --------------------------------------------------------------


class Incomplete(ValueError):
    """The answers cannot be scored yet; the message says what is missing, in the patient's words."""


@dataclass(frozen=True)
class Score:
    value: Decimal
    subscores: dict = field(default_factory=dict)
    category: str = ""


def _answered(definition: dict, answers: dict, *, named: list[str] | None = None) -> dict[str, int | None]:
    """Every question's points (None for one skipped); Incomplete if one that must be answered is not."""
    values = {}
    missing = 0
    for question in questions(definition, answers=answers, named=named):
        if question.names:
            continue
        if question.key not in answers or (answers[question.key] is None and not question.optional):
            missing += 1
            continue
        value = answers[question.key]
        values[question.key] = None if value is None else dict(question.points).get(value, value)
    if missing:
        raise Incomplete(f"{missing} question{'s are' if missing != 1 else ' is'} still to answer.")
    return values


def score_single(definition: dict, answers: dict, **_) -> Score:
    (value,) = _answered(definition, answers).values()
    return Score(as_score(value))


def score_sum(definition: dict, answers: dict, **_) -> Score:
    return Score(as_score(sum(v for v in _answered(definition, answers).values() if v is not None)))


def score_mean(definition: dict, answers: dict, *, named: list[str] | None = None) -> Score:
    values = [v for v in _answered(definition, answers, named=named).values() if v is not None]
    if not values:
        raise Incomplete("Answer at least one question.")
    return Score(as_score(Decimal(sum(values)) / len(values)))


def score_psfs(definition: dict, answers: dict, *, named: list[str] | None = None) -> Score:
    """Patient-Specific Functional Scale: the mean of the ratings (0 unable to 10 as able as before) of the
    activities the patient named at the start."""
    if not (named or answers.get(NAMES_KEY)):
        raise Incomplete("Name at least one activity that your back makes hard.")
    return score_mean(definition, answers, named=named)


ODI_SECTION_MAX = 5
ODI_MAX_MISSING = 1  # the scoring instructions say how to score one section missed or not applicable


def score_odi(definition: dict, answers: dict, **_) -> Score:
    """Oswestry Disability Index: the sections' points (0-5 each) as a percentage of the points possible in the
    sections answered, so that a section missed or not applicable counts neither way: 16 points over all ten sections
    is 16/50 = 32%; over nine, 16/45 = 35.56%. More than ODI_MAX_MISSING sections missing cannot be scored."""
    values = _answered(definition, answers)
    answered = [v for v in values.values() if v is not None]
    missing = len(values) - len(answered)
    if missing > ODI_MAX_MISSING:
        raise Incomplete(f"Answer at least {len(values) - ODI_MAX_MISSING} of the {len(values)} sections.")
    return Score(as_score(Decimal(sum(answered)) * 100 / (ODI_SECTION_MAX * len(answered))))


def score_rmdq(definition: dict, answers: dict, **_) -> Score:
    """Roland-Morris Disability Questionnaire: how many of the statements apply to the patient today (0-24)."""
    return Score(as_score(sum(1 for v in _answered(definition, answers).values() if v == 1)))


START_BACK_LOW_MAX = 3  # an overall score of 3 or less: low risk
START_BACK_HIGH_FROM = 4  # overall 4 or more and a psychosocial subscore of 4 or more: high risk (medium below)


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return {"low": "Low risk", "medium": "Medium risk", "high": "High risk"}[self.value]


def start_back_risk(*, overall: int, psychosocial: int) -> Risk:
    if overall <= START_BACK_LOW_MAX:
        return Risk.LOW
    return Risk.HIGH if psychosocial >= START_BACK_HIGH_FROM else Risk.MEDIUM


def score_start_back(definition: dict, answers: dict, **_) -> Score:
    """Keele STarT Back Tool: the overall score is the number of items answered positively (0-9; the bothersomeness
    item counts for "very much" or "extremely"), the psychosocial subscore those of its five psychosocial items
    (0-5); the two give the risk group."""
    values = _answered(definition, answers)
    overall = sum(values.values())
    psychosocial = sum(values[key] for key in definition["subscales"]["psychosocial"])
    risk = start_back_risk(overall=overall, psychosocial=psychosocial)
    return Score(as_score(overall), {"psychosocial": psychosocial}, risk.value)


SCORING_RULES: dict[str, Callable[..., Score]] = {
    "single": score_single,
    "sum": score_sum,
    "mean": score_mean,
    "psfs": score_psfs,
    "odi": score_odi,
    "rmdq": score_rmdq,
    "start_back": score_start_back,
}


def score(definition: dict, answers: dict, *, named: list[str] | None = None) -> Score:
    """Score an instrument's answers by its scoring rule; Incomplete when they cannot be scored yet."""
    return SCORING_RULES[definition["scoring"]](definition, answers, named=named)
