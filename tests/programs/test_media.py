"""A clinic's own exercise photos and videos: checked by content, re-encoded, stored privately, served by signed links
to that clinic's staff and to patients whose program holds the exercise."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from programs import media as media_files
from programs.models import ExerciseMedia
from programs.services import exercise_media_attach, exercise_media_remove
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import MP4_BYTES, attach_photo, photo_upload

MP4 = MP4_BYTES
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04" + b"\x00" * 300
QUICKTIME = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 300
AVI = b"RIFF\x00\x10\x00\x00AVI LIST" + b"\x00" * 300
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def stored_files() -> list[Path]:
    root = Path(storages["exercise_media"].location)
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def clean_storage():
    for path in stored_files():
        path.unlink()
    yield
    for path in stored_files():
        path.unlink()


def upload(content: bytes, name: str, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def truncated_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, format="PNG")
    return out.getvalue()[:80]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXECUTABLE, "exercise.jpg", media_files.NOT_MEDIA),  # a renamed executable
        (SVG, "drawing.png", media_files.SVG_REFUSED),
        (truncated_png(), "broken.png", media_files.UNREADABLE_PHOTO),  # an image that does not decode
        (QUICKTIME, "clip.mp4", media_files.OTHER_VIDEO),  # a video that is not MP4 or WebM
        (AVI, "clip.webm", media_files.OTHER_VIDEO),
        (b"GIF89a" + b"\x00" * 200, "anim.gif", media_files.NOT_MEDIA),
        (b"just some text, not a picture", "notes.jpg", media_files.NOT_MEDIA),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_is_stored(
    clinic, physio, library, clean_storage, content, name, message
):
    with pytest.raises(ValidationError) as caught:
        exercise_media_attach(
            clinic=clinic, exercise=library["glute-bridge"], upload=upload(content, name), uploaded_by=physio
        )
    assert caught.value.message_dict == {"file": [message]}
    assert not ExerciseMedia.objects.exists()
    assert stored_files() == []


@override_settings(EXERCISE_MEDIA_MAX_VIDEO_BYTES=1000, EXERCISE_MEDIA_MAX_PHOTO_BYTES=200)
def test_files_over_the_size_limit_are_refused(clinic, physio, library, clean_storage):
    with pytest.raises(ValidationError, match="larger than 0.000953674 MB"):
        exercise_media_attach(
            clinic=clinic, exercise=library["glute-bridge"], upload=upload(MP4 * 2, "clip.mp4"), uploaded_by=physio
        )
    with pytest.raises(ValidationError, match="This photo is larger than"):
        exercise_media_attach(
            clinic=clinic, exercise=library["glute-bridge"], upload=photo_upload(size=(300, 300)), uploaded_by=physio
        )
    assert not ExerciseMedia.objects.exists()
    assert stored_files() == []


def test_a_photo_is_re_encoded_without_its_metadata_and_gets_a_thumbnail(clinic, physio, library, clean_storage):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x9286] = "taken at the patient's home"  # user comment
    item = attach_photo(
        clinic=clinic, exercise=library["glute-bridge"], by=physio, fmt="JPEG", size=(2400, 1200), exif=exif.tobytes()
    )
    storage = storages["exercise_media"]
    with storage.open(item.file_name) as f:
        full = Image.open(io.BytesIO(f.read()))
    with storage.open(item.thumbnail_name) as f:
        thumbnail = Image.open(io.BytesIO(f.read()))
    assert full.format == "JPEG" and full.size == (1600, 800) == (item.width, item.height)
    assert dict(full.getexif()) == {}
    assert max(thumbnail.size) == media_files.THUMBNAIL_MAX_SIDE
    assert item.kind == "photo" and item.content_type == "image/jpeg"
    assert item.file_name.startswith(f"{clinic.pk}/") and "photo" not in item.file_name  # the name is the app's


def test_mp4_and_webm_videos_are_recognised_by_their_signature(clinic, physio, library, clean_storage):
    mp4 = exercise_media_attach(
        clinic=clinic, exercise=library["glute-bridge"], upload=upload(MP4, "x.bin"), uploaded_by=physio
    )
    webm = exercise_media_attach(
        clinic=clinic, exercise=library["bird-dog"], upload=upload(WEBM, "y.bin"), uploaded_by=physio
    )
    assert (mp4.kind, mp4.content_type, mp4.file_name[-4:]) == ("video", "video/mp4", ".mp4")
    assert (webm.kind, webm.content_type, webm.file_name[-5:]) == ("video", "video/webm", ".webm")


def test_a_new_upload_replaces_the_old_one_and_its_files(
    clinic, physio, library, clean_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = attach_photo(clinic=clinic, exercise=library["glute-bridge"], by=physio)
    with django_capture_on_commit_callbacks(execute=True):
        second = exercise_media_attach(
            clinic=clinic, exercise=library["glute-bridge"], upload=upload(MP4, "v.mp4"), uploaded_by=physio
        )
    assert list(ExerciseMedia.objects.values_list("pk", flat=True)) == [second.pk]
    names = {p.name for p in stored_files()}
    assert names == {Path(second.file_name).name}
    assert Path(first.file_name).name not in names
    with django_capture_on_commit_callbacks(execute=True):
        exercise_media_remove(media=second)
    assert stored_files() == [] and not ExerciseMedia.objects.exists()


def test_another_clinics_own_exercise_cannot_be_given_media(clinic, physio, clean_storage):
    from programs.services import exercise_create

    other = ClinicFactory()
    theirs = exercise_create(
        clinic=other,
        created_by=PhysioFactory(clinic=other),
        name="Their own",
        category="strength",
        difficulty=1,
        equipment="none",
        summary="s",
        instructions="Do it.",
        muscle_groups=["core"],
        sets=1,
        reps=5,
        hold_seconds=None,
        rest_seconds=30,
    )
    with pytest.raises(ValidationError, match="your clinic's library"):
        attach_photo(clinic=clinic, exercise=theirs, by=physio)
    assert stored_files() == []


class TestPages:
    def test_the_upload_form_shows_a_refusal_beside_the_field(self, client, physio, library, clean_storage):
        client.force_login(physio)
        exercise = library["glute-bridge"]
        url = reverse("programs:exercise_media_upload", args=[exercise.pk])
        response = client.post(url, {"file": upload(SVG, "drawing.svg", "image/svg+xml")})
        assert response.status_code == 200
        page = response.content.decode()
        assert "SVG drawings can&#x27;t be used here" in page
        assert 'aria-invalid="true"' in page and 'role="alert"' in page
        assert not ExerciseMedia.objects.exists() and stored_files() == []

    def test_staff_attach_a_photo_and_their_clinic_sees_it_instead_of_the_drawing(
        self, client, physio, library, clean_storage
    ):
        client.force_login(physio)
        exercise = library["glute-bridge"]
        response = client.post(
            reverse("programs:exercise_media_upload", args=[exercise.pk]), {"file": photo_upload()}, follow=True
        )
        page = response.content.decode()
        assert "now sees your photo of Glute bridge" in page
        assert "Photo from your clinic" in page and "fig-live" not in page
        other_clinic_physio = PhysioFactory(clinic=ClinicFactory())
        client.force_login(other_clinic_physio)
        page = client.get(reverse("programs:exercise_detail", args=[exercise.pk])).content.decode()
        assert "fig-live" in page and "Photo from your clinic" not in page  # the drawing, for everyone else

    def test_the_drawing_and_its_text_alternative_from_the_instructions(self, client, physio, library):
        client.force_login(physio)
        page = client.get(reverse("programs:exercise_detail", args=[library["clamshell"].pk])).content.decode()
        assert (
            'role="img" aria-label="Clamshell, drawn at the start and the end of the movement. Start: Lie on your'
            in page
        )
        assert 'aria-label="Pause the movement"' in page


class TestServing:
    @pytest.fixture
    def media(self, clinic, physio, library, clean_storage):
        return exercise_media_attach(
            clinic=clinic, exercise=library["dead-bug"], upload=upload(MP4, "v.mp4"), uploaded_by=physio
        )

    def test_staff_of_the_clinic_get_the_file(self, client, physio, media):
        client.force_login(physio)
        response = client.get(media_files.link(media.pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "video/mp4" and b"".join(response.streaming_content) == MP4
        assert response["Cache-Control"].startswith("private")

    def test_a_video_player_gets_the_range_it_asks_for(self, client, physio, media):
        client.force_login(physio)
        response = client.get(media_files.link(media.pk), headers={"Range": "bytes=4-11"})
        assert response.status_code == 206
        assert response.content == b"ftypmp42" and response["Content-Range"] == f"bytes 4-11/{len(MP4)}"

    def test_a_patient_whose_program_holds_the_exercise_gets_it_and_another_does_not(
        self, client, patient, physio, active, media
    ):
        client.force_login(patient.user)  # the active program holds the dead bug
        assert client.get(media_files.link(media.pk)).status_code == 200
        client.force_login(make_patient(physio=physio).user)
        assert client.get(media_files.link(media.pk)).status_code == 404

    def test_a_patient_gets_those_of_the_flare_up_plan_kept_for_them(
        self, client, clinic, patient, physio, active, library, clean_storage
    ):
        from programs.services import flare_plan_keep, flare_plan_prepare, program_add_exercise

        media = exercise_media_attach(
            clinic=clinic, exercise=library["bird-dog"], upload=upload(MP4, "v.mp4"), uploaded_by=physio
        )
        client.force_login(patient.user)
        assert client.get(media_files.link(media.pk)).status_code == 404
        plan = flare_plan_prepare(program=active.program, created_by=physio)
        program_add_exercise(version=plan, exercise=library["bird-dog"])
        flare_plan_keep(version=plan, by=physio, progression_reason="Bird dog is gentle for her.")
        assert client.get(media_files.link(media.pk)).status_code == 200

    def test_another_clinic_gets_a_404(self, client, media):
        client.force_login(PhysioFactory(clinic=ClinicFactory()))
        assert client.get(media_files.link(media.pk)).status_code == 404

    def test_an_expired_link_is_refused(self, client, physio, media):
        client.force_login(physio)
        url = media_files.link(media.pk)
        with override_settings(EXERCISE_MEDIA_LINK_SECONDS=-1):
            assert client.get(url).status_code == 403

    def test_a_forged_or_guessed_link_is_a_404(self, client, physio, media):
        client.force_login(physio)
        url = media_files.link(media.pk)
        token = url.rsplit("/", 2)[-2]
        forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        assert client.get(reverse("programs:exercise_media", args=[forged])).status_code == 404
        assert client.get(reverse("programs:exercise_media", args=[str(media.pk)])).status_code == 404

    def test_links_are_for_signed_in_users_only(self, client, media):
        response = client.get(media_files.link(media.pk))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
