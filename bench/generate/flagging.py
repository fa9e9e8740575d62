"""Flagging: the app's rules (flags.rules) applied to one patient's history as it is walked, rule 7 at the first
sweep of each local day and rules 3-6 at each report's evaluation; staff acknowledging and resolving the flags after a
while; and each flag's row with its events, as the services would have written them."""

import json
from datetime import date

from bench.generate.load import NULL, esc, ts_text
from bench.generate.vocabulary import DAY, HOUR, NEVER, RESOLUTION_NOTES, STAFF_OUTCOMES, SYMPTOMS


class Flag:
    """A flag being simulated; turned into a row and its events when the patient is done."""

    __slots__ = (
        "id",
        "reason",
        "urgent",
        "opened",
        "ack_due",
        "details",
        "raised_values",
        "report_id",
        "evidence",
        "last_evidence",
        "notified",
        "ack_at",
        "ack_by",
        "resolve_at",
        "resolve_by",
        "outcome",
        "note",
    )

    def __init__(self, fid, reason, urgent, opened, ack_due, details, raised_values, report_id=None):
        self.id, self.reason, self.urgent, self.opened, self.ack_due = fid, reason, urgent, opened, ack_due
        self.details, self.raised_values, self.report_id = details, raised_values, report_id
        self.evidence: list = []
        self.last_evidence = opened
        self.notified = self.ack_at = self.ack_by = self.resolve_at = self.resolve_by = None
        self.outcome = self.note = ""


class FlagTracker:
    """One patient's flags while their days are walked: the open ones by reason, the finished ones, and what the
    sweep's rest rule needs to know (the last report, the pauses, when staff last resolved a rest flag)."""

    def __init__(self, worker, ctx, physio: int, pauses: list, thresholds: list):
        clinic = ctx.clinic
        self.worker, self.rng, self.clock, self.rules = worker, worker.rng, ctx.clock, worker.program_rules
        self.physio, self.pauses, self.thresholds = physio, pauses, thresholds
        self.allowed = clinic.rest_days_allowed
        self.ack_window = clinic.ack_hours * HOUR
        self.urgent_window = clinic.urgent_ack_minutes * 60
        self.opened: dict[str, Flag] = {}
        self.finished: list[Flag] = []
        self.last_report: int | None = None  # the local day of the last report
        self.rest_resolved_at = -1  # when staff last resolved a rest flag

    def paused(self, day: int) -> bool:
        return any(s <= day <= e and (r is None or r > day) for s, e, r in self.pauses)

    def last_session(self, day: int, program_start: int) -> int:
        """The sweep's: Greatest(Coalesce(last report, start), Coalesce(last pause end, start), start), where
        a pause cancelled before it began (resumed_on <= starts_on) is no pause."""
        last_pause = None
        for s, e, r in self.pauses:
            if s <= day and (r is None or r > s):
                end = min(e, r) if r is not None else e
                last_pause = end if last_pause is None else max(last_pause, end)
        last_report = self.last_report
        return max(
            last_report if last_report is not None else program_start,
            last_pause if last_pause is not None else program_start,
            program_start,
        )

    def sweep(self, day: int, program_start: int) -> int:
        """The first sweep of local day `day`, just after midnight: staff resolutions due by then, then rule 7.
        Returns the next day the sweep may act."""
        if not self.paused(day):
            sweep_at = self.clock.ts(day, 5 + int(self.rng.random() * 10))
            self.advance(sweep_at)
            if "rest" not in self.opened and self.last_session(day, program_start) <= day - (self.allowed + 2):
                self.open_rest(sweep_at, day, program_start)
        return self.next_check(day, program_start)

    def open_rest(self, at: int, day: int, program_start: int) -> None:
        """Rule 7 as the sweep applies it on local day `day`."""
        rng, rnd, allowed = self.rng, self.rng.random, self.allowed
        last = self.last_session(day, program_start)
        if self.paused(day) or program_start > day or last > day - (allowed + 2):
            return
        # A rest flag staff resolved after the cutoff day counts like a session (local days, as the app).
        if self.rest_resolved_at >= self.clock.ts(day - (allowed + 1), 0):
            return
        finding = self.rules.rest_finding(
            last_session=date.fromordinal(last),
            today=date.fromordinal(day),
            paused=False,
            rest_days_allowed=allowed,
        )
        details = json.dumps({"rule": finding.rule, "explanation": finding.explanation, "values": finding.values})
        values = json.dumps({"explanation": finding.explanation, **finding.values})
        flag = Flag(self.worker.next_id("flag"), "rest", False, at, at + self.ack_window, details, values)
        if rnd() < 0.3:
            flag.ack_at, flag.ack_by = at + rng.randint(2, 20) * HOUR, self.physio
        if rnd() < 0.12:
            flag.resolve_at, flag.resolve_by = at + rng.randint(26, 72) * HOUR, self.physio
            flag.outcome, flag.note = "contacted_patient", "Called: back on track from tomorrow."
        self.opened["rest"] = flag

    def advance(self, until: int) -> None:
        """Staff resolutions due by `until`; a resolved rest flag holds off the next one (see open_rest)."""
        opened = self.opened
        for reason in list(opened):
            flag = opened[reason]
            if flag.resolve_at is not None and flag.resolve_at <= until:
                self.finished.append(flag)
                del opened[reason]
                if reason == "rest":
                    self.rest_resolved_at = flag.resolve_at

    def next_check(self, day: int, program_start: int) -> int:
        """The next day the sweep may act: the rest limit, or the day staff resolve the open rest flag."""
        if self.pauses:
            return day + 1  # the slow path, a few patients
        rest = self.opened.get("rest")
        if rest is not None:
            return self.clock.day_of(rest.resolve_at) if rest.resolve_at is not None else NEVER
        return self.last_session(day, program_start) + self.allowed + 2

    def evaluate(self, day, rid, evaluated, max_pain, pain_now, sharp, symptom, recent) -> None:
        """A report's evaluation, at `evaluated`: rules 3-6 against the threshold then in force, then the end of an
        open rest flag."""
        rng, opened, physio = self.rng, self.opened, self.physio
        threshold = self.thresholds[0][1]
        for changed_at, value in self.thresholds:
            if changed_at <= evaluated:
                threshold = value
        if max_pain > threshold or sharp or symptom:
            findings = self.rules.checkin_findings(
                max_pain=max_pain,
                pain_now=pain_now,
                sharp_pain=sharp,
                symptoms={name: name == symptom for name in SYMPTOMS},
                threshold=threshold,
                recent_pains=list(recent),
                session_date=date.fromordinal(day),
            )
            for finding in findings:
                values = json.dumps({"explanation": finding.explanation, **finding.values})
                flag = opened.get(finding.reason)
                if flag is not None:
                    flag.evidence.append((evaluated, rid, values))
                    flag.last_evidence = evaluated
                    continue
                urgent = finding.urgent
                details = json.dumps(
                    {
                        "rule": finding.rule,
                        "explanation": finding.explanation,
                        "values": finding.values,
                        "report_id": rid,
                    }
                )
                due = evaluated + (self.urgent_window if urgent else self.ack_window)
                flag = Flag(self.worker.next_id("flag"), finding.reason, urgent, evaluated, due, details, values, rid)
                flag.notified = evaluated + rng.randint(2, 40)
                flag.ack_at = evaluated + (rng.randint(5, 50) * 60 if urgent else rng.randint(1, 30) * HOUR)
                flag.ack_by = flag.resolve_by = physio
                flag.resolve_at = flag.ack_at + rng.randint(1, 72) * HOUR
                flag.outcome = "referred" if urgent else rng.choice(STAFF_OUTCOMES)
                flag.note = rng.choice(RESOLUTION_NOTES)
                opened[finding.reason] = flag
        rest = opened.pop("rest", None)
        if rest is not None:
            rest.resolve_at, rest.resolve_by, rest.outcome = evaluated, None, "patient_reported"
            rest.note = (
                f"Closed automatically: the patient reported a session on {date.fromordinal(day):%d %b %Y} "
                f"(report {rid})."
            )
            self.finished.append(rest)

    def rest_due(self, day: int, program_start: int) -> bool:
        """Would the sweep's rest rule flag this patient on local day `day`?"""
        return (
            "rest" not in self.opened
            and program_start <= day
            and not self.paused(day)
            and self.last_session(day, program_start) <= day - (self.allowed + 2)
        )

    def discharge(self, moment: int, reason: str) -> None:
        """Every flag still open at the discharge closes then."""
        self.advance(moment)
        for flag in self.opened.values():
            flag.resolve_at, flag.resolve_by, flag.outcome = moment, self.physio, "discharged"
            flag.note = f"Closed at discharge: {reason.replace('_', ' ')}."

    def flags(self) -> list[Flag]:
        """Every flag, finished then open, in the order they are written."""
        return self.finished + list(self.opened.values())


class FlagsMixin:
    """The Worker's flag rows (see worker.py)."""

    def write_flag(self, ctx, pid: int, flag: Flag, physio_email_json: str) -> None:
        """The flag's row and its events, in time order, as the services would have written them."""
        rng, now = self.rng, self.now
        resolved = flag.resolve_at is not None and flag.resolve_at <= now
        end = flag.resolve_at if resolved else now
        ack_at, ack_by = (flag.ack_at, flag.ack_by) if flag.ack_at is not None and flag.ack_at <= end else (None, None)
        events = [(flag.opened, "raised", flag.report_id, flag.raised_values, "", None)]
        events += [(at, "evidence", rid, values, "", None) for at, rid, values in flag.evidence]
        notified = flag.notified if flag.notified is not None and flag.notified <= now else None
        if notified is not None:
            events.append((notified, "notified", None, physio_email_json, "", None))
        escalated = None
        if flag.ack_due <= now and (ack_at is None or ack_at > flag.ack_due) and (not resolved or end > flag.ack_due):
            escalated = flag.ack_due + rng.randint(0, 299)
            events.append((escalated, "escalated", None, ctx.escalation_json, "", None))
        if resolved and flag.resolve_by is not None and ack_at is None:
            ack_at, ack_by = flag.resolve_at, flag.resolve_by  # resolving an open flag acknowledges it too
        if ack_at is not None:
            events.append((ack_at, "acknowledged", None, "{}", "", ack_by))
        digest = None
        if flag.reason == "rest":
            seven = flag.opened // DAY * DAY + 7 * HOUR
            if seven <= flag.opened:
                seven += DAY
            if seven <= now and (not resolved or end > seven):
                digest = seven + rng.randint(1, 30)
                events.append((digest, "notified", None, physio_email_json[:-1] + ', "digest": true}', "", None))
        if resolved:
            outcome = json.dumps({"outcome": flag.outcome})
            events.append((flag.resolve_at, "resolved", None, outcome, flag.note, flag.resolve_by))
        status = "resolved" if resolved else "acknowledged" if ack_at is not None else "open"
        self.files["flag"].write(
            f"{flag.id}\t{flag.reason}\t{'t' if flag.urgent else 'f'}\t{status}\t{esc(flag.details)}"
            f"\t{ts_text(flag.opened)}\t{ts_text(flag.ack_due)}\t{ts_text(flag.last_evidence)}"
            f"\t{NULL if ack_at is None else ts_text(ack_at)}\t{ts_text(flag.resolve_at) if resolved else NULL}"
            f"\t{flag.outcome if resolved else ''}\t{esc(flag.note) if resolved else ''}"
            f"\t{NULL if notified is None else ts_text(notified)}\t{NULL if digest is None else ts_text(digest)}"
            f"\t{NULL if escalated is None else ts_text(escalated)}\t{NULL if ack_by is None else ack_by}\t{pid}"
            f"\t{flag.resolve_by if resolved and flag.resolve_by is not None else NULL}{self.files['flag'].tail}\n"
        )
        fid, tail = flag.id, self.files["event"].tail
        events.sort(key=lambda e: e[0])
        self.files["event"].write(
            "".join(
                f"{self.next_id('event')}\t{kind}\t{ts_text(at)}\t{NULL if rid is None else rid}\t{esc(values)}"
                f"\t{esc(note)}\t{NULL if by is None else by}\t{fid}{tail}\n"
                for at, kind, rid, values, note, by in events
            )
        )
