import pytest

from programs import rules
from programs.library import read_library, sync_library
from programs.models import Category, Equipment, Exercise, ExerciseMuscle, MuscleGroup


def test_library_file_is_complete_and_consistent():
    entries = read_library()
    assert len(entries) >= 30
    by_key = {e["key"]: e for e in entries}
    assert len(by_key) == len(entries)
    for e in entries:
        assert e["category"] in Category.values
        assert e["equipment"] in Equipment.values
        assert set(e["muscle_groups"]) <= set(MuscleGroup.values)
        assert rules.DIFFICULTY_MIN <= e["difficulty"] <= rules.DIFFICULTY_MAX
        assert not rules.dose_errors(
            sets=e["default_sets"],
            reps=e["default_reps"],
            hold_seconds=e["default_hold_seconds"],
            rest_seconds=e["default_rest_seconds"],
        )
        if e["harder"]:
            harder = by_key[e["harder"]]
            assert harder["easier"] == e["key"]
            assert harder["difficulty"] > e["difficulty"]
    for group in rules.SUPPORTING_GROUPS:
        assert sum(group in e["muscle_groups"] for e in entries) >= 5, group


@pytest.mark.django_db
def test_migration_loaded_library_and_sync_is_idempotent(library):
    assert len(library) == len(read_library())
    assert library["dead-bug"].harder == library["dead-bug-ball"]
    assert library["dead-bug"].steps[0]
    created, updated = sync_library(Exercise, ExerciseMuscle, read_library())
    assert created == 0 and updated == len(library)
    assert Exercise.objects.filter(clinic=None).count() == len(library)
