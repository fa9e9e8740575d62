"""The steps prepared for the physiotherapist (programs.rules.step_up and ease_off, docs/clinical-rules.md rule 17)
and a flare-up's days (rule 18): pure functions, checked against the progression rule they must stay within."""

from datetime import date

import pytest

from programs import rules
from programs.rules import Dose, StepItem, Variant

SIT = Variant(10, "Sit-up", 2, Dose(2, 10, None))
CRUNCH = Variant(11, "Crunch", 3, Dose(2, 10, None))
PLANK = Variant(12, "Plank", 3, Dose(3, None, 20))
HARD_PLANK = Variant(13, "Plank with a leg lift", 5, Dose(3, None, 20))


def item(pk, name, difficulty, dose, *, easier=None, harder=None, exercise_id=None):
    return StepItem(pk, name, exercise_id or 100 + pk, difficulty, dose, easier, harder)


def volume(items, changes, sessions=3):
    doses = {i.item_id: i.dose for i in items} | {c.item_id: c.dose for c in changes}
    return rules.weekly_volume(doses.values(), sessions)


def within_rule_12(items, changes, percent, sessions=3):
    old, new = volume(items, [], sessions), volume(items, changes, sessions)
    difficulty = {i.item_id: i.difficulty for i in items}
    variants = {v.exercise_id: v.difficulty for i in items for v in (i.easier, i.harder) if v}
    steps = [("x", difficulty[c.item_id], variants.get(c.exercise_id, difficulty[c.item_id])) for c in changes]
    return not rules.progression_check(
        old_volume=old, new_volume=new, difficulty_steps=steps, max_increase_percent=percent
    ).needs_confirmation


class TestStepUp:
    def test_the_next_harder_variant_of_up_to_two_exercises_easiest_first(self):
        items = [
            item(1, "Bridge", 2, Dose(2, 10, None), harder=CRUNCH),
            item(2, "Curl", 1, Dose(2, 10, None), harder=SIT),
            item(3, "Roll", 2, Dose(2, 10, None), harder=Variant(14, "Roll up", 3, Dose(2, 10, None))),
        ]
        changes = rules.step_up(items=items, sessions_per_week=3, max_increase_percent=10, ceiling=3)
        assert [(c.item_id, c.exercise_id, c.dose) for c in changes] == [
            (2, 10, Dose(2, 10, None)),
            (1, 11, Dose(2, 10, None)),
        ]
        assert changes[0].words == "Curl moves up to Sit-up (difficulty 1 to 2), 2 × 10"
        assert len(changes) == rules.STEP_UP_VARIANTS
        assert within_rule_12(items, changes, 10)

    def test_never_more_than_one_level_nor_over_the_ceiling_nor_twice_the_same_exercise(self):
        items = [
            item(1, "Plank on knees", 3, Dose(3, None, 20), harder=HARD_PLANK),  # +2 levels
            item(2, "Side lying", 2, Dose(2, 10, None), harder=CRUNCH),  # 3: over a ceiling of 2
            item(3, "Sit-up", 2, Dose(2, 10, None), exercise_id=10, harder=CRUNCH),
            item(4, "Curl", 1, Dose(2, 10, None), harder=SIT),  # already in the program
        ]
        changes = rules.step_up(items=items, sessions_per_week=3, max_increase_percent=10, ceiling=2)
        assert all(c.exercise_id == 100 + c.item_id or c.exercise_id == 10 for c in changes)  # no variant taken
        assert within_rule_12(items, changes, 10)

    def test_a_variant_counted_another_way_starts_at_its_own_dose_if_that_stays_within_the_percentage(self):
        items = [item(1, "Bird dog", 2, Dose(3, 10, None), harder=PLANK)]  # 30 a session; the plank's 60 is too much
        changes = rules.step_up(items=items, sessions_per_week=3, max_increase_percent=10, ceiling=3)
        assert [c.exercise_id for c in changes] == [101]  # more repetitions instead
        assert within_rule_12(items, changes, 10)

    def test_each_measure_is_held_to_the_percentage_on_its_own(self):
        # One more repetition a set is 10% more repetitions, 5 s more hold 25% more seconds held: at 5% neither fits,
        # though the two added into one number would have grown by 2.5%.
        items = [item(1, "Curl", 1, Dose(2, 10, None)), item(2, "Plank", 3, Dose(3, None, 20))]
        assert rules.step_up(items=items, sessions_per_week=3, max_increase_percent=5, ceiling=3) == []

    @pytest.mark.parametrize("percent", [10, 25, 100])
    def test_volume_up_to_the_percentage_never_over_it(self, percent):
        items = [item(1, "Curl", 1, Dose(2, 10, None)), item(2, "Plank", 3, Dose(3, None, 20))]
        changes = rules.step_up(items=items, sessions_per_week=3, max_increase_percent=percent, ceiling=3)
        old, new = volume(items, []), volume(items, changes)
        assert new.more_than(old) and rules.within_progression(old, new, percent)
        # Each measure on its own: the repetitions and the seconds held both grow, neither past the percentage.
        assert new.repetitions > old.repetitions
        assert (new.seconds_held > old.seconds_held) is (percent >= 25)
        assert within_rule_12(items, changes, percent)
        # No further step of any exercise would still fit: it went as far as the percentage allows.
        for it in items:
            grown = {c.item_id: c.dose for c in changes}.get(it.item_id, it.dose)
            for bigger in (
                Dose(grown.sets, grown.reps + 1, grown.hold_seconds) if grown.reps else None,
                Dose(grown.sets, grown.reps, grown.hold_seconds + rules.HOLD_STEP) if not grown.reps else None,
            ):
                if bigger is not None:
                    trial = [c for c in changes if c.item_id != it.item_id] + [
                        rules.StepChange(it.item_id, it.exercise_id, bigger, "")
                    ]
                    assert not rules.within_progression(old, volume(items, trial), percent)

    def test_exactly_the_percentage_passes(self):
        items = [item(1, "Curl", 1, Dose(1, 10, None))]  # 10 a session: one more repetition is exactly 10%
        (change,) = rules.step_up(items=items, sessions_per_week=1, max_increase_percent=10, ceiling=3)
        assert change.dose == Dose(1, 11, None) and change.words == "Curl: 1 × 10 to 1 × 11"

    def test_nothing_when_nothing_fits(self):
        items = [item(1, "Curl", 1, Dose(3, 8, None))]  # one more repetition is 12.5%
        assert rules.step_up(items=items, sessions_per_week=1, max_increase_percent=10, ceiling=3) == []
        at_most = [item(1, "Curl", 1, Dose(rules.SETS_MAX, rules.REPS_MAX, None))]
        assert rules.step_up(items=at_most, sessions_per_week=1, max_increase_percent=100, ceiling=5) == []


class TestEaseOff:
    def test_easier_variants_or_the_dose_down_by_the_share(self):
        items = [
            item(1, "Crunch", 3, Dose(2, 10, None), easier=SIT),
            item(2, "Plank", 3, Dose(3, None, 20)),
            item(3, "Curl", 1, Dose(2, 1, None)),  # at its lowest already
        ]
        changes = rules.ease_off(items=items, share_percent=25)
        assert [(c.item_id, c.exercise_id, c.dose) for c in changes] == [
            (1, 10, Dose(2, 10, None)),
            (2, 102, Dose(3, None, 15)),
        ]
        assert [c.words for c in changes] == ["Crunch moves to Sit-up, 2 × 10", "Plank: 3 × hold 20 s to 3 × hold 15 s"]
        assert not volume(items, changes).more_than(volume(items, []))

    def test_an_easier_variant_that_would_be_more_work_is_not_taken(self):
        items = [item(1, "Dead bug", 2, Dose(3, 8, None), easier=Variant(9, "Pelvic tilt", 1, Dose(2, 10, 5)))]
        (change,) = rules.ease_off(items=items, share_percent=25)
        assert (change.exercise_id, change.dose) == (101, Dose(3, 6, None))

    @pytest.mark.parametrize(("reps", "share", "left"), [(12, 25, 9), (10, 25, 7), (2, 25, 1), (8, 1, 7), (8, 90, 1)])
    def test_the_share_takes_at_least_one_and_leaves_at_least_one(self, reps, share, left):
        assert rules.eased_dose(Dose(2, reps, None), share).reps == left

    def test_nothing_when_everything_is_at_its_easiest(self):
        assert rules.ease_off(items=[item(1, "Curl", 1, Dose(1, 1, None))], share_percent=50) == []


def test_a_flare_ups_days():
    assert rules.flare_up_last_day(starts_on=date(2026, 3, 2), days=3) == date(2026, 3, 4)
    assert rules.flare_up_last_day(starts_on=date(2026, 3, 2), days=1) == date(2026, 3, 2)
    assert rules.flare_up_ended_last_day(starts_on=date(2026, 3, 2), today=date(2026, 3, 3)) == date(2026, 3, 2)
    assert rules.flare_up_ended_last_day(starts_on=date(2026, 3, 2), today=date(2026, 3, 2)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("weekdays", "per_week", "run"), [([0, 2, 4], None, 2), (list(range(7)), None, 0), ([], 1, 6), ([], 3, 2)]
)
def test_the_rest_a_schedule_plans(weekdays, per_week, run):
    assert rules.planned_rest_run(weekdays=weekdays, sessions_per_week=per_week) == run
