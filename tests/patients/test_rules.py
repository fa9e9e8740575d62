from datetime import date, timedelta

import pytest

from patients import rules
from patients.rules import Phase

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("onset", "phase"),
    [
        (TODAY, Phase.ACUTE),
        (TODAY - timedelta(days=41), Phase.ACUTE),  # 5 weeks 6 days: still under 6 weeks
        (TODAY - timedelta(days=42), Phase.SUBACUTE),  # exactly 6 weeks
        (date(2026, 5, 24), Phase.SUBACUTE),  # one day short of 6 months
        (date(2026, 5, 23), Phase.LONG_TERM),  # exactly 6 months
        (date(2024, 1, 1), Phase.LONG_TERM),
    ],
)
def test_condition_phase(onset, phase):
    assert rules.condition_phase(onset, TODAY) == phase


@pytest.mark.parametrize(
    ("today", "onset", "phase"),
    [
        # Month ends: 6 months before 31 Aug is 28/29 Feb.
        (date(2027, 2, 28), date(2026, 8, 28), Phase.LONG_TERM),
        (date(2027, 2, 28), date(2026, 8, 29), Phase.SUBACUTE),
        (date(2028, 2, 29), date(2027, 8, 29), Phase.LONG_TERM),
    ],
)
def test_condition_phase_month_ends(today, onset, phase):
    assert rules.condition_phase(onset, today) == phase


@pytest.mark.parametrize(
    ("phase", "threshold"),
    [(Phase.ACUTE, 2), (Phase.SUBACUTE, 1), (Phase.LONG_TERM, 2)],
)
def test_default_threshold(phase, threshold):
    assert rules.default_threshold(phase) == threshold
    assert phase.label.lower() in rules.default_threshold_reason(phase)


@pytest.mark.parametrize("days", range(0, 400, 7))
def test_onset_range_agrees_with_phase(days):
    onset = TODAY - timedelta(days=days)
    for phase in Phase:
        after, on_or_before = rules.onset_range(phase, TODAY)
        inside = (after is None or onset > after) and (on_or_before is None or onset <= on_or_before)
        assert inside == (rules.condition_phase(onset, TODAY) == phase), (days, phase)


@pytest.mark.parametrize(
    ("dob", "onset", "errors"),
    [
        (date(1980, 1, 1), date(2026, 10, 1), set()),
        (TODAY + timedelta(days=1), date(2026, 10, 1), {"date_of_birth"}),
        (date(1906, 11, 23), date(2026, 10, 1), set()),  # exactly 120 years
        (date(1906, 11, 22), date(2026, 10, 1), {"date_of_birth"}),  # over 120 years
        (date(1980, 1, 1), TODAY + timedelta(days=1), {"onset_date"}),
        (date(1980, 1, 1), TODAY, set()),
        (date(1980, 1, 1), date(1979, 12, 31), {"onset_date"}),
    ],
)
def test_patient_date_errors(dob, onset, errors):
    assert set(rules.patient_date_errors(date_of_birth=dob, onset_date=onset, today=TODAY)) == errors


def test_pain_scale_words_cover_the_scale():
    assert sorted(rules.PAIN_WORDS) == list(range(rules.PAIN_MIN, rules.PAIN_MAX + 1))
