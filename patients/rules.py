"""Pure domain rules about patients: condition phase, default pain threshold, the pain scale.

No ORM and no I/O here: every function takes plain values (dates, numbers) and returns plain values,
so each rule can be read and tested on its own. docs/clinical-rules.md, rules 1 and 2.
"""

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

# Rule 1: the condition phase follows from the injury's onset date.
ACUTE_PERIOD = timedelta(weeks=6)  # acute: under 6 weeks since onset
LONG_TERM_AFTER = relativedelta(months=6)  # long-term: 6 months or more since onset

# Rule 2: the highest pain a session may reach, set per patient.
THRESHOLD_MIN = 0
THRESHOLD_MAX = 4
DEFAULT_THRESHOLD_SUBACUTE = 1  # early-stage work stays at 1/5 or less
DEFAULT_THRESHOLD_ACUTE_OR_LONG_TERM = 2  # working to the point of feeling pain may be appropriate

# The clinic's 0-5 pain scale.
PAIN_MIN = 0
PAIN_MAX = 5
PAIN_WORDS = {
    0: "None",
    1: "Aware of it",
    2: "Mild",
    3: "Moderate",
    4: "Severe",
    5: "Worst",
}

# The warning symptoms every check-in asks about (rule 5), in the words staff read.
SYMPTOM_WORDS = {
    "bladder_bowel": "new bladder or bowel control problems",
    "saddle_numbness": "numbness between the legs",
    "leg_weakness": "new weakness in both legs",
}

# Sanity limits on a patient's dates.
MAX_AGE_YEARS = 120
MIN_AGE_YEARS = 1  # a date of birth is at least a year before today (today's date is a slip of the date picker)
# The database's backstop for it, against the day the patient was registered: 364 days, so that a clinic whose day is
# already tomorrow in UTC never has a date of birth the service accepted refused by the database.
MIN_AGE_DB = timedelta(days=364)
DEFAULT_MAX_PAUSE_WEEKS = 8
# A set-password link sent again is not sent again within this time: an e-mail may take a minute to arrive, and a
# patient's inbox should not fill with links of which only the last works.
RESEND_LINK_WAIT = timedelta(minutes=5)
MAX_PAUSE_AHEAD = timedelta(days=365)

# Rule 19: a course of care (an episode) runs from a referral to a discharge.
DISCHARGE_NOTE_MAX = 2000
ADVICE_MAX = 3000
DEFAULT_SELF_MANAGEMENT_ADVICE = (
    "Keep doing the exercises of your program on your own, two or three times a week, at the doses you have "
    "reached. Keep moving every day: walking, and the activities you enjoy. A flare-up now and then is normal: ease "
    "off for a day or two, then build back up gently. If you notice new problems controlling your bladder or bowel, "
    "numbness between your legs or new weakness in both legs, get urgent medical care straight away."
)


class Phase(StrEnum):
    ACUTE = "acute"
    SUBACUTE = "subacute"
    LONG_TERM = "long_term"

    @property
    def label(self) -> str:
        return {"acute": "Acute", "subacute": "Subacute", "long_term": "Long-term"}[self.value]

    @property
    def description(self) -> str:
        return {
            "acute": "under 6 weeks since onset",
            "subacute": "6 weeks to 6 months since onset",
            "long_term": "6 months or more since onset",
        }[self.value]


PHASE_CHOICES = [(p.value, p.label) for p in Phase]
PHASE_VALUES = [p.value for p in Phase]

# A phone number stored in international form: +, the country code, at most 15 digits in all.
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def condition_phase(onset: date, today: date) -> Phase:
    """The phase of a condition whose injury began on `onset`, as of `today`."""
    if onset > today - ACUTE_PERIOD:
        return Phase.ACUTE
    if onset > today - LONG_TERM_AFTER:
        return Phase.SUBACUTE
    return Phase.LONG_TERM


def onset_range(phase: Phase, today: date) -> tuple[date | None, date | None]:
    """The onset dates that put a condition in `phase` today, as (after, on_or_before).

    `after` is exclusive, `on_or_before` inclusive; None means unbounded. It is the inverse of
    condition_phase, so that a database filter on the onset date agrees with it exactly.
    """
    acute_start = today - ACUTE_PERIOD
    long_term_start = today - LONG_TERM_AFTER
    if phase == Phase.ACUTE:
        return acute_start, None
    if phase == Phase.SUBACUTE:
        return long_term_start, acute_start
    return None, long_term_start


def default_threshold(phase: Phase) -> int:
    """The pain threshold a newly registered patient starts with."""
    if phase == Phase.SUBACUTE:
        return DEFAULT_THRESHOLD_SUBACUTE
    return DEFAULT_THRESHOLD_ACUTE_OR_LONG_TERM


def default_threshold_reason(phase: Phase) -> str:
    return f"Default for the {phase.label.lower()} phase ({phase.description}) at registration."


def threshold_on(day: date, steps: Sequence[tuple[date, int]], *, current: int) -> int:
    """The threshold in force on `day` (rule 15): the value of the last change made on or before that day, in the
    clinic's time zone. `steps` are (day of the change, value), oldest first; a day before the first change (the
    one at registration) takes the first value, and a patient with no history their `current` threshold."""
    value = steps[0][1] if steps else current
    for changed_on, step in steps:
        if changed_on > day:
            break
        value = step
    return value


def threshold_review_due(*, decided_for: str, onset: date, today: date) -> Phase | None:
    """The phase whose threshold the physiotherapist is asked to review (rule 15), or None: the patient's phase
    today, when the last decision about their threshold was made for another phase."""
    phase = condition_phase(onset, today)
    return phase if decided_for and phase.value != decided_for else None


def threshold_review_reason_error(reason: str) -> str | None:
    if not (reason or "").strip():
        return "Give the reason for your decision; it is kept in the threshold's history."
    return None


def patient_date_errors(*, date_of_birth: date | None, onset_date: date | None, today: date) -> dict[str, str]:
    """Problems with a patient's dates, keyed by field name; empty when the dates make sense."""
    errors: dict[str, str] = {}
    if date_of_birth is not None:
        if date_of_birth > today:
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        elif date_of_birth > today - relativedelta(years=MIN_AGE_YEARS):
            errors["date_of_birth"] = "The date of birth must be at least a year before today; please check the year."
        elif date_of_birth < today - relativedelta(years=MAX_AGE_YEARS):
            errors["date_of_birth"] = f"The date of birth is more than {MAX_AGE_YEARS} years ago; please check it."
    if onset_date is not None:
        if onset_date > today:
            errors["onset_date"] = "The injury onset date cannot be in the future."
        elif date_of_birth is not None and "date_of_birth" not in errors and onset_date < date_of_birth:
            errors["onset_date"] = "The injury onset date cannot be before the date of birth."
    return errors


def resend_link_error(*, has_password: bool, active: bool, last_sent: datetime | None, now: datetime) -> str | None:
    """Why a patient's set-password link cannot be sent again now, or None when it can."""
    if not active:
        return "This patient's account is closed: no link can be sent."
    if has_password:
        return (
            "The patient has set a password already. If they have forgotten it, they can ask for a new one with "
            '"Forgotten your password?" on the log-in page.'
        )
    if last_sent is not None and now - last_sent < RESEND_LINK_WAIT:
        wait = math.ceil((RESEND_LINK_WAIT - (now - last_sent)).total_seconds() / 60)
        return (
            f"A link went to the patient less than {RESEND_LINK_WAIT.seconds // 60} minutes ago: it may still be on "
            f"its way. You can send another in {wait} minute{'s' if wait != 1 else ''}."
        )
    return None


def pause_errors(
    *, starts_on: date, ends_on: date, today: date, max_weeks: int = DEFAULT_MAX_PAUSE_WEEKS
) -> dict[str, str]:
    """Problems with a pause's dates, keyed by field name. A pause lasts at most `max_weeks` weeks (the clinic's
    setting), its first and last day included: a longer break is a reason to review the program with the patient."""
    errors: dict[str, str] = {}
    if ends_on < starts_on:
        errors["ends_on"] = "The pause cannot end before it starts."
    elif (ends_on - starts_on).days + 1 > max_weeks * 7:
        last = starts_on + timedelta(weeks=max_weeks, days=-1)
        errors["ends_on"] = (
            f"A pause lasts at most {max_weeks} week{'s' if max_weeks != 1 else ''} (the clinic's setting): this one "
            f"is {(ends_on - starts_on).days + 1} days. Its last day can be {last:%d %B %Y} at the latest. A longer "
            "break is better talked over with the patient, and the program reviewed when they are back."
        )
    if ends_on < today:
        errors.setdefault("ends_on", "The pause must end today or later.")
    if starts_on > today + MAX_PAUSE_AHEAD:
        errors["starts_on"] = "A pause cannot start more than a year from today."
    return errors


def referral_errors(
    *, referral_date: date | None, onset_date: date | None, today: date, last_discharged_on: date | None = None
) -> dict[str, str]:
    """Problems with the dates of a referral (a new course of care), keyed by field name."""
    errors: dict[str, str] = {}
    if referral_date is None:
        return errors
    if referral_date > today:
        errors["referral_date"] = "The referral date cannot be in the future."
    elif last_discharged_on is not None and referral_date < last_discharged_on:
        errors["referral_date"] = (
            f"The last course of care ended on {last_discharged_on:%d %B %Y}: a new referral comes on or after it."
        )
    elif onset_date is not None and referral_date < onset_date:
        errors["referral_date"] = "The referral cannot be before the injury's onset."
    return errors


def discharge_date_error(*, discharged_on: date, referral_date: date, today: date) -> str | None:
    if discharged_on > today:
        return "The discharge date cannot be in the future."
    if discharged_on < referral_date:
        return f"The course of care began with a referral on {referral_date:%d %B %Y}: discharge on or after it."
    return None
