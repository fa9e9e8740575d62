"""A scene as SVG markup: a still of one position, or the live figure that moves between the two.

The live figure nests one group per joint, each turned by its joint's angle at the start position; inside it, a
group with a class that turns it further by the change to the end position (`fig-d35`: 35 degrees), which the
stylesheet animates. Classes, not inline styles: the Content-Security-Policy allows neither inline styles nor
scripts. Colours and widths are SVG presentation attributes, so a figure reads the same with no stylesheet (print,
a saved page, the contact sheet in docs/).
"""

from html import escape

from . import body
from .scene import VIEW_WIDTH, Scene, Shape

NEAR = "#3b4a5a"
FAR = "#7f8c99"
MOVING_NEAR = "#0b6e75"
MOVING_FAR = "#3f8f96"
FLOOR = "#8d99a6"
PROP_STYLE = {
    "fig-mat": {"fill": "#c5d0da"},
    "fig-ball": {"fill": "#f2c14e", "stroke": "#a8791a", "stroke-width": 1.5},
    "fig-roller": {"fill": "#b9cbe0", "stroke": "#5d7796", "stroke-width": 1.5},
    "fig-step": {"fill": "#d8cbb8", "stroke": "#7d6a50", "stroke-width": 1.5},
    "fig-chair": {"stroke": "#7d6a50", "stroke-width": 4, "stroke-linecap": "round"},
    "fig-chair-seat": {"stroke": "#7d6a50", "stroke-width": 5, "stroke-linecap": "round"},
    "fig-wall": {"stroke": "#6b7683", "stroke-width": 3},
    "fig-hatch": {"stroke": "#6b7683", "stroke-width": 1.2},
    "fig-band": {"stroke": "#c0392b", "stroke-width": 2.5, "stroke-linecap": "round"},
    "fig-anchor": {"fill": "#6b7683"},
}
# Drawing order: what is further from the viewer first.
LAYERS = {
    "side": (
        ("l_thigh", "l_shin", "l_foot", "l_upper_arm", "l_forearm"),
        ("lower_trunk", "upper_trunk", "neck"),
        ("r_thigh", "r_shin", "r_foot", "r_upper_arm", "r_forearm"),
    ),
    "above": (
        ("r_thigh", "r_shin", "r_foot", "r_upper_arm", "r_forearm"),
        ("lower_trunk", "upper_trunk", "neck"),
        ("l_thigh", "l_shin", "l_foot", "l_upper_arm", "l_forearm"),
    ),
    "front": (
        ("r_thigh", "r_shin", "r_foot", "r_upper_arm", "r_forearm"),
        ("lower_trunk", "upper_trunk", "neck"),
        ("l_thigh", "l_shin", "l_foot", "l_upper_arm", "l_forearm"),
    ),
}


def _num(value) -> str:
    if isinstance(value, str):
        return value
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(pairs) -> str:
    return " ".join(f'{name}="{escape(_num(value))}"' for name, value in pairs)


def _shape(shape: Shape, extra_class: str = "") -> str:
    style = PROP_STYLE.get(shape.css_class, {})
    classes = f"{shape.css_class} {extra_class}".strip()
    return f'<{shape.tag} class="{classes}" {_attrs(list(shape.attrs) + list(style.items()))}/>'


def _moving_segments(scene: Scene) -> set[str]:
    return {segment for part in scene.spec.moving for segment in body.PARTS[part]}


def _colour(scene: Scene, segment: str) -> str:
    far = scene.spec.view == "side" and segment.startswith("l_")
    if segment in _moving_segments(scene) or (segment == "neck" and "trunk" in scene.spec.moving):
        return MOVING_FAR if far else MOVING_NEAR
    return FAR if far else NEAR


def _segment_line(scene: Scene, segment: str, start, end) -> str:
    kind = body.segment_kind(segment)
    ends = _attrs((("x1", start[0]), ("y1", start[1]), ("x2", end[0]), ("y2", end[1])))
    return (
        f'<line class="fig-seg fig-{segment.replace("_", "-")}" {ends} '
        f'stroke="{_colour(scene, segment)}" stroke-width="{body.THICKNESS[kind]}" stroke-linecap="round"/>'
    )


def _head(scene: Scene, cx, cy) -> str:
    centre = _attrs((("cx", cx), ("cy", cy), ("r", body.HEAD_R)))
    return f'<circle class="fig-head" {centre} fill="{_colour(scene, "neck")}"/>'


def _open(scene: Scene, css_class: str, label: str | None) -> str:
    aria = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    floor = (
        ""
        if scene.spec.view == "above"
        else f'<line class="fig-floor" x1="0" y1="{_num(scene.floor)}" x2="{VIEW_WIDTH}" y2="{_num(scene.floor)}" '
        f'stroke="{FLOOR}" stroke-width="1.5"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {VIEW_WIDTH} {_num(scene.height)}" {aria} focusable="false">{floor}'
    )


def _drawing(scene: Scene, index: int) -> list[str]:
    pose = scene.poses[index]
    parts = [_shape(shape) for shape in scene.shapes(index) if not shape.over]
    for layer in LAYERS[scene.spec.view]:
        for segment in layer:
            placed = pose.segments[segment]
            parts.append(_segment_line(scene, segment, placed.start, placed.end))
            if segment == "neck":
                parts.append(_head(scene, *pose.head))
    parts += [_shape(shape) for shape in scene.shapes(index) if shape.over]
    return parts


def still(scene: Scene, index: int, *, css_class: str = "fig-svg", label: str | None = None) -> str:
    """One position, drawn with absolute coordinates."""
    return "".join([_open(scene, css_class, label), *_drawing(scene, index), "</svg>"])


def _children(view: str) -> dict[str, list[body.Joint]]:
    tree: dict[str, list[body.Joint]] = {}
    for joint in body.joints(view, {}):
        tree.setdefault(joint.parent or "", []).append(joint)
    return tree


def _descendant_segments(name: str, tree) -> set[str]:
    found = set()
    for child in tree.get(name, []):
        found.add(child.segment)
        found |= _descendant_segments(child.name, tree)
    return found


def live(scene: Scene, *, css_class: str = "fig-svg fig-live", label: str | None = None) -> str:
    """The figure that moves from the start position to the end and back (the stylesheet moves it)."""
    spec = scene.spec
    if spec.motion == "swap":
        return "".join(
            [
                _open(scene, css_class, label),
                '<g class="fig-fade-out">',
                *_drawing(scene, 0),
                '</g><g class="fig-fade-in">',
                *_drawing(scene, 1),
                "</g></svg>",
            ]
        )
    start = {j.name: j for j in body.joints(spec.view, spec.positions[0], spec.foreshorten)}
    end = {j.name: j for j in body.joints(spec.view, spec.positions[1], spec.foreshorten)}
    tree = _children(spec.view)
    x0, y0, _ = scene.poses[0].frames["pelvis"]
    x1, y1, _ = scene.poses[1].frames["pelvis"]
    shift = (round(x1 - x0), round(y1 - y0))

    def group(joint: body.Joint, layer: set[str]) -> str:
        if joint.segment not in layer and not (_descendant_segments(joint.name, tree) & layer):
            return ""
        offset = (x0, y0) if joint.parent is None else joint.offset
        turn = round(end[joint.name].rotation - start[joint.name].rotation)
        inner = []
        if joint.segment in layer:
            length = start[joint.name].length
            inner.append(_segment_line(scene, joint.segment, (0, 0), (0, -length)))
            if joint.segment == "neck":
                inner.append(_head(scene, 0, -(body.NECK + body.HEAD_R - 1)))
        inner += [group(child, layer) for child in tree.get(joint.name, [])]
        content = "".join(inner)
        if turn:
            content = f'<g class="fig-turn fig-d{turn}">{content}</g>'
        return (
            f'<g transform="translate({_num(offset[0])} {_num(offset[1])}) rotate({_num(start[joint.name].rotation)})">'
            f"{content}</g>"
        )

    def props(over: bool) -> list[str]:
        return (
            [_shape(shape) for shape in scene.fixed if shape.over == over]
            + [_shape(shape, "fig-fade-out") for shape in scene.moving_props[0] if shape.over == over]
            + [_shape(shape, "fig-fade-in") for shape in scene.moving_props[1] if shape.over == over]
        )

    parts = [_open(scene, css_class, label), *props(False)]
    (root,) = tree[""]
    for layer in LAYERS[spec.view]:
        drawn = group(root, set(layer))
        if shift != (0, 0):
            moves = " ".join(f"fig-{axis}{n}" for axis, n in zip("xy", shift, strict=True) if n)
            drawn = f'<g class="fig-shift {moves}">{drawn}</g>'
        parts.append(drawn)
    parts += props(True)
    parts.append("</svg>")
    return "".join(parts)
