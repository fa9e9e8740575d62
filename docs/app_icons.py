"""Draw the installable app's icons: an SVG and, with Pillow, the PNGs a home screen asks for.

The drawing is the favicon's (a spine on the clinic's colour): a few strokes defined once below, written as SVG
and painted with Pillow at each size. A "maskable" icon keeps the drawing inside the middle 80% circle, which a
phone may crop to any shape. Run from the repository root: python docs/app_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BRAND = "#0b5563"
WHITE = "#ffffff"
# The spine on a 32-unit square: a vertical line and four cross strokes, as the favicon draws them.
STROKES = [((16, 5), (16, 27)), ((11, 9), (21, 9)), ((10, 14), (22, 14)), ((11, 19), (21, 19)), ((12, 24), (20, 24))]
STROKE_WIDTH = 2.5
# How much of the square the drawing takes: the whole (any) or the maskable safe zone (a circle of 80%).
SCALES = {"any": 1.0, "maskable": 0.62}


def svg(purpose: str) -> str:
    scale = SCALES[purpose]
    offset = 16 * (1 - scale)

    def at(value: float) -> str:
        return f"{offset + value * scale:.2f}"

    lines = "".join(f'<path d="M{at(x1)} {at(y1)}L{at(x2)} {at(y2)}"/>' for (x1, y1), (x2, y2) in STROKES)
    corner = 6 if purpose == "any" else 0
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" rx="{corner}" fill="{BRAND}"/>'
        f'<g stroke="{WHITE}" stroke-width="{STROKE_WIDTH * scale:.2f}" stroke-linecap="round">{lines}</g></svg>\n'
    )


def png(size: int, purpose: str) -> Image.Image:
    """The drawing painted at `size` pixels, drawn four times larger and scaled down for smooth edges."""
    big = size * 4
    unit, scale = big / 32, SCALES[purpose]
    offset = 16 * (1 - scale)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if purpose == "any":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(6 * unit), fill=BRAND)
    else:
        draw.rectangle((0, 0, big, big), fill=BRAND)
    width = STROKE_WIDTH * scale * unit
    for (x1, y1), (x2, y2) in STROKES:
        start = ((offset + x1 * scale) * unit, (offset + y1 * scale) * unit)
        end = ((offset + x2 * scale) * unit, (offset + y2 * scale) * unit)
        draw.line((start, end), fill=WHITE, width=round(width))
        for x, y in (start, end):  # round caps, as the SVG's stroke-linecap
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for purpose in SCALES:
        (OUT / f"icon-{purpose}.svg").write_text(svg(purpose), encoding="utf-8")
        for size in (192, 512):
            png(size, purpose).save(OUT / f"icon-{purpose}-{size}.png", optimize=True)
    # iOS's home screen takes a square without transparency and rounds its corners itself.
    png(180, "maskable").convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
