"""The questions an instrument asks, and what makes an answer to one of them wrong."""

from dataclasses import dataclass

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
