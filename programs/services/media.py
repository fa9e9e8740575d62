"""Writes about a clinic's own exercise photos and videos: attach one (replacing the clinic's previous one for
that exercise) or remove it. Files are checked by their content (programs/media.py) before anything is stored."""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from rehab.models import Clinic, User

from .. import media as media_files
from ..models import Exercise, ExerciseMedia

logger = logging.getLogger(__name__)
STORAGE = "exercise_media"


def media_storage():
    return storages[STORAGE]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _delete_files(names: list[str]) -> None:
    storage = media_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:  # a file left behind is tidied by hand; the row that named it is gone either way
            logger.exception("Could not delete exercise media file %s", name)


def _read(upload, limit: int, too_big: str) -> bytes:
    if upload.size > limit:
        raise ValidationError({"file": too_big})
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": too_big})
    return data


def exercise_media_attach(*, clinic: Clinic, exercise: Exercise, upload, uploaded_by: User) -> ExerciseMedia:
    """Show this photo or video of `exercise` to `clinic` instead of the drawing. Bad files store nothing."""
    if exercise.clinic_id not in (None, clinic.pk):
        raise ValidationError("Choose an exercise from your clinic's library.")
    if upload is None or not upload.size:
        raise ValidationError({"file": "Choose a photo or a video to upload."})
    upload.seek(0)
    head = upload.read(media_files.HEAD_BYTES)
    try:
        kind = media_files.classify(head)
        if kind == "video":
            limit = settings.EXERCISE_MEDIA_MAX_VIDEO_BYTES
            data = _read(upload, limit, f"This video is larger than {_megabytes(limit)}: upload a shorter clip.")
            files = {"file": (data, "mp4" if media_files.video_type(head) == "video/mp4" else "webm")}
            details = {"content_type": media_files.video_type(head), "size_bytes": len(data)}
        else:
            limit = settings.EXERCISE_MEDIA_MAX_PHOTO_BYTES
            data = _read(upload, limit, f"This photo is larger than {_megabytes(limit)}: upload a smaller one.")
            photo = media_files.reencode_photo(data)
            files = {"file": (photo.full, "jpg"), "thumbnail": (photo.thumbnail, "jpg")}
            details = {
                "content_type": photo.content_type,
                "size_bytes": len(photo.full),
                "width": photo.width,
                "height": photo.height,
            }
    except media_files.Refused as exc:
        raise ValidationError({"file": str(exc)}) from exc

    storage = media_storage()
    stored: dict[str, str] = {}
    try:
        for role, (content, extension) in files.items():
            stored[role] = storage.save(f"{clinic.pk}/{uuid.uuid4().hex}.{extension}", ContentFile(content))
        with transaction.atomic():
            previous = list(ExerciseMedia.objects.select_for_update().filter(clinic=clinic, exercise=exercise))
            old_files = [name for m in previous for name in (m.file_name, m.thumbnail_name)]
            ExerciseMedia.objects.filter(pk__in=[m.pk for m in previous]).delete()
            item = ExerciseMedia(
                clinic=clinic,
                exercise=exercise,
                kind=ExerciseMedia.Kind.VIDEO if kind == "video" else ExerciseMedia.Kind.PHOTO,
                file_name=stored["file"],
                thumbnail_name=stored.get("thumbnail", ""),
                uploaded_by=uploaded_by,
                **details,
            )
            item.full_clean()
            item.save()
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        _delete_files(list(stored.values()))
        raise
    return item


@transaction.atomic
def exercise_media_remove(*, media: ExerciseMedia) -> None:
    """Show the drawing again: the clinic's photo or video and its files go."""
    names = [media.file_name, media.thumbnail_name]
    media.delete()
    transaction.on_commit(lambda: _delete_files(names))
