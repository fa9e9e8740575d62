"""{% exercise_figure exercise size %}: how an exercise looks, wherever it is shown.

The clinic's own photo or video when the clinic has one, else the app's drawing of a shipped exercise. Sizes:
"full" (the moving figure, with its pause control; the two positions side by side under reduced motion and in
print), "print" (the two positions side by side; a video falls back to the drawing) and "thumb" (one small picture,
decorative: the exercise's name is always beside it). Views that list exercises prefetch the clinic's media
(`selectors.clinic_media`); otherwise the tag looks it up for the signed-in user's clinic.
"""

import secrets
from functools import cache

from django import template
from django.utils.safestring import mark_safe

from .. import media as media_files
from ..figures import Scene, scene_for, svg
from ..models import Exercise, ExerciseMedia

register = template.Library()
SIZES = ("full", "print", "thumb")


@cache
def _drawings(key: str) -> dict[str, str] | None:
    scene = scene_for(key)
    if scene is None:
        return None
    return {
        "live": svg.live(scene),
        "start": svg.still(scene, 0),
        "end": svg.still(scene, 1),
        "thumb": svg.still(scene, 1, css_class="fig-svg fig-thumb-svg"),
    }


def _scene(exercise: Exercise) -> Scene | None:
    return scene_for(exercise.key) if exercise.clinic_id is None else None  # a clinic's own exercise has no pose


def figure_text(exercise: Exercise, scene: Scene | None, *, drawing: bool = True) -> str:
    """The text alternative of the figure (or the clinic's photo), from the instructions: the steps it shows."""
    steps = exercise.steps
    if drawing and scene is not None:
        intro = f"{exercise.name}, drawn at the start and the end of the movement."
    else:
        intro = f"{exercise.name}, as your clinic shows it."
    if scene is not None and len(steps) >= max(scene.spec.start_step, scene.spec.end_step):
        start, end = steps[scene.spec.start_step - 1], steps[scene.spec.end_step - 1]
        return f"{intro} Start: {start} End: {end}"
    return f"{intro} {steps[0]}" if steps else intro


def _clinic_media(context, exercise: Exercise) -> ExerciseMedia | None:
    prefetched = getattr(exercise, "clinic_media", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or user.clinic_id is None:
        return None
    return ExerciseMedia.objects.filter(clinic_id=user.clinic_id, exercise=exercise).first()


@register.inclusion_tag("programs/_figure.html", takes_context=True)
def exercise_figure(context, exercise: Exercise, size: str = "full"):
    if size not in SIZES:
        raise template.TemplateSyntaxError(f"exercise_figure size must be one of {SIZES}, not {size!r}")
    scene = _scene(exercise)
    drawings = _drawings(exercise.key) if scene is not None else None
    media = _clinic_media(context, exercise)
    if media is not None and media.kind == ExerciseMedia.Kind.VIDEO and size != "full" and drawings:
        media = None  # a thumbnail or a printed page shows the drawing rather than a video
    return {
        "exercise": exercise,
        "size": size,
        "media": media,
        "media_url": media_files.link(media.pk) if media else "",
        "thumb_url": media_files.link(media.pk, "thumb") if media and media.thumbnail_name else "",
        "drawings": {name: mark_safe(markup) for name, markup in drawings.items()} if drawings else None,  # noqa: S308 - built by programs.figures from escaped values
        "text": figure_text(exercise, scene, drawing=media is None),
        "uid": f"fig-{exercise.pk}-{secrets.token_hex(3)}",
    }
