"""Pure rules about outcome measures: what an instrument's definition must hold, the questions it asks, how each
scoring rule scores the answers, and how a change from the start compares with the instrument's minimal clinically
important difference (MCID). docs/clinical-rules.md, rule 20.

No ORM and no I/O: plain values in, plain values out (definitions are the dicts the instrument files hold).
Scores are Decimals, so that a change of exactly the MCID is exactly the MCID.
"""

from .change import SCORE_PLACES, Status, as_score, change_status, improvement
from .definitions import definition_errors
from .questions import ACTIVITIES, ACTIVITY_NAME_MAX, CHOICE, NAMES_KEY, Question, activity_key, answer_error, questions
from .schedule import (
    DEFAULT_FOLLOW_UP_WEEKS,
    DEFAULT_SCHEDULE,
    FOLLOW_UP_WEEKS_MAX,
    FOLLOW_UP_WEEKS_MIN,
    Timepoint,
    follow_up_after,
    next_follow_up_on,
)
from .scoring import SCORING_RULES, Incomplete, Risk, Score, score, start_back_risk

__all__ = [
    "ACTIVITIES",
    "activity_key",
    "ACTIVITY_NAME_MAX",
    "answer_error",
    "as_score",
    "change_status",
    "CHOICE",
    "DEFAULT_FOLLOW_UP_WEEKS",
    "DEFAULT_SCHEDULE",
    "definition_errors",
    "follow_up_after",
    "FOLLOW_UP_WEEKS_MAX",
    "FOLLOW_UP_WEEKS_MIN",
    "improvement",
    "Incomplete",
    "NAMES_KEY",
    "next_follow_up_on",
    "Question",
    "questions",
    "Risk",
    "Score",
    "score",
    "SCORE_PLACES",
    "SCORING_RULES",
    "start_back_risk",
    "Status",
    "Timepoint",
]
