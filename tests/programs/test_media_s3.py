"""Exercise media in S3-compatible object storage, as in production: moto's S3 server, started here on a free
loopback port, stands in for MinIO. Nothing leaves this machine."""

import socket

import boto3
import pytest
from django.core.files.storage import storages
from django.test import override_settings

from programs import media as media_files
from programs.models import ExerciseMedia
from programs.services import exercise_media_remove
from tests.helpers import attach_photo

BUCKET = "clinic-exercise-media"
KEYS = {"access_key": "testing-key", "secret_key": "testing-secret"}  # moto accepts any


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-2",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    # The production settings (rehab/settings.py with MEDIA_S3_BUCKET set), pointed at the local server.
    config = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": s3_endpoint,
            "region_name": "eu-west-2",
            **KEYS,
            "location": "exercise-media",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    with override_settings(STORAGES={**settings.STORAGES, "exercise_media": config}):
        assert type(storages["exercise_media"]).__name__ == "S3Storage"
        yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_photo_is_stored_privately_in_the_bucket_and_served_through_the_app(
    s3_storage, clinic, physio, library, client, django_capture_on_commit_callbacks
):
    item = attach_photo(clinic=clinic, exercise=library["glute-bridge"], by=physio)
    keys = sorted(o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted([f"exercise-media/{item.file_name}", f"exercise-media/{item.thumbnail_name}"])
    for key in keys:
        grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: nothing public
        assert all("AllUsers" not in str(g["Grantee"]) for g in grants)
        assert s3_storage.head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0

    client.force_login(physio)
    response = client.get(media_files.link(item.pk, "thumb"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG, from the bucket

    with django_capture_on_commit_callbacks(execute=True):
        exercise_media_remove(media=item)
    assert s3_storage.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert not ExerciseMedia.objects.exists()
