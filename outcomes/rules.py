"""Pure rules about outcome measures: what an instrument's definition must hold, the questions it asks, how each
scoring rule scores the answers, and how a change from the start compares with the instrument's minimal clinically
important difference (MCID). docs/clinical-rules.md, rule 20.

No ORM and no I/O: plain values in, plain values out (definitions are the dicts the instrument files hold).
Scores are Decimals, so that a change of exactly the MCID is exactly the MCID.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

# --- When questionnaires are asked -------------------------------------------------------------------------


class Timepoint(StrEnum):
    INTAKE = "intake"
    FOLLOW_UP = "follow_up"
    DISCHARGE = "discharge"

    @property
    def label(self) -> str:
        return {"intake": "At the start", "follow_up": "Follow-up", "discharge": "At discharge"}[self.value]


DEFAULT_FOLLOW_UP_WEEKS = 4  # a follow-up questionnaire every 4 weeks of a course of care, unless the clinic says
FOLLOW_UP_WEEKS_MIN, FOLLOW_UP_WEEKS_MAX = 1, 26
# What a clinic that has not chosen asks, and when: (at intake, at follow-ups, at discharge) per instrument key.
DEFAULT_SCHEDULE = {
    "psfs": (True, True, True),
    "pain-week": (True, True, True),
    "grc": (False, False, True),
}


def follow_up_after(day: date, *, weeks: int) -> date:
    """The day the next follow-up questionnaire comes due after one due (or the intake) on `day`."""
    return day + timedelta(weeks=weeks)


def next_follow_up_on(*, start: date, today: date, weeks: int) -> date:
    """For a course of care that started on `start` and has no follow-up planned: the first day, on the schedule
    counted from its start, that is today or later (never the start itself)."""
    interval = timedelta(weeks=weeks)
    steps = max(1, -(-(today - start).days // interval.days))  # ceiling division
    return start + steps * interval


# --- Scores and changes ---------------------------------------------------------------------------------------

SCORE_PLACES = Decimal("0.01")


class Status(StrEnum):
    """A change from the start against the instrument's minimal clinically important difference."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    WORSE = "worse"

    @property
    def label(self) -> str:
        return {
            "reached": "Better by at least the change that matters",
            "not_reached": "Change that matters not reached",
            "worse": "Worse by at least the change that matters",
        }[self.value]

    @property
    def short(self) -> str:
        return {"reached": "reached", "not_reached": "not reached", "worse": "worse"}[self.value]


def as_score(value) -> Decimal:
    return Decimal(value).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def improvement(*, start, score, higher_is_better: bool) -> Decimal:
    """How much better `score` is than `start`, in the instrument's units: negative when it is worse."""
    change = Decimal(score) - Decimal(start)
    return change if higher_is_better else -change


def change_status(*, start, score, mcid, higher_is_better: bool) -> Status | None:
    """Reached (better by at least the MCID), worse (worse by at least the MCID) or not reached; None for an
    instrument without an MCID (a screening tool)."""
    if mcid is None:
        return None
    better = improvement(start=start, score=score, higher_is_better=higher_is_better)
    if better >= Decimal(mcid):
        return Status.REACHED
    if -better >= Decimal(mcid):
        return Status.WORSE
    return Status.NOT_REACHED


# --- The questions an instrument asks ------------------------------------------------------------------------

CHOICE, ACTIVITIES = "choice", "activities"
NAMES_KEY = "activities"  # the answer holding the activities a patient named (the PSFS)
ACTIVITY_NAME_MAX = 80


def activity_key(index: int) -> str:
    """The answer holding the rating of the patient's activity number `index` (from 1)."""
    return f"activity-{index}"


@dataclass(frozen=True)
class Question:
    """One screen of a questionnaire."""

    key: str
    text: str
    options: tuple[tuple[int, str], ...] = ()  # (value, label): the value is what is stored
    optional: bool = False
    points: tuple[tuple[int, int], ...] = ()  # (value, points) where an answer scores other than its value
    names: int = 0  # a question asking the patient to name up to this many activities (the PSFS), else 0
    intro: str = ""


def questions(definition: dict, *, answers: dict, named: list[str] | None = None) -> list[Question]:
    """The questions of an instrument in order, as they stand with `answers`. An activities item (the PSFS) asks the
    patient to name their activities unless `named` holds those they named at the start of their course of care, then
    one rating question per activity."""
    result = []
    for item in definition["items"]:
        options = tuple((option["value"], option["label"]) for option in item.get("options", ()))
        points = tuple((o["value"], o["score"]) for o in item.get("options", ()) if "score" in o)
        if item.get("kind", CHOICE) == ACTIVITIES:
            names = named
            if not names:
                result.append(Question(NAMES_KEY, item["text"], names=item.get("max", 5), intro=item.get("intro", "")))
                names = answers.get(NAMES_KEY) or []
            for index, name in enumerate(names, start=1):
                text = item["rating_text"].replace("{activity}", name)
                result.append(Question(activity_key(index), text, options))
        else:
            result.append(Question(item["key"], item["text"], options, bool(item.get("optional")), points=points))
    if result and definition.get("intro"):
        result[0] = Question(**{**result[0].__dict__, "intro": definition["intro"]})
    return result


def answer_error(question: Question, value) -> str | None:
    """What is wrong with an answer to `question`, in the patient's words; None when it is fine. `value` is an int
    (or None, skipped) for a choice, a list of names for a names question."""
    if question.names:
        names = [name.strip() for name in value or [] if name and name.strip()]
        if not names:
            return "Name at least one activity that your back makes hard."
        if len(names) > question.names:
            return f"Name at most {question.names} activities."
        if any(len(name) > ACTIVITY_NAME_MAX for name in names):
            return f"Keep each activity under {ACTIVITY_NAME_MAX} characters."
        return None
    if value is None:
        return None if question.optional else "Choose an answer to go on."
    if value not in {option for option, _label in question.options}:
        return "Choose one of the answers shown."
    return None


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


# --- Definitions: what an instrument file must hold -----------------------------------------------------------

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
BETTER = ("higher", "lower")
REQUIRED = ("key", "version", "name", "short_name", "scoring", "score_range", "better", "timepoints", "licence")


def _possible_range(data: dict) -> tuple[float, float] | None:
    """The lowest and highest score the items can give under the scoring rule, or None if they cannot be read."""
    items = data["items"]
    values = [[o.get("score", o["value"]) for o in item.get("options", ())] for item in items]
    if not all(values):
        return None
    lows, highs = [min(v) for v in values], [max(v) for v in values]
    rule = data["scoring"]
    if rule == "odi":
        return (0, 100)
    if rule == "rmdq":
        return (0, len(items))
    if rule in ("sum", "start_back"):
        return (sum(lows), sum(highs))
    return (min(lows), max(highs))  # single, mean, psfs


def _item_errors(rule: str, items: list) -> list[str]:
    errors = []
    keys = set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(f"Item {number} is not an object with a key, a text and answer options.")
            continue
        name = f"Item {number} ({item.get('key') or 'no key'})"
        kind = item.get("kind", CHOICE)
        if kind not in (CHOICE, ACTIVITIES):
            errors.append(f"{name} is of an unknown kind '{kind}': use 'choice' or 'activities'.")
        if kind == CHOICE and not KEY_PATTERN.match(str(item.get("key", ""))):
            errors.append(f"{name} needs a key of lower-case letters, digits and dashes.")
        elif item.get("key") in keys:
            errors.append(f"{name}: another item has the same key.")
        keys.add(item.get("key"))
        if not str(item.get("text", "")).strip():
            errors.append(f"{name} has no text.")
        options = item.get("options")
        if not options or not isinstance(options, list):
            errors.append(f"{name} has no answer options.")
            continue
        if any(not isinstance(o, dict) or not str(o.get("label", "")).strip() for o in options):
            errors.append(f"{name}: every answer option needs a label.")
        elif any(not _whole(o.get("value")) or not _whole(o.get("score", 0)) for o in options):
            errors.append(f"{name}: every answer option needs a whole-number value (and score, if it has one).")
        elif len({o["value"] for o in options}) != len(options):
            errors.append(f"{name}: two answer options have the same value.")
        if kind == ACTIVITIES:
            if rule != "psfs":
                errors.append(f"{name}: only the 'psfs' scoring rule scores activities.")
            if "{activity}" not in str(item.get("rating_text", "")):
                errors.append(f"{name} needs a rating_text with {{activity}} where the activity's name goes.")
            if not isinstance(item.get("max", 5), int) or not 1 <= item.get("max", 5) <= 10:
                errors.append(f"{name}: max, the most activities a patient names, must be from 1 to 10.")
    return errors


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rule_errors(data: dict) -> list[str]:
    """What a scoring rule needs of the items, beyond what every definition needs."""
    rule, items = data["scoring"], data["items"]
    kinds = [item.get("kind", CHOICE) for item in items]
    values = [{o.get("score", o.get("value")) for o in item.get("options", ())} for item in items]
    if rule == "single" and len(items) != 1:
        return ["The 'single' scoring rule scores exactly one item."]
    if rule == "psfs" and kinds.count(ACTIVITIES) != 1:
        return ["The 'psfs' scoring rule needs exactly one item of kind 'activities'."]
    if rule == "odi" and any(v != set(range(ODI_SECTION_MAX + 1)) for v in values):
        return ["The 'odi' scoring rule needs every section scored 0 to 5."]
    if rule == "rmdq" and any(v != {0, 1} for v in values):
        return ["The 'rmdq' scoring rule needs every statement answered 1 (applies) or 0 (does not)."]
    if rule == "start_back":
        psychosocial = (data.get("subscales") or {}).get("psychosocial")
        keys = {item.get("key") for item in items}
        if not isinstance(psychosocial, list) or not psychosocial or not set(psychosocial) <= keys:
            return ["The 'start_back' scoring rule needs subscales.psychosocial: the keys of its psychosocial items."]
        if any(not v <= {0, 1} for v in values):
            return ["The 'start_back' scoring rule needs every item scored 0 or 1."]
    return []


def definition_errors(data) -> list[str]:
    """Every problem with an instrument definition, in words an operator can act on; empty when it is fine."""
    if not isinstance(data, dict):
        return ["The file must hold one instrument: a JSON object."]
    if data.get("template"):
        return [
            "This file is a template: fill in the wording from your licensed copy of the instrument and remove "
            '"template": true before loading it.'
        ]
    errors = [f"'{name}' is missing." for name in REQUIRED if name not in data]
    if not isinstance(data.get("items"), list) or not data.get("items"):
        errors.append("The instrument has no items.")
    if errors:
        return errors
    if data["scoring"] not in SCORING_RULES:
        known = ", ".join(SCORING_RULES)
        return [f"Unknown scoring rule '{data['scoring']}': the app knows {known}."]
    if not KEY_PATTERN.match(str(data["key"])):
        errors.append("'key' must be lower-case letters, digits and dashes, e.g. 'pain-week'.")
    if not str(data["version"]).strip() or len(str(data["version"])) > 20:
        errors.append("'version' must be a short text, e.g. '1' or '2.1a'.")
    for name, limit in (("name", 120), ("short_name", 40)):
        if not str(data[name]).strip() or len(str(data[name])) > limit:
            errors.append(f"'{name}' must be a text of at most {limit} characters.")
    if data["better"] not in BETTER:
        errors.append("'better' must be 'higher' or 'lower': the direction in which the score improves.")
    if not str(data["licence"]).strip():
        errors.append("'licence' must say on what terms the wording is used.")
    timepoints = data["timepoints"]
    if not isinstance(timepoints, list) or not timepoints or not set(timepoints) <= set(Timepoint):
        errors.append("'timepoints' must list when it may be asked: intake, follow_up, discharge.")
    mcid = data.get("mcid")
    if mcid is not None and (isinstance(mcid, bool) or not isinstance(mcid, int | float) or mcid <= 0):
        errors.append("'mcid' must be a number above 0, or null for a screening tool.")
    low_high = data["score_range"]
    if (
        not isinstance(low_high, list)
        or len(low_high) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in low_high)
        or low_high[0] >= low_high[1]
    ):
        errors.append("'score_range' must be [lowest, highest], the lowest below the highest.")
        low_high = None
    errors += _item_errors(data["scoring"], data["items"])
    if errors:
        return errors
    errors += _rule_errors(data)
    possible = None if errors else _possible_range(data)
    if low_high is not None and possible is not None and tuple(low_high) != possible:
        errors.append(
            f"The score range {low_high[0]} to {low_high[1]} is not what the items score: "
            f"{possible[0]:g} to {possible[1]:g}."
        )
    return errors
