"""The exercise library shipped with the app: programs/data/exercises.json.

`sync_library` creates or updates the shipped exercises by their key. It takes the model classes as
arguments so that the data migration can pass its historical models and the command the live ones.
"""

import json
from pathlib import Path

LIBRARY_FILE = Path(__file__).resolve().parent / "data" / "exercises.json"
DOSE_DEFAULTS = ("sets", "reps", "hold_seconds", "rest_seconds")


def read_library(path: Path = LIBRARY_FILE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def sync_library(exercise_model, muscle_model, entries: list[dict]) -> tuple[int, int]:
    """Create or update every shipped exercise; returns (created, updated)."""
    created = updated = 0
    by_key = {}
    for entry in entries:
        fields = {
            "name": entry["name"],
            "category": entry["category"],
            "difficulty": entry["difficulty"],
            "equipment": entry["equipment"],
            "summary": entry["summary"],
            "instructions": "\n".join(entry["instructions"]),
            **{f: entry[f"default_{f}"] for f in DOSE_DEFAULTS},
        }
        exercise, was_created = exercise_model.objects.update_or_create(clinic=None, key=entry["key"], defaults=fields)
        created += was_created
        updated += not was_created
        by_key[entry["key"]] = exercise
        muscle_model.objects.filter(exercise=exercise).exclude(group__in=entry["muscle_groups"]).delete()
        for i, group in enumerate(entry["muscle_groups"]):
            muscle_model.objects.update_or_create(exercise=exercise, group=group, defaults={"primary": i == 0})
    for entry in entries:
        exercise = by_key[entry["key"]]
        exercise.easier = by_key.get(entry["easier"]) if entry.get("easier") else None
        exercise.harder = by_key.get(entry["harder"]) if entry.get("harder") else None
        exercise.save(update_fields=["easier", "harder"])
    return created, updated
