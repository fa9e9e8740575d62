"""Pure rules that decide when a patient needs a clinician: pain over their threshold, sharp pain, warning
symptoms, pain getting worse, and resting too long.

No ORM and no I/O: plain values in, plain values out. docs/clinical-rules.md lists every rule, its numbers and
where it lives; staff read each rule by what it checks (RULE_NAMES), never by a number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from patients.rules import SYMPTOM_WORDS

WORSENING_RUN = 3  # pain rising over this many check-ins in a row
REST_DAYS_ALLOWED = 2  # the default: resting more than two whole days raises a rest flag (a clinic setting)

REASON_PAIN = "pain"
REASON_SHARP = "sharp_pain"
REASON_URGENT = "warning_symptoms"
REASON_WORSENING = "worsening"
REASON_REST = "rest"
IMMEDIATE_REASONS = (REASON_URGENT, REASON_PAIN, REASON_SHARP, REASON_WORSENING)  # emailed at once


def rule_name(reason: str, *, rest_days_allowed: int = REST_DAYS_ALLOWED) -> str:
    """What the rule behind a flag checks, in the words staff read on the flag."""
    days = f"{rest_days_allowed} whole rest day{'s' if rest_days_allowed != 1 else ''}"
    return {
        REASON_URGENT: "Any warning symptom",
        REASON_PAIN: "Pain over the patient's threshold",
        REASON_SHARP: "Sharp or intense pain",
        REASON_WORSENING: f"Pain rising over {WORSENING_RUN} check-ins in a row, the last over the threshold",
        REASON_REST: f"More than {days} in a row",
    }[reason]


@dataclass(frozen=True)
class Finding:
    """A rule that fired: which, why in words, and the values that fired it."""

    reason: str
    rule: str
    explanation: str
    values: dict

    @property
    def urgent(self) -> bool:
        return self.reason == REASON_URGENT


def checkin_findings(
    *,
    max_pain: int,
    sharp_pain: bool,
    symptoms: dict[str, bool],
    threshold: int,
    recent_pains: Sequence[int] = (),
    session_date: date | None = None,
) -> list[Finding]:
    """The rules about one check-in (docs/clinical-rules.md, rules 3-6). `recent_pains` are the highest pains of the
    patient's check-ins up to and including this one, oldest first."""
    when = {"session_date": session_date.isoformat()} if session_date else {}
    findings = []
    ticked = [name for name, yes in symptoms.items() if yes]
    if ticked:
        findings.append(
            Finding(
                REASON_URGENT,
                rule_name(REASON_URGENT),
                "The patient reported " + "; ".join(SYMPTOM_WORDS.get(n, n) for n in ticked) + ".",
                {**when, "symptoms": ticked},
            )
        )
    if max_pain > threshold:
        findings.append(
            Finding(
                REASON_PAIN,
                rule_name(REASON_PAIN),
                f"Highest pain {max_pain}/5 is above the threshold of {threshold}/5.",
                {**when, "max_pain": max_pain, "threshold": threshold},
            )
        )
    if sharp_pain:
        findings.append(
            Finding(
                REASON_SHARP,
                rule_name(REASON_SHARP),
                f"The patient felt sharp or intense pain (highest pain {max_pain}/5).",
                {**when, "sharp_pain": True, "max_pain": max_pain},
            )
        )
    run = list(recent_pains)[-WORSENING_RUN:]
    if len(run) == WORSENING_RUN and all(a < b for a, b in zip(run, run[1:], strict=False)) and run[-1] > threshold:
        findings.append(
            Finding(
                REASON_WORSENING,
                rule_name(REASON_WORSENING),
                f"Highest pain went {' → '.join(str(p) for p in run)} (threshold {threshold}/5).",
                {**when, "pains": run, "threshold": threshold},
            )
        )
    return findings


def worse_than_handled(*, handled: dict, finding: Finding) -> bool:
    """A corrected check-in fires a rule whose flag staff already resolved for this same check-in: is it worse
    than the values that flag was raised on? Only then is it flagged again, so that correcting a typo in a note
    does not raise the same flag twice."""
    if set(finding.values.get("symptoms", ())) - set(handled.get("symptoms", ())):
        return True  # a warning symptom it did not report before
    return finding.values.get("max_pain", 0) > handled.get("max_pain", 0)


def rest_days(*, last_session: date, today: date) -> int:
    """Whole calendar days without a session between the last session and today (today not counted)."""
    return max(0, (today - last_session).days - 1)


def rest_cutoff(*, today: date, rest_days_allowed: int = REST_DAYS_ALLOWED) -> date:
    """A patient whose last session was on or before this day has rested more than allowed."""
    return today - timedelta(days=rest_days_allowed + 2)


def rest_finding(
    *, last_session: date, today: date, paused: bool, rest_days_allowed: int = REST_DAYS_ALLOWED
) -> Finding | None:
    """Resting too long (docs/clinical-rules.md, rule 7). `last_session` is the last checked-in session, or the
    program start before the first."""
    days = rest_days(last_session=last_session, today=today)
    if paused or days <= rest_days_allowed:
        return None
    return Finding(
        REASON_REST,
        rule_name(REASON_REST, rest_days_allowed=rest_days_allowed),
        f"No session reported for {days} whole days (last session {last_session:%d %b %Y}).",
        {"last_session": last_session.isoformat(), "rest_days": days, "allowed": rest_days_allowed},
    )
