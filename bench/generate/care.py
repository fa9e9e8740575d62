"""Care: a patient's course of care, opened when they were registered and discharged for some, and its outcome
questionnaires (at the start, every four weeks, at discharge), most answered, activities and pain improving."""

import json

from bench.generate.load import day_text, ts_text
from bench.generate.vocabulary import ACTIVITY_NAMES, FOLLOW_UP_DAYS, HOUR


class CareMixin:
    """The Worker's courses of care (see worker.py)."""

    def course_of_care(self, ctx, pid, physio, registered, registered_ts, onset, condition, discharge) -> None:
        """The patient's course of care (its id is the patient's: one each) and its outcome questionnaires: the
        intake, a follow-up every four weeks, the discharge questionnaire, as outcomes.services would have asked
        them, most answered; an open course of care has its next follow-up planned."""
        rng, now, clock = self.rng, self.now, ctx.clock
        discharged_on, discharged_at, reason = discharge if discharge is not None else (None, None, "")
        advice = "Keep exercising twice a week." if discharge is not None else ""
        self.files["episode"].row(
            pid,
            day_text(registered),
            "",
            condition,
            day_text(onset),
            ts_text(registered_ts),
            day_text(discharged_on) if discharged_on else None,
            ts_text(discharged_at) if discharged_at else None,
            reason,
            "",
            advice,
            ctx.clinic.id,
            physio if discharge is not None else None,
            physio,
            pid,
            physio if discharge is not None else None,
        )
        last = discharged_on if discharged_on is not None else ctx.today
        pain, activities = rng.randint(3, 8), rng.uniform(1.5, 5)
        names = rng.sample(ACTIVITY_NAMES, rng.randint(1, 3))
        # The intake, then each follow-up whose day has come (the last one due may still wait for its answers).
        days = list(range(registered, last + 1, FOLLOW_UP_DAYS))
        for number, day in enumerate(days):
            timepoint = "intake" if number == 0 else "follow_up"
            answered = rng.random() < (0.85 if number == 0 else 0.65)
            moment = clock.ts(day, rng.randint(18 * 60, 21 * 60)) if number else registered_ts + HOUR
            open_now = discharge is None and number == len(days) - 1
            if moment >= now or (discharge is not None and moment >= discharged_at):
                answered = False
            status = "completed" if answered else "due" if open_now or number == 0 and discharge is None else "expired"
            # Better as the weeks go on, now and then a little worse, never by the difference that matters (2).
            pain = min(10, max(0, pain - rng.choice((0, 1, 1, 2)) + (1 if rng.random() < 0.15 else 0)))
            activities = min(10, activities + rng.uniform(-0.5, 1.5))
            self.questionnaire(ctx, pid, physio, timepoint, day, status, moment, names, pain, activities, first=number)
        if discharge is None:  # the next follow-up, planned
            self.files["questionnaire"].row(
                self.next_id("questionnaire"),
                "follow_up",
                day_text(days[-1] + FOLLOW_UP_DAYS),
                "scheduled",
                ts_text(min(now, clock.ts(days[-1], 8 * 60))),
                None,
                ctx.clinic.id,
                pid,
                pid,
            )
        else:
            answered = rng.random() < 0.6
            moment = min(now - 60, discharged_at + rng.randint(1, 48) * HOUR)
            self.questionnaire(
                ctx,
                pid,
                physio,
                "discharge",
                discharged_on,
                "completed" if answered else "due",
                moment,
                names,
                max(0, pain - 1),
                min(10, activities + 1),
                first=1,
                change=rng.choice((1, 2, 2, 3)),
            )

    def questionnaire(
        self, ctx, pid, physio, timepoint, day, status, moment, names, pain, activities, *, first, change=None
    ):
        """One questionnaire with its measures: the activities (named at the start) and the pain rating, and the
        rating of change at discharge; scored when answered."""
        qid = self.next_id("questionnaire")
        completed = status == "completed"
        self.files["questionnaire"].row(
            qid,
            timepoint,
            day_text(day),
            status,
            ts_text(min(moment, self.now) if timepoint != "intake" else moment - HOUR),
            ts_text(moment) if completed else None,
            ctx.clinic.id,
            pid,
            pid,
        )
        ratings = [max(0, min(10, round(activities + self.rng.uniform(-1, 1)))) for _ in names]
        psfs = {f"activity-{i}": r for i, r in enumerate(ratings, start=1)}
        if first == 0:
            psfs = {"activities": names, **psfs}
        measures = [
            ("psfs", psfs, f"{sum(ratings) / len(ratings):.2f}"),
            ("pain-week", {"pain": pain}, f"{pain}.00"),
        ]
        if change is not None:
            measures.append(("grc", {"change": change}, f"{change}.00"))
        for position, (key, answers, score) in enumerate(measures, start=1):
            self.files["measurement"].row(
                self.next_id("measurement"),
                position,
                json.dumps(answers if completed else {}),
                score if completed else None,
                "{}",
                "",
                self.instruments[key],
                qid,
            )
