"""History: a patient with a program in force, walked day by day from their first program's start to today (or to
their discharge), with the check-ins they sent: each program's schedule followed with the patient's own adherence,
short breaks, lapses, pain settling over the weeks with flare-ups, sharp pain, rare warning symptoms, notes,
corrections, and now and then a report whose evaluation was lost."""

import json
import math

from bench.generate.flagging import FlagTracker
from bench.generate.load import NULL, day_text, ts_text
from bench.generate.vocabulary import DAY, HOUR, MIXED_OUTCOMES, NOTES, SYMPTOMS


class HistoryMixin:
    """The Worker's patient histories (see worker.py)."""

    def simulate(
        self, ctx, pid, physio, physio_email_json, registered, registered_ts, thresholds, *, discharge=None
    ) -> int:
        """A patient with a program in force: its versions, pauses, check-ins and the flags they raised.

        Walks the days from the first program's start to today, or to the discharge of a patient discharged since
        (their program ended then, and their open flags closed as discharged). On a day the rest rule could fire,
        the first sweep after local midnight raises a rest flag (not today's sweeps: they are left to the benchmark);
        then the patient may check in, and the report is evaluated seconds later (rules 3-6, then the end of
        a rest flag). Staff acknowledge and resolve flags after a while. Returns the patient's updated_at.
        """
        rng = self.rng
        rnd = rng.random
        clock, now = ctx.clock, self.now
        today = ctx.today if discharge is None else discharge[0]  # the last day of the course of care
        f_report, f_result, f_correction = self.files["report"], self.files["result"], self.files["correction"]
        report_tail, result_tail = f_report.tail, f_result.tail

        old, new, switch = self.programs_in_force(ctx, pid, physio, registered, registered_ts, today, discharge)
        new_start = new[0].start
        updated = self.threshold_review(ctx, pid, physio, new_start, today, thresholds, registered_ts)
        pauses = self.pauses(ctx, pid, physio, new_start, today)

        # How this patient behaves.
        adherence = 0.55 + 0.43 * rnd() ** 0.6
        lapse = today - rng.randint(3, 60) if rnd() < 0.07 and today - new_start > 20 else None
        if lapse is not None and lapse <= new_start + 7:
            lapse = None
        pain_start, pain_end = 1.0 + 2.2 * rnd(), 1.3 * rnd()
        tau = 30 + 70 * rnd()
        first_day = old[0].start if old else new_start
        report_end = lapse - 1 if lapse is not None else today
        if discharge is not None:
            report_end = min(report_end, today - 1)  # the discharge comes in the afternoon, before any session

        flags = FlagTracker(self, ctx, physio, pauses, thresholds)
        recent: list[int] = []
        break_until = flare_until = -1
        check_from = first_day
        for day in range(first_day, today + 1):
            # The first sweep of the local day, just after midnight (today's has not run yet).
            program = old if old and day <= switch else new
            program_start = program[0].start
            if day >= check_from and (day < today or not ctx.pending) and program_start <= day:
                check_from = flags.sweep(day, program_start)

            # The day's session, if any (after 07:00, so under the program in force by then).
            if day > report_end or day <= break_until:
                continue
            program = old if old and day < switch else new
            if day < program[0].start or (pauses and flags.paused(day)):
                continue
            if rnd() < 0.006:
                break_until = day + 2 + int(rnd() * 8)
                continue
            version = program[0]
            for candidate in program[1:]:
                if candidate.start <= day:
                    version = candidate
            weekdays = version.weekdays
            planned = (day - 1) % 7 in weekdays if weekdays else rnd() < version.sessions_per_week / 7
            if rnd() >= (adherence if planned else 0.03):
                continue
            minute = 420 + int(rnd() * 871)
            if day == today and minute > ctx.now_minute - 5:
                continue
            submitted = clock.ts(day, minute)
            flags.advance(submitted)

            # The report.
            if rnd() < 0.01:
                flare_until = day + 2 + int(rnd() * 5)
            base = pain_end + (pain_start - pain_end) * math.exp((first_day - day) / tau)
            if day <= flare_until:
                base += 1.4
            max_pain = min(5, max(0, int(base + rng.gauss(0, 0.65) + 0.5)))
            pain_now = max(0, max_pain - (0, 1, 1, 2)[int(rnd() * 4)])
            sharp = rnd() < (0.12 if max_pain >= 4 else 0.015)
            symptom = SYMPTOMS[int(rnd() * 3)] if rnd() < 0.0006 else None
            note = NOTES[int(rnd() * len(NOTES))] if rnd() < 0.1 else ""
            rid = self.next_id("report")
            recent.append(max_pain)
            del recent[:-3]
            flags.last_report = day
            evaluated = submitted + 1 + int(rnd() * 20)
            corrected = None
            if rnd() < 0.004 and submitted + 6 * HOUR < now:
                corrected = submitted + rng.randint(5, 300) * 60
                evaluated = corrected + rng.randint(1, 20)
                previous = {
                    "session_date": day_text(day),
                    "max_pain": max(0, max_pain - 1),
                    "pain_now": pain_now,
                    "sharp_pain": sharp,
                    "bladder_bowel": False,
                    "saddle_numbness": False,
                    "leg_weakness": False,
                    "note": note,
                    "outcomes": {str(item): "done" for item in version.items},
                }
                f_correction.row(self.next_id("correction"), json.dumps(previous), ts_text(corrected), rid)
            lost = self.unevaluated_owed > 0 and now - DAY < submitted < now - 10 * 60 and corrected is None
            if lost:
                self.unevaluated_owed -= 1
                self.stats["unevaluated_reports"] += 1
            uuid_int = rng.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
            f_report.write(
                f"{rid}\t{day_text(day)}\t{max_pain}\t{pain_now}\t{'t' if sharp else 'f'}"
                f"\t{'t' if symptom == 'bladder_bowel' else 'f'}\t{'t' if symptom == 'saddle_numbness' else 'f'}"
                f"\t{'t' if symptom == 'leg_weakness' else 'f'}\t{note}\t{uuid_int:032x}\t{ts_text(submitted)}"
                f"\t{ts_text(corrected) if corrected else NULL}\t{NULL if lost else ts_text(evaluated)}"
                f"\t{pid}\t{version.id}{report_tail}\n"
            )
            # Result ids derive from the report's (a version has at most 8 exercises): no sequence call per row.
            end = f"{rid}{result_tail}\n"
            first = rid * 8
            if rnd() < (0.3 if max_pain >= 4 else 0.8):
                f_result.write("".join(f"{first + i}\t{line}{end}" for i, line in enumerate(version.done_lines)))
            else:
                f_result.write(
                    "".join(
                        f"{first + i}\t{MIXED_OUTCOMES[int(rnd() * 100)]}\t{item}\t{end}"
                        for i, item in enumerate(version.items)
                    )
                )
            if lost:
                check_from = flags.next_check(day, program_start)
                continue  # its evaluation was lost: no flags from it yet, and an open rest flag stays open

            # Its evaluation: rules 3-6, then the end of an open rest flag.
            flags.evaluate(day, rid, evaluated, max_pain, pain_now, sharp, symptom, recent)
            check_from = flags.next_check(day, program_start)

        if discharge is not None:  # every flag still open closes at the discharge
            _day, moment, reason = discharge
            flags.discharge(moment, reason)
        else:
            # Now: would the sweep's rest rule flag this patient? (In a pending clinic: today's sweeps have not run.)
            flags.advance(now)
            if flags.rest_due(today, new_start):
                self.stats["expected_rest_candidates"] += 1
        for flag in flags.flags():
            self.write_flag(ctx, pid, flag, physio_email_json)
        return updated
