"""Settings for the test suite: the real stack (PostgreSQL and Redis), with fast password hashing.

The suite connects to PostgreSQL the way a deployment does, with two roles (rehab/db_roles.py): the test database
and its tables belong to the owner's role, which runs the migrations; every test runs as the app's role, which owns
no table. Unless DATABASE_OWNER_URL names the owner (DATABASE_URL then names the app's role), the suite makes both
roles itself, as `<database>_owner` and `<database>_app`, through DATABASE_URL's role: that one must be able to make
roles and databases, as the local `postgres` superuser can (tests/conftest.py).
"""

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

# The role that makes the suite's roles and databases (and the databases of tests that build their own): with both
# roles given, the owner's (it may make databases: CREATEDB).
DATABASE_ADMIN = DATABASE_OWNER or {  # noqa: F405
    key: DATABASES["default"].get(key)  # noqa: F405
    for key in ("USER", "PASSWORD", "HOST", "PORT")
}
TEST_ROLES_MADE_BY_SUITE = DATABASE_OWNER is None  # noqa: F405
if TEST_ROLES_MADE_BY_SUITE:
    _name = DATABASES["default"]["NAME"]  # noqa: F405
    TEST_ROLE_PASSWORD = "test-role-password"  # noqa: S105 - roles of a throw-away test database
    DATABASE_OWNER = {**DATABASE_ADMIN, "USER": f"{_name}_owner", "PASSWORD": TEST_ROLE_PASSWORD}
    DATABASES["default"].update(USER=f"{_name}_app", PASSWORD=TEST_ROLE_PASSWORD)  # noqa: F405

# The suite empties the database, audit trail included, between the tests that need it (tests/testdb).
INSTALLED_APPS = ["tests.testdb", *INSTALLED_APPS]  # noqa: F405

# Every prepared query is checked against the same query built afresh (rehab.prepared).
PREPARED_QUERIES_CHECK = True
