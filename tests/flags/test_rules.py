from datetime import date

import pytest

from flags import rules

NO_SYMPTOMS = {"bladder_bowel": False, "saddle_numbness": False, "leg_weakness": False}


def reasons(**kwargs):
    args = {"max_pain": 1, "sharp_pain": False, "symptoms": NO_SYMPTOMS, "threshold": 2, "recent_pains": ()}
    args.update(kwargs)
    return [f.reason for f in rules.checkin_findings(**args)]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"max_pain": 2, "threshold": 2}, []),  # equal to the threshold: no flag
        ({"max_pain": 3, "threshold": 2}, ["pain"]),  # one over: flag
        ({"max_pain": 0, "threshold": 0}, []),
        ({"max_pain": 1, "threshold": 0}, ["pain"]),
        ({"max_pain": 5, "threshold": 4}, ["pain"]),
        ({"sharp_pain": True, "max_pain": 0}, ["sharp_pain"]),  # whatever the number
        ({"symptoms": NO_SYMPTOMS | {"leg_weakness": True}}, ["warning_symptoms"]),
        (
            {"symptoms": NO_SYMPTOMS | {"bladder_bowel": True}, "max_pain": 4, "sharp_pain": True},
            ["warning_symptoms", "pain", "sharp_pain"],
        ),
        ({"recent_pains": (1, 2, 3), "max_pain": 3, "threshold": 2}, ["pain", "worsening"]),
        ({"recent_pains": (1, 2, 2), "max_pain": 2, "threshold": 1}, ["pain"]),  # not strictly rising
        ({"recent_pains": (0, 1, 2), "max_pain": 2, "threshold": 2}, []),  # rising but last not above
        ({"recent_pains": (2, 3), "max_pain": 3, "threshold": 2}, ["pain"]),  # only two reports
        ({"recent_pains": (5, 1, 2, 3), "max_pain": 3, "threshold": 2}, ["pain", "worsening"]),
    ],
)
def test_report_findings(kwargs, expected):
    assert reasons(**kwargs) == expected


def test_findings_explain_values():
    (finding,) = rules.checkin_findings(
        max_pain=4, sharp_pain=False, symptoms=NO_SYMPTOMS, threshold=2, session_date=date(2026, 11, 20)
    )
    assert finding.values == {"session_date": "2026-11-20", "max_pain": 4, "pain_now": 0, "threshold": 2}
    assert "4/5 is above the threshold of 2/5" in finding.explanation


@pytest.mark.parametrize(
    ("last", "today", "paused", "allowed", "flag"),
    [
        (date(2026, 11, 16), date(2026, 11, 19), False, 2, False),  # Tue, Wed: exactly two whole days
        (date(2026, 11, 16), date(2026, 11, 20), False, 2, True),  # Tue, Wed, Thu: three
        (date(2026, 11, 16), date(2026, 11, 20), True, 2, False),  # paused
        (date(2026, 11, 16), date(2026, 11, 20), False, 3, False),  # a clinic allowing 3 rest days
        (date(2026, 11, 16), date(2026, 11, 21), False, 3, True),
        (date(2026, 11, 16), date(2026, 11, 16), False, 2, False),  # reported today
    ],
)
def test_rest_rule(last, today, paused, allowed, flag):
    finding = rules.rest_finding(last_session=last, today=today, paused=paused, rest_days_allowed=allowed)
    assert (finding is not None) is flag
    assert (last <= rules.rest_cutoff(today=today, rest_days_allowed=allowed)) is (flag or paused)


@pytest.mark.parametrize(
    ("handled", "now", "worse"),
    [
        ({"max_pain": 4}, {"max_pain": 4}, False),
        ({"max_pain": 4}, {"max_pain": 3}, False),
        ({"max_pain": 4}, {"max_pain": 5}, True),
        ({"symptoms": ["leg_weakness"]}, {"symptoms": ["leg_weakness"]}, False),
        ({"symptoms": ["leg_weakness", "bladder_bowel"]}, {"symptoms": ["bladder_bowel"]}, False),
        ({"symptoms": ["leg_weakness"]}, {"symptoms": ["leg_weakness", "saddle_numbness"]}, True),
        ({"sharp_pain": True, "max_pain": 2}, {"sharp_pain": True, "max_pain": 2}, False),
    ],
)
def test_a_corrected_report_is_flagged_again_only_when_worse(handled, now, worse):
    finding = rules.Finding("pain", "Rule", "Why", now)
    assert rules.worse_than_handled(handled=handled, finding=finding) is worse


@pytest.mark.parametrize("reason", ["warning_symptoms", "pain", "sharp_pain", "worsening", "rest"])
def test_each_rule_is_named_by_what_it_checks_not_by_a_number(reason):
    name = rules.rule_name(reason, rest_days_allowed=3)
    assert name[0].isupper() and not any(ch.isdigit() for ch in name.replace("3 ", ""))
    assert "rule" not in name.lower()
