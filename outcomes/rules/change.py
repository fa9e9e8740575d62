"""Scores and how a change from the start compares with the instrument's minimal clinically important difference
(MCID). Scores are Decimals, so that a change of exactly the MCID is exactly the MCID."""

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

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
