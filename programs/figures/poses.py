"""The pose descriptions of the shipped exercises: programs/data/poses.json, next to the library.

Each exercise names its view (side or front), its posture, its props and its two key positions, each position a
preset (a common starting posture) with the joint angles that differ from it. Angles are whole multiples of 5
degrees: the live figure turns each joint by the change between the positions, and the stylesheet has one class
per 5 degrees (figures/motion.py).
"""

import json
from functools import cache
from pathlib import Path

from . import body
from .scene import POSITIONS, POSTURES, PROP_KINDS, FigureSpec

POSES_FILE = Path(__file__).resolve().parent.parent / "data" / "poses.json"
ANGLE_STEP = 5
FIELDS = {"view", "posture", "props", "moving", "steps", "anchor", "rest", "foreshorten", "motion", "start", "end"}
MOTIONS = ("turn", "swap")  # joints turn from one position to the other, or the positions cross-fade


class PoseError(ValueError):
    pass


def _angles(position: dict, presets: dict, where: str) -> dict:
    position = dict(position)
    preset = position.pop("preset", None)
    if preset is not None and preset not in presets:
        raise PoseError(f"{where}: no preset {preset!r}")
    angles = dict(presets.get(preset, {})) | position
    for name, value in angles.items():
        if name not in body.ANGLES:
            raise PoseError(f"{where}: unknown angle {name!r}")
        if not isinstance(value, int) or value % ANGLE_STEP:
            raise PoseError(f"{where}: {name} must be a whole multiple of {ANGLE_STEP} degrees, not {value!r}")
    return angles


def parse(data: dict) -> dict[str, FigureSpec]:
    """Every exercise's description, checked; a PoseError names what is wrong and where."""
    presets = data.get("presets", {})
    for name, preset in presets.items():
        _angles(preset, {}, f"preset {name}")
    specs = {}
    for key, entry in data["exercises"].items():
        unknown = set(entry) - FIELDS
        if unknown:
            raise PoseError(f"{key}: unknown fields {sorted(unknown)}")
        if entry["view"] not in body.VIEWS:
            raise PoseError(f"{key}: view must be one of {body.VIEWS}")
        if entry["posture"] not in POSTURES:
            raise PoseError(f"{key}: posture must be one of {POSTURES}")
        for prop in entry.get("props", []):
            if prop.get("kind") not in PROP_KINDS:
                raise PoseError(f"{key}: unknown prop {prop!r}")
        for part in entry.get("moving", []):
            if part not in body.PARTS:
                raise PoseError(f"{key}: unknown moving part {part!r}")
        if entry.get("motion", "turn") not in MOTIONS:
            raise PoseError(f"{key}: motion must be one of {MOTIONS}")
        start_step, end_step = entry.get("steps", [1, 2])
        specs[key] = FigureSpec(
            key=key,
            view=entry["view"],
            posture=entry["posture"],
            positions=tuple(_angles(entry[p], presets, f"{key} {p}") for p in POSITIONS),
            props=tuple(entry.get("props", [])),
            moving=tuple(entry.get("moving", [])),
            start_step=start_step,
            end_step=end_step,
            anchor=entry.get("anchor", "pelvis"),
            rest=entry.get("rest"),
            foreshorten=entry.get("foreshorten", {}),
            motion=entry.get("motion", "turn"),
        )
    return specs


@cache
def shipped() -> dict[str, FigureSpec]:
    return parse(json.loads(POSES_FILE.read_text(encoding="utf-8")))
