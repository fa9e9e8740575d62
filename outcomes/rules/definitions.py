"""What an instrument file must hold: the checks a definition passes before the app loads it."""

import re

from .questions import ACTIVITIES, CHOICE
from .schedule import Timepoint
from .scoring import ODI_SECTION_MAX, SCORING_RULES

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
