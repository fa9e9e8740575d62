"""From an exercise's pose description to a scene: the body placed on the floor at each key position, and its props.

Pure: no Django, no I/O (the descriptions are read by `poses.py`).
"""

from dataclasses import dataclass, field

from . import body

VIEW_WIDTH = 280
VIEW_HEIGHT = 200
FLOOR_Y = 190  # the floor line; everything stands, sits or lies on it
MAT_HEIGHT = 4
MARGIN = 8
POSITIONS = ("start", "end")
PROP_KINDS = ("mat", "chair", "wall", "ball", "band", "step", "roller")
POSTURES = (
    "lying on the back",
    "lying face down",
    "lying on the side",
    "on hands and knees",
    "kneeling",
    "sitting",
    "standing",
)


@dataclass(frozen=True)
class Shape:
    """One piece of a prop: a rect, circle, line or polyline with its SVG attributes (numbers in user units)."""

    tag: str
    attrs: tuple[tuple[str, float | str], ...]
    css_class: str
    over: bool = False  # drawn over the body (a ball held between the knees), not behind it

    def extent(self) -> tuple[float, float, float, float]:
        a = dict(self.attrs)
        if self.tag == "rect":
            return a["x"], a["y"], a["x"] + a["width"], a["y"] + a["height"]
        if self.tag == "circle":
            return a["cx"] - a["r"], a["cy"] - a["r"], a["cx"] + a["r"], a["cy"] + a["r"]
        if self.tag == "line":
            return min(a["x1"], a["x2"]), min(a["y1"], a["y2"]), max(a["x1"], a["x2"]), max(a["y1"], a["y2"])
        raise ValueError(f"No extent for <{self.tag}>")

    def shifted(self, dx: float, dy: float = 0) -> "Shape":
        moved = []
        for name, value in self.attrs:
            if name in ("x", "cx", "x1", "x2"):
                value = value + dx
            elif name in ("y", "cy", "y1", "y2"):
                value = value + dy
            moved.append((name, value))
        return Shape(self.tag, tuple(moved), self.css_class, self.over)


@dataclass(frozen=True)
class FigureSpec:
    """An exercise's pose description, presets merged: what `poses.json` says about one exercise."""

    key: str
    view: str
    posture: str
    positions: tuple[dict, dict]
    props: tuple[dict, ...] = ()
    moving: tuple[str, ...] = ()
    start_step: int = 1
    end_step: int = 2
    anchor: str = "pelvis"
    rest: dict | None = None
    foreshorten: dict = field(default_factory=dict)
    # "turn": the live figure turns each joint from one position to the other. "swap": it cross-fades between them,
    # for a limb that turns out of the picture (a clamshell's knee opens towards the viewer, its foot stays put).
    motion: str = "turn"


@dataclass(frozen=True)
class Scene:
    """Everything drawn, in view box units: the view box is VIEW_WIDTH wide (so every figure shown at the same
    width has the same scale) and as tall as its content, the floor line `floor` from its top."""

    spec: FigureSpec
    poses: tuple[body.Pose, body.Pose]
    fixed: tuple[Shape, ...]  # props that stay put
    moving_props: tuple[tuple[Shape, ...], tuple[Shape, ...]]  # props that move with the body, per position
    floor: float = FLOOR_Y
    height: float = VIEW_HEIGHT

    def shapes(self, index: int) -> tuple[Shape, ...]:
        return self.fixed + self.moving_props[index]

    def extent(self) -> tuple[float, float, float, float]:
        boxes = [p.extent() for p in self.poses]
        boxes += [s.extent() for s in self.fixed + self.moving_props[0] + self.moving_props[1]]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def _ground(spec: FigureSpec) -> float:
    has_mat = spec.view != "above" and any(p["kind"] == "mat" for p in spec.props)
    return FLOOR_Y - (MAT_HEIGHT if has_mat else 0)


def _thickness_at(pose: body.Pose, point: str) -> float:
    """Half the thickness of the body at a joint or segment end: how far its surface is from its centre line."""
    if point == "head":
        return body.HEAD_R
    name = point[: -len("_end")] if point.endswith("_end") else None
    if name:
        return pose.segments[name].thickness / 2
    owner = {
        "pelvis": "lower_trunk",
        "waist": "upper_trunk",
        "neck": "neck",
    }.get(point)
    if owner is None:  # a limb joint: the segment that starts there
        side, joint = point.split("_", 1)
        owner = f"{side}_" + {"hip": "thigh", "knee": "shin", "ankle": "foot", "shoulder": "upper_arm"}.get(
            joint, "forearm"
        )
    return pose.segments[owner].thickness / 2


def _place(spec: FigureSpec) -> tuple[body.Pose, body.Pose]:
    """Each position on the floor (or at its resting height), the anchor joint at the same x in both."""
    ground = _ground(spec)
    placed = []
    anchor_x = None
    for angles in spec.positions:
        pose = body.pose(spec.view, angles, spec.foreshorten)
        if spec.view == "above":  # no floor: the start position is centred, the end keeps the pelvis there
            top, bottom = pose.extent()[1], pose.extent()[3]
            dy = VIEW_HEIGHT / 2 - (top + bottom) / 2 if not placed else placed[0].point("pelvis")[1]
        elif spec.rest:
            point = spec.rest["point"]
            dy = ground - spec.rest["height"] - pose.point(point)[1] - _thickness_at(pose, point)
        else:
            dy = ground - pose.extent()[3]
        x = pose.point(spec.anchor)[0]
        dx = 0 if anchor_x is None else anchor_x - x
        if anchor_x is None:
            anchor_x = x
        placed.append(pose.moved(dx, dy))
    return placed[0], placed[1]


def _shapes_for(prop: dict, pose: body.Pose, first: body.Pose, ground: float, span: tuple[float, float]) -> list[Shape]:
    """A prop's shapes at one position (`first` is the start position, which fixed anchors are measured from)."""
    kind = prop["kind"]
    if kind == "mat" and prop.get("above"):  # a mat seen from the ceiling, under the whole body
        left, right = span
        return [
            Shape(
                "rect",
                (("x", left - 8), ("y", VIEW_HEIGHT / 2 - 36), ("width", right - left + 16), ("height", 72), ("rx", 4)),
                "fig-mat",
            )
        ]
    if kind == "mat":
        left, right = span
        return [
            Shape(
                "rect",
                (("x", left - 6), ("y", ground), ("width", right - left + 12), ("height", MAT_HEIGHT), ("rx", 2)),
                "fig-mat",
            )
        ]
    if kind == "ball":
        r = prop["r"]
        if "between" in prop:
            (x1, y1), (x2, y2) = (pose.point(p) for p in prop["between"])
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        else:
            cx = pose.point(prop["under"])[0] + prop.get("dx", 0)
            cy = FLOOR_Y - r
        return [Shape("circle", (("cx", cx), ("cy", cy), ("r", r)), "fig-ball")]
    if kind == "roller":
        left, right = sorted(pose.point(p)[0] for p in prop["under"])
        r = prop["r"]
        return [
            Shape(
                "rect",
                (("x", left - 4), ("y", ground - 2 * r), ("width", right - left + 8), ("height", 2 * r), ("rx", r)),
                "fig-roller",
            )
        ]
    if kind == "wall":
        x = pose.point(prop["at"])[0] + prop.get("dx", 0)
        top = pose.extent()[1] - 6  # a little above the head
        shapes = [Shape("line", (("x1", x), ("y1", top), ("x2", x), ("y2", FLOOR_Y)), "fig-wall")]
        outward = -1 if prop.get("side", "left") == "left" else 1
        for y in range(int(top) + 6, FLOOR_Y, 14):
            shapes.append(Shape("line", (("x1", x), ("y1", y), ("x2", x + outward * 6), ("y2", y + 6)), "fig-hatch"))
        return shapes
    if kind == "step":
        x, _ = pose.point(prop["under"])
        height, width = prop.get("height", 16), prop.get("width", 40)
        return [
            Shape(
                "rect",
                (("x", x - width / 2), ("y", FLOOR_Y - height), ("width", width), ("height", height), ("rx", 2)),
                "fig-step",
            )
        ]
    if kind == "band":
        x1, y1 = pose.point(prop["from"])
        if "to" in prop:
            x2, y2 = pose.point(prop["to"])
            return [Shape("line", (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)), "fig-band")]
        dx, height = prop["anchor"]  # a fixed point: dx from `from` at the start, height above the floor
        x2, y2 = first.point(prop["from"])[0] + dx, FLOOR_Y - height
        return [
            Shape("line", (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)), "fig-band"),
            Shape("rect", (("x", x2 - 3), ("y", y2 - 5), ("width", 6), ("height", 10), ("rx", 1)), "fig-anchor"),
        ]
    if kind == "chair":
        return _chair(prop, pose)
    raise ValueError(f"Unknown prop {kind!r}")


def _chair(prop: dict, pose: body.Pose) -> list[Shape]:
    """A plain chair: seat, back and legs. `seat` puts the seat under a point of the body; `hold` puts the top of
    its back at a hand. `back` says on which side the back is ('left' or 'right'); `front` draws it face on."""
    width = 44 if prop.get("front") else 30
    back_height = 36
    if "seat" in prop:
        x, y = pose.point(prop["seat"])
        seat_y = y + _thickness_at(pose, prop["seat"]) + prop.get("dy", 0)
        x += prop.get("dx", 0)
    else:
        hx, hy = pose.point(prop["hold"])
        seat_y = hy + back_height
        if prop.get("front"):
            x = pose.point("pelvis")[0]
        else:
            x = hx + (width / 2 if prop.get("back", "left") == "left" else -width / 2)
    left, right = x - width / 2, x + width / 2
    shapes = [
        Shape("line", (("x1", left), ("y1", seat_y), ("x2", right), ("y2", seat_y)), "fig-chair-seat"),
        Shape("line", (("x1", left + 2), ("y1", seat_y), ("x2", left + 2), ("y2", FLOOR_Y)), "fig-chair"),
        Shape("line", (("x1", right - 2), ("y1", seat_y), ("x2", right - 2), ("y2", FLOOR_Y)), "fig-chair"),
    ]
    if prop.get("front") and "hold" in prop:  # seen face on from behind its back: two posts and the top rail
        top = seat_y - back_height
        shapes += [
            Shape("line", (("x1", left + 2), ("y1", seat_y), ("x2", left + 2), ("y2", top)), "fig-chair"),
            Shape("line", (("x1", right - 2), ("y1", seat_y), ("x2", right - 2), ("y2", top)), "fig-chair"),
            Shape("line", (("x1", left), ("y1", top), ("x2", right), ("y2", top)), "fig-chair-seat"),
        ]
    elif not prop.get("front"):
        back_x = left + 2 if prop.get("back", "left") == "left" else right - 2
        shapes.append(
            Shape("line", (("x1", back_x), ("y1", seat_y), ("x2", back_x), ("y2", seat_y - back_height)), "fig-chair")
        )
    return shapes


def _over(shapes: list[Shape], over: bool) -> list[Shape]:
    return [Shape(s.tag, s.attrs, s.css_class, over) for s in shapes]


def _pose_spans(poses) -> tuple[float, float]:
    return min(p.extent()[0] for p in poses), max(p.extent()[2] for p in poses)


def build(spec: FigureSpec) -> Scene:
    """Place the body at each position, add the props, and centre the whole in the view box."""
    poses = _place(spec)
    ground = _ground(spec)
    span = _pose_spans(poses)
    fixed: list[Shape] = []
    moving: tuple[list[Shape], list[Shape]] = ([], [])
    for prop in spec.props:
        over = bool(prop.get("over"))
        if prop.get("follow"):
            for index, pose in enumerate(poses):
                moving[index].extend(_over(_shapes_for(prop, pose, poses[0], ground, span), over))
        else:
            fixed.extend(_over(_shapes_for(prop, poses[0], poses[0], ground, span), over))
    scene = Scene(spec, poses, tuple(fixed), (tuple(moving[0]), tuple(moving[1])))
    left, top, right, bottom = scene.extent()
    dx = round((VIEW_WIDTH - (right - left)) / 2 - left)
    dy = round(MARGIN - top)  # the content's top a margin below the view box's top
    floor = FLOOR_Y + dy
    height = (max(bottom, FLOOR_Y) + dy + MARGIN) if spec.view == "above" else floor + MARGIN
    return Scene(
        spec,
        (poses[0].moved(dx, dy), poses[1].moved(dx, dy)),
        tuple(s.shifted(dx, dy) for s in fixed),
        (tuple(s.shifted(dx, dy) for s in moving[0]), tuple(s.shifted(dx, dy) for s in moving[1])),
        floor,
        height,
    )
