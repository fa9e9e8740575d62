"""Exercise figures: a clear human figure at each key position of an exercise, drawn by the app as SVG from a small
pose description (programs/data/poses.json). Pure Python: no Django, no external media.

    scene = scene_for("glute-bridge")    # None for an exercise with no pose description
    svg.still(scene, 0)                  # the start position; svg.live(scene) moves between the two
"""

from functools import cache

from . import svg
from .poses import shipped
from .scene import Scene, build

__all__ = ["Scene", "has_figure", "scene_for", "svg"]


def has_figure(key: str) -> bool:
    return key in shipped()


@cache
def scene_for(key: str) -> Scene | None:
    spec = shipped().get(key)
    return build(spec) if spec is not None else None
