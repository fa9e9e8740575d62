"""Prescribing: the clinic's program templates, a patient's programs with their versions and exercises (revised now
and then, an earlier program replaced, a revision being drafted), and the flare-up plans kept ready beside some."""

import json
from dataclasses import dataclass

from bench.generate.load import day_text, ts_text
from bench.generate.vocabulary import (
    DAY,
    FLARE_UP_DAYS,
    FLARE_UP_PLAN_SHARE,
    HOUR,
    SCHEDULE_WEIGHTS,
    SCHEDULES,
    TEMPLATES,
)


@dataclass
class Version:
    id: int
    start: int
    weekdays: frozenset
    sessions_per_week: int | None
    items: list  # item ids
    done_lines: list  # "done\t<item>\t" per item, for the common all-done result rows


class PrescribingMixin:
    """The Worker's prescribing (see worker.py)."""

    def templates(self, clinic_id: int, created: int, physio: int) -> None:
        """The clinic's three program templates, made by its first physiotherapist the day after it opened."""
        rng = self.rng
        for name, keys in TEMPLATES:
            tid = self.next_id("template")
            weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
            self.files["template"].row(
                tid, json.dumps(weekdays), per_week, name, "", ts_text(created + DAY), clinic_id, physio
            )
            for position, key in enumerate(keys, start=1):
                e = self.by_key.get(key) or self.library[position]
                dose = (e["sets"], e["reps"], e["hold_seconds"], e["rest_seconds"])
                self.files["template_item"].row(self.next_id("template_item"), *dose, position, "", e["id"], tid)

    def items(self, version_id: int, exercises: list, based_on: list | None) -> tuple[list, list]:
        """Write a version's exercises; a revision copies the previous items with one step up."""
        rng = self.rng
        ids, chosen = [], []
        changed = rng.randrange(len(exercises)) if based_on else -1
        for position, exercise in enumerate(exercises, start=1):
            e, sets, derived = exercise, exercise["sets"], None
            if based_on:
                derived = based_on[position - 1]
                if position - 1 == changed:
                    harder = self.by_id.get(e["harder_id"]) if e["harder_id"] else None
                    if harder is not None and rng.random() < 0.5:
                        e, sets = harder, harder["sets"]
                    else:
                        sets = min(10, sets + 1)
            item_id = self.next_id("item")
            dose = (sets, e["reps"], e["hold_seconds"], e["rest_seconds"])
            self.files["item"].row(item_id, *dose, position, "", derived, e["id"], version_id)
            ids.append(item_id)
            chosen.append(e)
        return ids, chosen

    def program(self, ctx, patient_id, physio, *, start, end, status, created, activated, ended=None):
        """A program starting on `start`, revised now and then before `end` (a day, exclusive; None: in force).

        status is 'active', 'ended' (replaced by another program at `ended`) or 'draft'. Versions after the
        first start on the day they are put in force, early in the morning. Returns the versions in order.
        """
        rng = self.rng
        program_id = self.next_id("program")
        title = "Back exercise program" if rng.random() < 0.6 else "Back strength, stage 1"
        self.files["program"].row(
            program_id, title, status, ts_text(created), ts_text(ended) if ended else None, physio, patient_id
        )
        weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
        exercises = rng.sample(self.library, rng.randint(4, 6))
        starts = [start]
        if status != "draft":
            limit = end if end is not None else ctx.today
            day = start
            while rng.random() < (0.35 if len(starts) == 1 else 0.3):
                day += rng.randint(21, 70)
                if day >= limit:
                    break
                starts.append(day)
        activations = [activated] + [ctx.clock.ts(day, 6 * 60 + 30) for day in starts[1:]]
        versions: list[Version] = []
        previous_items = None
        for number, vstart in enumerate(starts, start=1):
            vid = self.next_id("version")
            last = number == len(starts)
            if status == "draft":
                vstatus, superseded = "draft", None
            elif last:
                vstatus, superseded = ("active", None) if status == "active" else ("superseded", ended)
            else:
                vstatus, superseded = "superseded", activations[number]
            if number > 1 and rng.random() < 0.1:
                weekdays, per_week, _ = rng.choices(SCHEDULES, SCHEDULE_WEIGHTS)[0]
            vactivated = activations[number - 1]
            self.files["version"].row(
                vid,
                json.dumps(weekdays),
                per_week,
                number,
                vstatus,
                day_text(vstart),
                "" if number == 1 else "Stepped up one exercise.",
                "",
                ts_text(created if number == 1 else vactivated - 30 * 60),
                ts_text(vactivated) if vactivated else None,
                ts_text(superseded) if superseded else None,
                physio if vactivated else None,
                versions[-1].id if versions else None,
                physio,
                program_id,
                "program",
            )
            item_ids, exercises = self.items(vid, exercises, previous_items)
            previous_items = item_ids
            done = [f"done\t{item}\t" for item in item_ids]
            versions.append(Version(vid, vstart, frozenset(weekdays), per_week, item_ids, done))
        drafting = status == "active" and rng.random() < 0.03
        if drafting:
            # A revision being drafted next to the version in force.
            vid = self.next_id("version")
            self.files["version"].row(
                vid,
                json.dumps(weekdays),
                per_week,
                len(starts) + 1,
                "draft",
                day_text(max(ctx.today, starts[-1])),
                "",
                "",
                ts_text(self.now - rng.randint(1, 48) * HOUR),
                None,
                None,
                None,
                versions[-1].id,
                physio,
                program_id,
                "program",
            )
            self.items(vid, exercises, previous_items)
        if status == "active" and rng.random() < FLARE_UP_PLAN_SHARE:
            number = len(starts) + 1 + (1 if drafting else 0)
            self.flare_up_plan(ctx, patient_id, physio, program_id, versions[-1], exercises, created, number)
        return versions

    def flare_up_plan(self, ctx, patient_id, physio, program_id, usual: Version, exercises, created, number) -> None:
        """A flare-up plan kept ready beside the program in force (rule 18): the gentlest exercises, three days a
        week; some patients have used it, once or twice, in the last months (each time answered afterwards)."""
        rng = self.rng
        vid = self.next_id("version")
        self.files["version"].row(
            vid,
            json.dumps([0, 2, 4]),
            None,
            number,
            "aside",
            day_text(usual.start),
            "For a flare-up: the gentlest exercises, fewer of them.",
            "",
            ts_text(created + HOUR),
            None,
            None,
            None,
            None,
            physio,
            program_id,
            "flare_up",
        )
        self.items(vid, exercises[:2], None)
        day = ctx.today - rng.randint(20, 150)
        while day > usual.start and day < ctx.today - 10 and rng.random() < 0.5:
            started = ctx.clock.ts(day, 7 * 60 + rng.randint(0, 600))
            last = day + FLARE_UP_DAYS - 1
            self.files["flare_up"].row(
                self.next_id("flare_up"),
                ts_text(started),
                day_text(day),
                day_text(last),
                day_text(last),
                2,  # Friday to Monday: the longest rest of a Monday-Wednesday-Friday plan
                None,
                "better" if rng.random() < 0.7 else "same",
                "",
                ts_text(ctx.clock.ts(last + 1, 19 * 60)),
                None,
                patient_id,
                vid,
                usual.id,
            )
            day -= rng.randint(30, 90)

    # -- patients --

    def programs_in_force(self, ctx, pid, physio, registered, registered_ts, today, discharge):
        """A patient's programs: now and then an earlier one, replaced on `switch`, then the one in force (ended at
        the discharge of a patient discharged since: `today` is then the discharge day).

        Returns the versions of the earlier program ([] if none), those of the one in force, and `switch` (None if
        there was no earlier program)."""
        rng, clock = self.rng, ctx.clock
        rnd = rng.random
        start = registered + rng.randint(0, 6)
        created = registered_ts + HOUR
        switch = None
        if rnd() < 0.08 and today - start > 60:
            switch = start + rng.randint(30, min(150, today - start - 30))
        old = []
        if switch is not None:
            replaced = clock.ts(switch, 6 * 60 + 30)
            old = self.program(
                ctx,
                pid,
                physio,
                start=start,
                end=switch,
                status="ended",
                created=created,
                activated=created + 1800,
                ended=replaced,
            )
            created = clock.ts(switch - 1, 15 * 60)
            start = switch
            activated = replaced
        else:
            activated = created + 1800
        if discharge is None:
            new = self.program(
                ctx, pid, physio, start=start, end=None, status="active", created=created, activated=activated
            )
        else:
            day, moment, _reason = discharge
            new = self.program(
                ctx,
                pid,
                physio,
                start=start,
                end=day + 1,
                status="ended",
                created=created,
                activated=activated,
                ended=moment,
            )
        return old, new, switch
