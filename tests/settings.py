"""Settings for the test suite: the real stack (PostgreSQL and Redis), with fast password hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rehab")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-suite-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from rehab.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Exercise media go to a folder of this run's own, never the demo's var/media, removed when the run ends.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_media_dir = tempfile.mkdtemp(prefix="rehab-test-media-")
atexit.register(shutil.rmtree, _media_dir, ignore_errors=True)
STORAGES["exercise_media"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": _media_dir, "base_url": "/no-public-url/"},
}
