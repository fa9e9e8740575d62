"""People: the accounts of staff and patients, a patient's registration (condition phase, threshold, course of care,
then a program in force, a draft or nothing yet), the reviews of their pain threshold, and their pauses."""

from datetime import date

from bench.generate.load import day_text, ts_text
from bench.generate.vocabulary import (
    CONDITIONS,
    DISCHARGE_REASONS,
    FIRST_NAMES,
    HOUR,
    LAST_NAMES,
    PAUSE_REASONS,
    phone_number,
)


class PeopleMixin:
    """The Worker's people (see worker.py)."""

    def user(self, clinic_id: int, role: str, email: str, joined: int) -> int:
        uid = self.next_id("user")
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        last_login = ts_text(self.now - self.rng.randint(1, 72) * HOUR) if role != "patient" else None
        self.files["user"].row(
            uid, self.password, last_login, False, first, last, False, True, ts_text(joined), email, role, clinic_id
        )
        return uid

    def patient(self, ctx, physio: int, physio_email_json: str) -> None:
        rng = self.rng
        rules_p = self.patient_rules
        today, clock = ctx.today, ctx.clock
        go_live = today - self.args.days

        r = rng.random()
        if r < 0.15:
            onset = today - rng.randint(3, 41)  # acute
        elif r < 0.45:
            onset = today - rng.randint(42, 182)  # subacute
        else:
            onset = today - 183 - int(rng.random() ** 1.5 * 1300)  # long-term
        kind = rng.random()
        kind = "none" if kind < 0.04 else "draft" if kind < 0.06 else "active"
        registered = onset + rng.randint(1, 14)
        if registered < go_live:
            registered = go_live + int(rng.random() ** 2 * 300)
        if kind == "none":
            registered = max(onset, today - rng.randint(0, 10))
        registered = min(registered, today)
        registered_ts = min(clock.ts(registered, rng.randint(9 * 60, 17 * 60)), self.now - 3 * HOUR)
        discharge = None  # (day, moment, reason) for a patient discharged already
        if kind == "active" and today - registered > 45 and rng.random() < 0.1:
            day = registered + rng.randint(30, min(200, today - registered - 1))
            discharge = (day, min(clock.ts(day, 16 * 60), self.now - HOUR), rng.choice(DISCHARGE_REASONS))
        born = onset - rng.randint(19, 84) * 365 - rng.randint(0, 364)

        pid = self.next_id("patient")
        every = self.args.unevaluated_every
        if pid % every == every // 2:
            self.unevaluated_owed += 1
        uid = self.user(ctx.clinic.id, "patient", f"p{pid}@patients.bench.example", registered_ts)
        phase = rules_p.condition_phase(date.fromordinal(onset), date.fromordinal(registered))
        threshold = rules_p.default_threshold(phase)
        thresholds = [(registered_ts, threshold)]
        reason = rules_p.default_threshold_reason(phase)
        self.files["threshold"].row(
            self.next_id("threshold"), None, threshold, reason, ts_text(registered_ts), physio, pid, phase.value
        )
        self.decided_phase = phase.value  # the phase a later review of the threshold is recorded for
        updated = registered_ts
        condition = rng.choice(CONDITIONS)
        self.course_of_care(ctx, pid, physio, registered, registered_ts, onset, condition, discharge)
        if kind == "active":
            updated = self.simulate(
                ctx, pid, physio, physio_email_json, registered, registered_ts, thresholds, discharge=discharge
            )
        elif kind == "draft":
            start = max(registered, today - rng.randint(0, 5))
            created = registered_ts + HOUR
            self.program(ctx, pid, physio, start=start, end=None, status="draft", created=created, activated=None)
        self.files["patient"].row(
            pid,
            day_text(born),
            day_text(onset),
            condition,
            thresholds[-1][1],
            ts_text(registered_ts),
            ts_text(updated),
            ctx.clinic.id,
            physio,
            uid,
            phone_number(pid),
        )

    def threshold_review(self, ctx, pid, physio, start, today, thresholds, updated) -> int:
        """Now and then the pain threshold is reviewed at a follow-up appointment, weeks after the program in force
        started on `start` (appended to `thresholds`). Returns the patient's updated_at."""
        rng = self.rng
        rnd = rng.random
        change_day = start + rng.randint(10, 60)
        if rnd() < 0.15 and change_day < today:
            changed = ctx.clock.ts(change_day, 14 * 60)
            previous = thresholds[-1][1]
            value = min(4, previous + 1) if rnd() < 0.7 else max(0, previous - 1)
            if value != previous:
                thresholds.append((changed, value))
                updated = changed
                self.files["threshold"].row(
                    self.next_id("threshold"),
                    previous,
                    value,
                    "Reviewed at the follow-up appointment.",
                    ts_text(changed),
                    physio,
                    pid,
                    self.decided_phase,
                )
        return updated

    def pauses(self, ctx, pid, physio, new_start, today) -> list[tuple]:
        """Pauses of the program in force (started on `new_start`): a past one now and then, a few patients paused
        today, now and then one cancelled before it began. Returns them as (starts_on, ends_on, resumed_on)."""
        rng = self.rng
        rnd = rng.random
        clock = ctx.clock
        pauses = []  # (starts_on, ends_on, resumed_on)
        if rnd() < 0.08 and today - new_start > 40:
            s = rng.randint(new_start + 14, today - 20)
            length = rng.randint(5, 14)
            resumed = s + rng.randint(1, length - 1) if rnd() < 0.2 else None
            pauses.append((s, s + length - 1, resumed))
        if rnd() < 0.02 and today - new_start > 10:
            s = today - rng.randint(0, 7)
            if not pauses or pauses[-1][1] < s - 1:
                pauses.append((s, today + rng.randint(0, 14), None))
        if rnd() < 0.01 and today - new_start > 30 and not pauses:
            # A planned pause cancelled before it began (pause_resume sets resumed_on = starts_on).
            s = rng.randint(new_start + 7, today - 3)
            pauses.append((s, s + rng.randint(3, 10), s))
        for s, e, resumed in pauses:
            self.files["pause"].row(
                self.next_id("pause"),
                day_text(s),
                day_text(e),
                rng.choice(PAUSE_REASONS),
                ts_text(clock.ts(s - 1, 12 * 60)),
                day_text(resumed) if resumed else None,
                physio,
                pid,
                physio if resumed else None,
            )
        return pauses
