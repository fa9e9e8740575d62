"""Pure rules that decide when a patient needs a clinician: pain over their threshold, sharp pain, warning
symptoms, pain getting worse, resting too long and a flare-up; and when a patient is ready to progress.

No ORM and no I/O: plain values in, plain values out. docs/clinical-rules.md lists every rule, its numbers and
where it lives; staff read each rule by what it checks (RULE_NAMES), never by a number.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from checkins.rules import ADHERENCE_WINDOW_DAYS  # adherence is judged over the last two weeks, as shown
from patients.rules import SYMPTOM_WORDS

WORSENING_RUN = 3  # pain rising over this many check-ins in a row
REST_DAYS_ALLOWED = 2  # the default: resting more than two whole days raises a rest flag (a clinic setting)

REASON_PAIN = "pain"
REASON_SHARP = "sharp_pain"
REASON_URGENT = "warning_symptoms"
REASON_WORSENING = "worsening"
REASON_REST = "rest"
REASON_NEW_SYMPTOM = "new_symptom"
REASON_OUTCOME_WORSE = "outcome_worse"
REASON_FLARE_UP = "flare_up"
# Emailed to the physiotherapist at once; rest flags go in a daily digest.
IMMEDIATE_REASONS = (
    REASON_URGENT,
    REASON_PAIN,
    REASON_SHARP,
    REASON_WORSENING,
    REASON_NEW_SYMPTOM,
    REASON_OUTCOME_WORSE,
    REASON_FLARE_UP,
)
# A flag whose page offers an easier version of the program, prepared (rule 17).
EASE_OFF_REASONS = (REASON_PAIN, REASON_SHARP, REASON_WORSENING)


def rule_name(reason: str, *, rest_days_allowed: int = REST_DAYS_ALLOWED) -> str:
    """What the rule behind a flag checks, in the words staff read on the flag."""
    days = f"{rest_days_allowed} whole rest day{'s' if rest_days_allowed != 1 else ''}"
    return {
        REASON_URGENT: "Any warning symptom",
        REASON_PAIN: "Pain over the patient's threshold",
        REASON_SHARP: "Sharp or intense pain",
        REASON_WORSENING: f"Pain rising over {WORSENING_RUN} check-ins in a row, the last over the threshold",
        REASON_REST: f"More than {days} in a row",
        REASON_NEW_SYMPTOM: "A new symptom the patient told the clinic about between sessions",
        REASON_OUTCOME_WORSE: "A follow-up questionnaire worse than the first by at least the change that matters",
        REASON_FLARE_UP: "The patient told the clinic about a flare-up",
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


def _symptom_finding(ticked: Sequence[str], *, when: dict, told: str = "The patient reported ") -> Finding:
    return Finding(
        REASON_URGENT,
        rule_name(REASON_URGENT),
        told + "; ".join(SYMPTOM_WORDS.get(n, n) for n in ticked) + ".",
        {**when, "symptoms": list(ticked)},
    )


def pain_finding(*, max_pain: int, pain_now: int, threshold: int, when: dict) -> Finding | None:
    """Pain over the threshold, during the session or after it: the explanation says which figure fired."""
    over = [
        (words, value)
        for words, value in (("highest pain", max_pain), ("pain after the session", pain_now))
        if value > threshold
    ]
    if not over:
        return None
    figures = " and ".join(f"{words} {value}/5" for words, value in over)
    verb = "are" if len(over) > 1 else "is"
    return Finding(
        REASON_PAIN,
        rule_name(REASON_PAIN),
        f"{figures[0].upper()}{figures[1:]} {verb} above the threshold of {threshold}/5.",
        {**when, "max_pain": max_pain, "pain_now": pain_now, "threshold": threshold},
    )


def checkin_findings(
    *,
    max_pain: int,
    sharp_pain: bool,
    symptoms: dict[str, bool],
    threshold: int,
    pain_now: int = 0,
    recent_pains: Sequence[int] = (),
    session_date: date | None = None,
) -> list[Finding]:
    """The rules about one check-in (docs/clinical-rules.md, rules 3-6). `threshold` is the one in force on the
    session's day; `recent_pains` are the highest pains of the patient's check-ins up to and including this one,
    oldest first."""
    when = {"session_date": session_date.isoformat()} if session_date else {}
    findings = []
    ticked = [name for name, yes in symptoms.items() if yes]
    if ticked:
        findings.append(_symptom_finding(ticked, when=when))
    pain = pain_finding(max_pain=max_pain, pain_now=pain_now, threshold=threshold, when=when)
    if pain is not None:
        findings.append(pain)
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


def symptom_report_findings(
    *, symptoms: dict[str, bool], sharp_pain: bool, note: str, reported_on: date
) -> list[Finding]:
    """The rules about a symptom report sent without a session (docs/clinical-rules.md, rule 14): warning symptoms
    raise the urgent flag and a flare of sharp pain the sharp-pain flag, as in a check-in; a note alone is a new
    symptom for the physiotherapist to read. Never a session: the rest rule does not count it."""
    when = {"reported_on": reported_on.isoformat()}
    said = {"note": note} if note else {}
    findings = []
    ticked = [name for name, yes in symptoms.items() if yes]
    if ticked:
        findings.append(
            _symptom_finding(ticked, when={**when, **said}, told="The patient reported, between sessions: ")
        )
    if sharp_pain:
        findings.append(
            Finding(
                REASON_SHARP,
                rule_name(REASON_SHARP),
                "The patient reported a flare of sharp or intense pain between sessions.",
                {**when, "sharp_pain": True, **said},
            )
        )
    if not findings and note:
        findings.append(
            Finding(
                REASON_NEW_SYMPTOM,
                rule_name(REASON_NEW_SYMPTOM),
                "The patient told the clinic about a new symptom between sessions: read their note.",
                {**when, **said},
            )
        )
    return findings


def worse_than_handled(*, handled: dict, finding: Finding) -> bool:
    """A check-in (or symptom report) fires a rule whose flag staff already resolved for this same report: is it
    worse than the values that flag was raised on? Only then is it flagged again, so that evaluating a report a
    second time (a re-delivered message), or correcting a typo in its note, does not raise the same flag twice."""
    if set(finding.values.get("symptoms", ())) - set(handled.get("symptoms", ())):
        return True  # a warning symptom it did not report before
    return any(
        figure in handled and finding.values.get(figure, 0) > handled[figure] for figure in ("max_pain", "pain_now")
    )


def ends_rest(*, session_date: date, last_session: date | None) -> bool:
    """Whether a session ends a rest that counted from `last_session` (docs/clinical-rules.md, rule 7): only a
    session after it does. A late report of an earlier day, or a correction (its day does not change), does not."""
    return last_session is None or session_date > last_session


def rest_explanation(*, days: int, last_session: date) -> str:
    return f"No session reported for {days} whole days (last session {last_session:%d %b %Y})."


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
        rest_explanation(days=days, last_session=last_session),
        {"last_session": last_session.isoformat(), "rest_days": days, "allowed": rest_days_allowed},
    )


def outcome_worse_finding(
    *, measure: str, baseline, score, worse_by, mcid, completed_on: date, baseline_on: date
) -> Finding:
    """A follow-up score worse than the first of its course of care by at least the instrument's minimal clinically
    important difference (docs/clinical-rules.md, rule 20). Whether it is worse is the outcomes app's rule
    (outcomes.rules.change_status); this says so in the words, and with the values, staff read on every flag."""
    return Finding(
        REASON_OUTCOME_WORSE,
        rule_name(REASON_OUTCOME_WORSE),
        f"{measure}: {_number(score)} on {completed_on:%d %b %Y}, {_number(baseline)} at the start "
        f"({baseline_on:%d %b %Y}); worse by {_number(worse_by)}, and a change of {_number(mcid)} matters.",
        {
            "measure": measure,
            "completed_on": completed_on.isoformat(),
            "baseline": _number(baseline),
            "score": _number(score),
            "worse_by": _number(worse_by),
            "mcid": _number(mcid),
        },
    )


def _number(value) -> str:
    """A score as people write it: 4, 3.5, 32.25 (no trailing zeros)."""
    text = f"{value:f}" if not isinstance(value, int | float) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def flare_up_finding(*, starts_on: date, last_day: date, plan_number: int | None) -> Finding:
    """A flare-up the patient started with one tap on Today (docs/clinical-rules.md, rule 18): not urgent, but their
    physiotherapist is told at once, whether a flare-up plan was ready or not."""
    if plan_number is not None:
        explanation = (
            f"The patient switched to their flare-up plan (version {plan_number}) on {_day(starts_on)}, until "
            f"{_day(last_day)}; their usual program returns after that."
        )
    else:
        explanation = (
            f"The patient reported a flare-up on {_day(starts_on)}. No flare-up plan was ready, so their usual "
            "program stays in force; they were shown the clinic's phone number."
        )
    values = {
        "started_on": starts_on.isoformat(),
        "until": last_day.isoformat(),
        "plan": f"version {plan_number}" if plan_number is not None else "none ready",
    }
    return Finding(REASON_FLARE_UP, rule_name(REASON_FLARE_UP), explanation, values)


# --- Rule 17: ready to progress ----------------------------------------------------------------


@dataclass(frozen=True)
class ProgressCriteria:
    """What a clinic asks of a patient's sessions before suggesting a step up (its settings, with their history)."""

    min_sessions: int
    min_days: int
    min_adherence: int  # percent


@dataclass(frozen=True)
class ProgressEvidence:
    """One patient's record on the version of their program in force."""

    version_number: int
    days_on_version: int  # whole days since the version's start
    sessions: int  # check-ins on this version
    highest_pain: int | None  # the highest pain of those sessions
    threshold: int  # the patient's threshold today, for the words
    over_threshold: int  # sessions whose highest pain was over the threshold in force on their day
    sharp: int  # sessions with sharp or intense pain
    reported_days: int  # days with a session in the adherence window
    planned: Fraction  # sessions planned in the adherence window, paused days left out
    open_flags: int
    in_flare_up: bool


@dataclass(frozen=True)
class Criterion:
    met: bool
    words: str


@dataclass(frozen=True)
class ProgressVerdict:
    criteria: tuple[Criterion, ...]

    @property
    def ready(self) -> bool:
        return all(criterion.met for criterion in self.criteria)

    @property
    def evidence(self) -> str:
        return "; ".join(criterion.words for criterion in self.criteria if criterion.words)

    @property
    def unmet(self) -> str:
        return "; ".join(criterion.words for criterion in self.criteria if not criterion.met)


def adherence_meets(*, reported: int, planned: Fraction, min_percent: int) -> bool:
    """Sessions reported against sessions planned, at least `min_percent`: exactly, with no rounding (79.6% is not
    80%). Nothing planned is not adherence."""
    return planned > 0 and reported * 100 >= min_percent * planned


def adherence_floor(*, reported: int, planned: Fraction) -> int | None:
    """The adherence the criteria's words show: rounded down, so that it never reads as met when it is not."""
    return min(100, math.floor(reported * 100 / planned)) if planned > 0 else None


def progress_start_by(*, today: date, min_days: int) -> date:
    """The latest start of a version whose patient has been on it for `min_days` days today."""
    return today - timedelta(days=min_days)


def progress_verdict(evidence: ProgressEvidence, criteria: ProgressCriteria) -> ProgressVerdict:
    """Is the patient ready for a step up (docs/clinical-rules.md, rule 17)? On the version in force: at least the
    clinic's number of sessions over at least its number of days, every highest pain at or under the threshold in
    force on its day, no sharp pain, adherence over the last two weeks at least the clinic's percentage, no open
    flag and no flare-up now. Each criterion with its evidence in words; a suggestion only, never applied without
    the physiotherapist."""
    e, c = evidence, criteria
    version = f"version {e.version_number}"
    sessions = f"{e.sessions} session{'s' if e.sessions != 1 else ''}"
    days = f"{e.days_on_version} day{'s' if e.days_on_version != 1 else ''}"
    percent = adherence_floor(reported=e.reported_days, planned=e.planned)
    adherence = f"adherence {percent}%" if percent is not None else "no sessions planned"
    highest = f"highest {e.highest_pain}/5, threshold {e.threshold}/5" if e.highest_pain is not None else "no pain"
    adherent = adherence_meets(reported=e.reported_days, planned=e.planned, min_percent=c.min_adherence)
    return ProgressVerdict(
        (
            Criterion(
                e.sessions >= c.min_sessions,
                f"{sessions} on {version}" + ("" if e.sessions >= c.min_sessions else f" ({c.min_sessions} needed)"),
            ),
            Criterion(
                e.days_on_version >= c.min_days,
                f"{days} on it" + ("" if e.days_on_version >= c.min_days else f" ({c.min_days} needed)"),
            ),
            Criterion(
                e.over_threshold == 0,
                f"every highest pain at or under the threshold ({highest})"
                if e.over_threshold == 0
                else f"pain over the threshold in {e.over_threshold} session{'s' if e.over_threshold != 1 else ''}",
            ),
            Criterion(
                e.sharp == 0,
                "no sharp pain" if e.sharp == 0 else f"sharp pain in {e.sharp} session{'s' if e.sharp != 1 else ''}",
            ),
            Criterion(
                adherent,
                f"{adherence} over {ADHERENCE_WINDOW_DAYS} days"
                + ("" if adherent else f" ({c.min_adherence}% needed)"),
            ),
            Criterion(
                e.open_flags == 0,
                "no open flag" if e.open_flags == 0 else f"{e.open_flags} open flag{'s' if e.open_flags != 1 else ''}",
            ),
            Criterion(not e.in_flare_up, "in a flare-up now" if e.in_flare_up else ""),
        )
    )
