"""The criteria for a step up (flags.rules.progress_verdict, docs/clinical-rules.md rule 17), each at its boundary,
and the flare-up flag's finding: pure functions."""

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from flags import rules

CRITERIA = rules.ProgressCriteria(min_sessions=6, min_days=14, min_adherence=80)
READY = rules.ProgressEvidence(
    version_number=2,
    days_on_version=14,
    sessions=6,
    highest_pain=2,
    threshold=2,
    over_threshold=0,
    sharp=0,
    reported_days=8,
    planned=Fraction(10),
    open_flags=0,
    in_flare_up=False,
)


def test_ready_with_the_evidence_in_words():
    verdict = rules.progress_verdict(READY, CRITERIA)
    assert verdict.ready and verdict.unmet == ""
    assert verdict.evidence == (
        "6 sessions on version 2; 14 days on it; every highest pain at or under the threshold (highest 2/5, "
        "threshold 2/5); no sharp pain; adherence 80% over 14 days; no open flag"
    )


@pytest.mark.parametrize(
    ("change", "ready", "unmet"),
    [
        ({"sessions": 5}, False, "5 sessions on version 2 (6 needed)"),
        ({"sessions": 6}, True, ""),
        ({"days_on_version": 13}, False, "13 days on it (14 needed)"),
        ({"days_on_version": 14}, True, ""),
        ({"over_threshold": 1}, False, "pain over the threshold in 1 session"),
        ({"sharp": 2}, False, "sharp pain in 2 sessions"),
        ({"reported_days": 79, "planned": Fraction(100)}, False, "adherence 79% over 14 days (80% needed)"),
        ({"reported_days": 80, "planned": Fraction(100)}, True, ""),
        ({"open_flags": 1}, False, "1 open flag"),
        ({"in_flare_up": True}, False, "in a flare-up now"),
        ({"reported_days": 0, "planned": Fraction(0)}, False, "no sessions planned over 14 days (80% needed)"),
    ],
)
def test_each_criterion_at_its_boundary(change, ready, unmet):
    verdict = rules.progress_verdict(replace(READY, **change), CRITERIA)
    assert (verdict.ready, verdict.unmet) == (ready, unmet)


@pytest.mark.parametrize(
    ("reported", "planned", "meets"),
    [
        (8, Fraction(10), True),  # exactly 80%
        (7, Fraction(10), False),
        (4, Fraction(5), True),
        (11, Fraction(14), False),  # 78.6%: would round to 79
        (159, Fraction(199, 1), False),  # 79.9%: would round to 80, still under
        (40, Fraction(350, 7), True),  # five a week over ten days: 50/7 planned x 7
        (3, Fraction(0), False),
    ],
)
def test_adherence_is_exact_with_no_rounding(reported, planned, meets):
    assert rules.adherence_meets(reported=reported, planned=planned, min_percent=80) is meets


def test_adherence_shown_rounded_down_so_it_never_reads_as_met_when_it_is_not():
    assert rules.adherence_floor(reported=159, planned=Fraction(199)) == 79
    assert rules.adherence_floor(reported=12, planned=Fraction(10)) == 100
    assert rules.adherence_floor(reported=1, planned=Fraction(0)) is None


def test_the_latest_start_for_the_days_on_a_version():
    assert rules.progress_start_by(today=date(2026, 3, 15), min_days=14) == date(2026, 3, 1)


def test_flare_up_finding():
    finding = rules.flare_up_finding(starts_on=date(2026, 3, 2), last_day=date(2026, 3, 4), plan_number=3)
    assert (finding.reason, finding.urgent) == ("flare_up", False)
    assert finding.explanation == (
        "The patient switched to their flare-up plan (version 3) on Mon 2 Mar, until Wed 4 Mar; their usual program "
        "returns after that."
    )
    assert finding.values == {"started_on": "2026-03-02", "until": "2026-03-04", "plan": "version 3"}
    without = rules.flare_up_finding(starts_on=date(2026, 3, 2), last_day=date(2026, 3, 4), plan_number=None)
    assert "No flare-up plan was ready" in without.explanation and without.values["plan"] == "none ready"
    assert "flare_up" in rules.IMMEDIATE_REASONS
