"""A clinic's own exercise photos and videos: attach, remove, and serve them by short-lived signed links."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from rehab.forms import run_service
from rehab.permissions import staff_required

from .. import media as media_files
from .. import selectors, services
from ..forms import ExerciseMediaForm
from ..services.media import media_storage
from .common import or_404

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@require_POST
@staff_required
def exercise_media_upload(request, pk: int):
    exercise = or_404(lambda: selectors.exercise_detail(user=request.user, pk=pk))
    form = ExerciseMediaForm(request.POST, request.FILES)
    attached = form.is_valid() and run_service(
        form,
        services.exercise_media_attach,
        clinic=request.user.clinic,
        exercise=exercise,
        upload=form.cleaned_data["file"],
        uploaded_by=request.user,
    )
    if attached:
        kind = attached.get_kind_display().lower()
        messages.success(request, f"Your clinic now sees your {kind} of {exercise.name} instead of the drawing.")
        return redirect("programs:exercise_detail", pk=exercise.pk)
    return render(request, "programs/exercise_detail.html", {"exercise": exercise, "media_form": form})


@require_POST
@staff_required
def exercise_media_remove(request, pk: int):
    exercise = or_404(lambda: selectors.exercise_detail(user=request.user, pk=pk))
    item = or_404(lambda: selectors.media_visible_to(request.user).get(exercise=exercise))
    services.exercise_media_remove(media=item)
    messages.success(request, f"Your clinic's {item.get_kind_display().lower()} is removed: the drawing shows again.")
    return redirect("programs:exercise_detail", pk=exercise.pk)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range a video player asks for, as (first, last); None for the whole file."""
    match = RANGE.match(header.strip()) if header else None
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(size - int(last or 0), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


@require_GET
@login_required
def exercise_media(request, token: str):
    """A photo, thumbnail or video, to staff of its clinic and to patients whose program holds the exercise."""
    try:
        media_id, variant = media_files.read_link(token, max_age=settings.EXERCISE_MEDIA_LINK_SECONDS)
    except signing.SignatureExpired as exc:
        raise PermissionDenied("This link has expired: reload the page for a new one.") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Http404 from exc
    item = or_404(lambda: selectors.media_visible_to(request.user).get(pk=media_id))
    name = item.thumbnail_name if variant == "thumb" and item.thumbnail_name else item.file_name
    storage = media_storage()
    try:
        size = storage.size(name)
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response = FileResponse(handle, content_type=item.content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = wanted
        handle.seek(start)
        response = HttpResponse(handle.read(end - start + 1), status=206, content_type=item.content_type)
        handle.close()
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = f"private, max-age={settings.EXERCISE_MEDIA_LINK_SECONDS}"
    return response
