"""The figure's body: fixed segment lengths, and where each joint sits for a set of joint angles.

Pure: no Django, no I/O. Coordinates are SVG user units, y pointing down. Every angle is in degrees and every
rotation is in the picture's plane; a segment is drawn pointing "up" in its own frame and turned by its joint.

The body is a tree of joints. The pelvis is the root; the lower trunk turns by `trunk` (0 upright, 90 lying face
down with the head to the right, -90 lying on the back with the head to the left); the upper trunk bends from it
by `spine`, the head by `neck`; the limbs hang from the hips and shoulders. A side view (figure facing right when
upright) reads the limb angles as flexion: `hip` and `shoulder` swing the limb forwards, `knee` bends the shin back,
`elbow` bends the forearm forwards, `ankle` points the toes. A front view (figure facing the viewer) reads them as
movement away from the middle: `hip` and `shoulder` lift the limb out to the side, `knee` and `elbow` bend it back
in. `r_` limbs are the figure's right (nearer the viewer in a side view), `l_` its left.
"""

import math
from dataclasses import dataclass

# Segment lengths and thicknesses: one body for every figure.
LOWER_TRUNK = 24
UPPER_TRUNK = 30
NECK = 5
HEAD_R = 10
UPPER_ARM = 27
FOREARM = 25
THIGH = 40
SHIN = 38
FOOT = 11
HIP_HALF_WIDTH = 8  # front view: hips and shoulders sit either side of the middle
SHOULDER_HALF_WIDTH = 14

THICKNESS = {
    "lower_trunk": 21,
    "upper_trunk": 23,
    "neck": 8,
    "upper_arm": 9,
    "forearm": 8,
    "thigh": 13,
    "shin": 10,
    "foot": 7,
}
LENGTH = {
    "lower_trunk": LOWER_TRUNK,
    "upper_trunk": UPPER_TRUNK,
    "neck": NECK,
    "upper_arm": UPPER_ARM,
    "forearm": FOREARM,
    "thigh": THIGH,
    "shin": SHIN,
    "foot": FOOT,
}

VIEWS = ("side", "front", "above")  # "above": a front view of someone lying on their back, seen from the ceiling
SIDES = ("r", "l")
ANGLES = (
    "trunk",
    "spine",
    "neck",
    *(f"{side}_{joint}" for side in SIDES for joint in ("hip", "knee", "ankle", "shoulder", "elbow")),
)
# A body part as data and the test name it: the segments it is made of.
PARTS = {
    "trunk": ("lower_trunk", "upper_trunk"),
    "head": ("neck",),
    **{f"{side}_leg": (f"{side}_thigh", f"{side}_shin", f"{side}_foot") for side in SIDES},
    **{f"{side}_arm": (f"{side}_upper_arm", f"{side}_forearm") for side in SIDES},
}


@dataclass(frozen=True)
class Joint:
    """One node of the body's tree: where it sits in its parent's frame, and how much it turns there."""

    name: str
    parent: str | None
    offset: tuple[float, float]
    rotation: float
    segment: str | None  # the segment drawn from this joint, "up" in its frame
    length: float = 0


def _limb_rotations(view: str, side: str, a: dict) -> dict[str, float]:
    """Each limb joint's turn relative to its parent, from the anatomical angles."""
    hip, knee, ankle = a[f"{side}_hip"], a[f"{side}_knee"], a[f"{side}_ankle"]
    shoulder, elbow = a[f"{side}_shoulder"], a[f"{side}_elbow"]
    if view == "side":
        return {"hip": 180 - hip, "knee": knee, "ankle": ankle - 90, "shoulder": 180 - shoulder, "elbow": -elbow}
    outward = -1 if side == "r" else 1  # front and above: the figure's right is on the viewer's left
    return {
        "hip": 180 - outward * hip,
        "knee": outward * knee,
        "ankle": -outward * 90,
        "shoulder": 180 - outward * shoulder,
        "elbow": outward * elbow,
    }


def joints(view: str, angles: dict, foreshorten: dict | None = None) -> list[Joint]:
    """The body's tree for these angles, parents before children. `foreshorten` shortens a segment that points
    out of the picture (a forearm resting towards the viewer), by the same factor in every position."""
    a = dict.fromkeys(ANGLES, 0) | angles
    scale = foreshorten or {}

    def length(segment: str) -> float:
        return LENGTH[segment_kind(segment)] * scale.get(segment, 1)

    tree = [
        Joint("pelvis", None, (0, 0), a["trunk"], "lower_trunk", length("lower_trunk")),
        Joint("waist", "pelvis", (0, -length("lower_trunk")), a["spine"], "upper_trunk", length("upper_trunk")),
        Joint("neck", "waist", (0, -length("upper_trunk")), a["neck"], "neck", NECK),
    ]
    for side in SIDES:
        turn = _limb_rotations(view, side, a)
        across = 0 if view == "side" else (-1 if side == "r" else 1)
        thigh, shin, arm = f"{side}_thigh", f"{side}_shin", f"{side}_upper_arm"
        tree += [
            Joint(f"{side}_hip", "pelvis", (across * HIP_HALF_WIDTH, 0), turn["hip"], thigh, length(thigh)),
            Joint(f"{side}_knee", f"{side}_hip", (0, -length(thigh)), turn["knee"], shin, length(shin)),
            Joint(f"{side}_ankle", f"{side}_knee", (0, -length(shin)), turn["ankle"], f"{side}_foot", FOOT),
            Joint(
                f"{side}_shoulder",
                "waist",
                (across * SHOULDER_HALF_WIDTH, -length("upper_trunk")),
                turn["shoulder"],
                arm,
                length(arm),
            ),
            Joint(
                f"{side}_elbow",
                f"{side}_shoulder",
                (0, -length(arm)),
                turn["elbow"],
                f"{side}_forearm",
                length(f"{side}_forearm"),
            ),
        ]
    return tree


def segment_kind(segment: str) -> str:
    """'r_thigh' -> 'thigh': the kind that sets its length and thickness."""
    return segment.split("_", 1)[1] if segment[:2] in ("r_", "l_") else segment


@dataclass(frozen=True)
class Placed:
    """A segment in the picture: from its joint to its end, absolute coordinates."""

    name: str
    start: tuple[float, float]
    end: tuple[float, float]
    thickness: float

    @property
    def length(self) -> float:
        return math.dist(self.start, self.end)

    @property
    def direction(self) -> float:
        """Its absolute direction, in degrees from straight up, clockwise."""
        return math.degrees(math.atan2(self.end[0] - self.start[0], self.start[1] - self.end[1]))


@dataclass(frozen=True)
class Pose:
    """A whole body in the picture: every segment and the head."""

    segments: dict[str, Placed]
    head: tuple[float, float]
    frames: dict[str, tuple[float, float, float]]  # joint -> (x, y, absolute rotation)

    def point(self, name: str) -> tuple[float, float]:
        """A joint ('r_knee'), a segment's end ('r_foot_end', 'head') or the pelvis."""
        if name == "head":
            return self.head
        if name.endswith("_end"):
            return self.segments[name[: -len("_end")]].end
        x, y, _ = self.frames[name]
        return (x, y)

    def extent(self) -> tuple[float, float, float, float]:
        """The body's box: left, top, right, bottom, thickness included."""
        xs, ys = [], []
        for s in self.segments.values():
            r = s.thickness / 2
            for x, y in (s.start, s.end):
                xs += [x - r, x + r]
                ys += [y - r, y + r]
        xs += [self.head[0] - HEAD_R, self.head[0] + HEAD_R]
        ys += [self.head[1] - HEAD_R, self.head[1] + HEAD_R]
        return min(xs), min(ys), max(xs), max(ys)

    def moved(self, dx: float, dy: float) -> "Pose":
        def shift(p):
            return (p[0] + dx, p[1] + dy)

        return Pose(
            {n: Placed(n, shift(s.start), shift(s.end), s.thickness) for n, s in self.segments.items()},
            shift(self.head),
            {n: (x + dx, y + dy, r) for n, (x, y, r) in self.frames.items()},
        )


def _turn(vector: tuple[float, float], degrees: float) -> tuple[float, float]:
    """Rotate clockwise on screen (y down), as SVG's rotate() does."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return (vector[0] * c - vector[1] * s, vector[0] * s + vector[1] * c)


def pose(view: str, angles: dict, foreshorten: dict | None = None) -> Pose:
    """Forward kinematics: every joint's position and turn, from the pelvis at (0, 0)."""
    foreshorten = foreshorten or {}
    frames: dict[str, tuple[float, float, float]] = {}
    segments: dict[str, Placed] = {}
    for joint in joints(view, angles, foreshorten):
        if joint.parent is None:
            x, y, rotation = joint.offset[0], joint.offset[1], joint.rotation
        else:
            px, py, prot = frames[joint.parent]
            dx, dy = _turn(joint.offset, prot)
            x, y, rotation = px + dx, py + dy, prot + joint.rotation
        frames[joint.name] = (x, y, rotation)
        if joint.segment:
            ex, ey = _turn((0, -joint.length), rotation)
            thickness = THICKNESS[segment_kind(joint.segment)]
            segments[joint.segment] = Placed(joint.segment, (x, y), (x + ex, y + ey), thickness)
    neck_x, neck_y, neck_rot = frames["neck"]
    hx, hy = _turn((0, -(NECK + HEAD_R - 1)), neck_rot)
    return Pose(segments, (neck_x + hx, neck_y + hy), frames)
