"""A clinic's own exercise photos and videos: what a file is (by its content, never its name), photos re-encoded,
and the short-lived signed links they are served by. No ORM here: the service stores, the view serves.

A photo (JPEG, PNG or WebP) is decoded and encoded again by Pillow as a JPEG, which drops its metadata (location,
camera) and anything hidden in it, and gives its thumbnail. A video must be an MP4 or WebM container, recognised by
its signature; it is stored as sent and played by the browser.
"""

import io
import warnings
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_MAX_SIDE = 1600
THUMBNAIL_MAX_SIDE = 480
JPEG_QUALITY = 85
MAX_PIXELS = 40_000_000  # a decoded photo larger than this is refused before it fills the memory
HEAD_BYTES = 512
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ", b"mmp4"}
LINK_SALT = "programs.exercise-media"
VARIANTS = ("full", "thumb")

NOT_MEDIA = "This file is neither a photo (JPEG, PNG or WebP) nor a video (MP4 or WebM)."
SVG_REFUSED = "SVG drawings can't be used here: upload a photo (JPEG, PNG or WebP) or a video (MP4 or WebM)."
OTHER_VIDEO = "Only MP4 and WebM videos can be shown in the app: save this video as MP4 and upload it again."
UNREADABLE_PHOTO = "This photo could not be read: the file may be damaged. Save it again as JPEG or PNG and retry."
TOO_MANY_PIXELS = "This photo has too many pixels to be shown: make it smaller and upload it again."


class Refused(ValueError):
    """A file that cannot be shown; its message says why, for the person who chose it."""


@dataclass(frozen=True)
class Photo:
    full: bytes
    thumbnail: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<?xml") or text.startswith(b"<svg") or b"<svg" in text


def video_type(head: bytes) -> str | None:
    """'video/mp4' or 'video/webm' when the file starts as one does, else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM when its document type says so (Matroska otherwise)
        doc_type = head.find(b"\x42\x82")
        if doc_type != -1 and head[doc_type + 3 : doc_type + 7] == b"webm":
            return "video/webm"
    return None


def _other_video(head: bytes) -> bool:
    """A video container the app does not show: QuickTime, Matroska, AVI, MPEG, FLV, 3GP."""
    return (
        (len(head) >= 12 and head[4:8] == b"ftyp")
        or head.startswith(b"\x1a\x45\xdf\xa3")
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"FLV"))
        or head[4:8] in (b"moov", b"mdat", b"wide", b"free")
    )


def classify(head: bytes) -> str:
    """'video' or 'photo' (to be decoded), by the first bytes; Refused for anything else."""
    if video_type(head):
        return "video"
    if _looks_like_svg(head):
        raise Refused(SVG_REFUSED)
    if _other_video(head):
        raise Refused(OTHER_VIDEO)
    return "photo"


def _encode(image: Image.Image, max_side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=: the metadata stays behind
    return out.getvalue()


def reencode_photo(data: bytes) -> Photo:
    """Decode a JPEG, PNG or WebP photo and encode it again as JPEG, with its thumbnail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PHOTO_FORMATS:
                    raise Refused(NOT_MEDIA)
                if probe.width * probe.height > MAX_PIXELS:
                    raise Refused(TOO_MANY_PIXELS)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "P"):
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, "white")
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
                full = _encode(image, PHOTO_MAX_SIDE)
                thumbnail = _encode(image, THUMBNAIL_MAX_SIDE)
                width, height = Image.open(io.BytesIO(full)).size
    except Refused:
        raise
    except UnidentifiedImageError as exc:
        raise Refused(NOT_MEDIA) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(TOO_MANY_PIXELS) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or damaged data, as Pillow reports it
        raise Refused(UNREADABLE_PHOTO) from exc
    return Photo(full=full, thumbnail=thumbnail, width=width, height=height)


def link(media_id: int, variant: str = "full") -> str:
    """A signed, short-lived URL for one media file (its expiry is settings.EXERCISE_MEDIA_LINK_SECONDS)."""
    token = signing.dumps([media_id, variant], salt=LINK_SALT, compress=True)
    return reverse("programs:exercise_media", kwargs={"token": token})


def read_link(token: str, max_age: int) -> tuple[int, str]:
    """The media id and variant a link names; signing.SignatureExpired when it is too old, BadSignature when forged."""
    media_id, variant = signing.loads(token, salt=LINK_SALT, max_age=max_age)
    if not isinstance(media_id, int) or variant not in VARIANTS:
        raise signing.BadSignature("Not a media link")
    return media_id, variant
