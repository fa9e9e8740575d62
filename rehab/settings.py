"""Settings for the back-rehab clinic app, read from the environment.

Production sets DEBUG off (the default) and must then provide SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL
(see .env.example). `make demo` sets DEMO=1: the app as a clinic sees it, on this machine only, with an embedded
SQLite file, a Celery broker on the file system (no server needed) and e-mails kept as files. DEBUG=1 is for
development: Django's debug pages, the same local defaults.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# `make demo`: the app as a clinic would see it (its own error pages, no debug pages), on this machine only: an
# SQLite file, plain HTTP on 127.0.0.1, a key of its own. Never set it anywhere else.
DEMO = env.bool("DEMO", default=False)
LOCAL = DEBUG or DEMO

if LOCAL:
    SECRET_KEY = env("SECRET_KEY", default="demo-only-secret-key-not-for-production")  # noqa: S105
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (copy .env.example to .env for a local run)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if LOCAL else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The product's own apps, each depending only on those before it in this list.
PRODUCT_APPS = ["rehab", "patients", "programs", "checkins", "flags", "reminders", "outcomes", "demo"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "phonenumber_field",
    *PRODUCT_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rehab.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rehab.middleware.ClinicTimezoneMiddleware",
    "rehab.audit.AuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and locks an account out after repeated failures (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures lock an account whatever address they come from, and an address whichever accounts it tries, each at its
# own limit (rehab/lockout.py); a lock lasts the cool-off, or until the account's owner sets a new password by email.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)  # wrong passwords for one account
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)  # failed log-ins from one address
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_HANDLER = "rehab.lockout.LoginLockoutHandler"
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (it holds the email address)
AXES_USERNAME_CALLABLE = "rehab.permissions.login_attempt_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "rehab.lockout.lockout_response"
AXES_VERBOSE = False

# Sessions end after inactivity: soon for staff (shared desk computers), later for patients.
STAFF_IDLE_SECONDS = env.int("STAFF_IDLE_SECONDS", default=30 * 60)
PATIENT_IDLE_SECONDS = env.int("PATIENT_IDLE_SECONDS", default=14 * 24 * 60 * 60)
OTP_TOTP_ISSUER = "Back rehab clinic"
# Behind a proxy that appends the client's address to X-Forwarded-For, set this so that the audit trail
# and the login lockout see real client addresses rather than the proxy's.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
AXES_CLIENT_IP_CALLABLE = "rehab.audit.client_ip"

# Content-Security-Policy: scripts, styles and everything else from the app's own origin only.
# Images may also be data: URIs, which Bootstrap's stylesheet uses for its small icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],  # the service worker (/sw.js) and the scripts it imports
        "manifest-src": ["'self'"],  # the web app manifest
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

ROOT_URLCONF = "rehab.urls"
WSGI_APPLICATION = "rehab.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL via DATABASE_URL; an embedded SQLite file for the demo when it is unset.
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Planner settings for this app, measured in bench/. JIT compiles the sweep's large queries afresh
        # on every run and costs more than it saves (the 100,000-patient sweep took 38 s with it, 6 s
        # without). A random page read costs about as much as a sequential one on the SSDs PostgreSQL runs
        # on today; with the default (4, for spinning disks) the planner scans the whole patient table
        # in parallel rather than read one clinic's rows through its index (queue counts: 9 ms -> 1.6 ms).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "options", env("PG_OPTIONS", default="-c jit=off -c random_page_cost=1.1")
        )
        # Choice lists (ModelChoiceField) iterate their querysets; a server-side cursor costs two more round
        # trips for a few dozen rows, and does not survive a transaction-pooling PgBouncer.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        # Parameters bound by the server, so that psycopg prepares a statement once a connection has run it
        # PG_PREPARE_THRESHOLD times: PostgreSQL then skips parsing and planning it again. Every page runs the
        # same few statements with other values (session, user, clinic, its queries), and their planning cost
        # more than their execution (bench/README.md). Set PG_PREPARE_THRESHOLD empty behind a connection
        # pooler that cannot carry prepared statements (PgBouncer before 1.21, in transaction mode): the app
        # then binds parameters itself, as Django does by default.
        prepare_threshold = env("PG_PREPARE_THRESHOLD", default="5").strip()
        if prepare_threshold:
            if not prepare_threshold.isdigit():
                raise ImproperlyConfigured("PG_PREPARE_THRESHOLD must be a whole number of runs, or empty for never.")
            DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
            DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", int(prepare_threshold))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(VAR_DIR / "demo.sqlite3")),
            # The demo's web server, worker and beat share one file: wait for locks rather than fail.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
    # SQLite cannot defer a unique check, so the one on an exercise's position exists only on
    # PostgreSQL (checked at commit, which lets the builder swap two positions in one transaction).
    SILENCED_SYSTEM_CHECKS = ["models.W038"]

# Two database roles (README, Configuration). The app connects as DATABASE_URL's role, which owns no table: it reads
# and writes rows, and may only add and read rows of the audit trail. Migrations run as DATABASE_OWNER_URL's role,
# which owns every table (rehab/db_roles.py). Only the role, its password and where to reach the server are taken
# from the owner's URL: both must name the same database.
DATABASE_OWNER = None
if env("DATABASE_OWNER_URL", default=""):
    if not env("DATABASE_URL", default=""):
        raise ImproperlyConfigured("DATABASE_OWNER_URL is set but DATABASE_URL is not: set both, or neither.")
    _owner = env.db("DATABASE_OWNER_URL")
    if (_owner["ENGINE"], _owner["NAME"]) != (DATABASES["default"]["ENGINE"], DATABASES["default"]["NAME"]):
        raise ImproperlyConfigured("DATABASE_OWNER_URL must name the same database as DATABASE_URL.")
    if _owner["USER"] == DATABASES["default"]["USER"]:
        raise ImproperlyConfigured("DATABASE_OWNER_URL must name another role than DATABASE_URL: the table owner.")
    DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "rehab.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "rehab.validators.MaximumLengthValidator"},  # rehab.rules.PASSWORD_MAX_LENGTH
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Links to set or reset a password are valid for three days.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # A clinic's own exercise photos and videos: private, served only through the app's short-lived signed links.
    # The demo keeps them on the file system (outside static files, with no URL of their own); production sets
    # MEDIA_S3_BUCKET and keeps them in S3-compatible object storage (MinIO in docker-compose.yml).
    "exercise_media": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("MEDIA_ROOT", default=str(VAR_DIR / "media")), "base_url": "/no-public-url/"},
    },
}
if env("MEDIA_S3_BUCKET", default=""):
    STORAGES["exercise_media"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("MEDIA_S3_BUCKET"),
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("MEDIA_S3_REGION", default="") or None,
            "access_key": env("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": "exercise-media",
            "default_acl": "private",  # the bucket and every object stay private
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Signed links to exercise media stop working after this many seconds (a page shown longer asks for fresh ones).
EXERCISE_MEDIA_LINK_SECONDS = env.int("EXERCISE_MEDIA_LINK_SECONDS", default=15 * 60)
EXERCISE_MEDIA_MAX_PHOTO_BYTES = env.int("EXERCISE_MEDIA_MAX_PHOTO_BYTES", default=10 * 1024 * 1024)
EXERCISE_MEDIA_MAX_VIDEO_BYTES = env.int("EXERCISE_MEDIA_MAX_VIDEO_BYTES", default=25 * 1024 * 1024)

# Apps depend one way (outcomes -> reminders -> flags -> checkins -> programs -> patients -> rehab). Where a lower app's
# page shows a higher app's data, the higher app supplies a panel, a function (request, ...) -> HTML, listed here:
PATIENT_DETAIL_PANELS = [  # the patient page
    "flags.panels.patient_flags",
    "outcomes.panels.patient_outcomes",
    "checkins.panels.patient_progress",
    "reminders.panels.patient_reminders",
]
PATIENT_MY_DETAILS_PANELS = [  # the patient's own page (My details), after their own details
    "reminders.panels.my_reminders",
    "programs.panels.my_calendar",
]
PATIENT_THRESHOLD_NOTES = ["outcomes.panels.start_back_risk"]  # the patient page, beside the pain threshold
PATIENT_TODAY_PANELS = ["outcomes.panels.due_questionnaires"]  # the patient's Today page, below the check-in
STAFF_PAGE_PANELS = ["patients.panels.caseloads"]  # the clinic admin's staff page
# Beside each version in a program's history: (request, versions) -> {version id: HTML} (the flag it was made after).
PROGRAM_VERSION_NOTES = ["flags.panels.version_flags"]
# ...and where a lower app's change concerns a higher app's rows, the higher app's service is called in the same
# transaction: (patient_ids, previous physiotherapist by patient id, to, by, note) when patients are reassigned,
PATIENT_REASSIGN_HOOKS = ["flags.services.flags_note_reassignment"]
# (user, keep_endpoint) when an account's other sessions end (log out everywhere, a new password, a reset one): what
# reaches those devices stops with them (the reminders app forgets their notification subscriptions, but this one's).
USER_OTHER_DEVICES_HOOKS = ["reminders.services.push_forget_other_devices"]
# (episode, by) when a course of care opens (registration, a new referral),
EPISODE_OPEN_HOOKS = ["outcomes.services.questionnaires_open_episode"]
# and (episode, by) when a patient is discharged: each app stops what it does for them (reminders join this list).
EPISODE_DISCHARGE_HOOKS = [
    "programs.services.programs_end_at_discharge",
    "flags.services.flags_close_at_discharge",
    "outcomes.services.questionnaires_at_discharge",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis carries Celery's messages and backs the cache. Without REDIS_URL the demo uses kombu's
# file-system transport, so a real worker and beat run with no server installed.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    _broker_dir = Path(env("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Saving a report must never wait long on a broker that is down: publish fails fast, the sweep
# picks the work up later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-flags": {"task": "flags.tasks.sweep_flags", "schedule": crontab(minute="*/15")},
    "escalate-flags": {"task": "flags.tasks.escalate_flags", "schedule": crontab(minute="*/5")},
    "rest-digests": {"task": "flags.tasks.send_rest_digests", "schedule": crontab(minute=0, hour=7)},
    "questionnaires-due": {"task": "outcomes.tasks.make_questionnaires_due", "schedule": crontab(minute=40)},
    "session-reminders": {"task": "reminders.tasks.send_session_reminders", "schedule": crontab(minute="*/5")},
    "rest-nudges": {"task": "reminders.tasks.send_rest_nudges", "schedule": crontab(minute="2-59/5")},
    "clear-expired-sessions": {
        "task": "rehab.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}

# Email: console in the demo, SMTP in production (EMAIL_URL, e.g. smtp+tls://user:pass@host:587).
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # the demo keeps its e-mails here
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Back rehab clinic <no-reply@clinic.example>")
# Absolute links in emails (set-password links) are built from this origin.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Web Push (reminders on the patient's phone or computer): the VAPID key pair that signs the app's notifications
# (the private key as base64url of its 32 bytes or of its DER, the public one as base64url of its uncompressed point)
# and who the push services may contact. Without a pair, reminders go by e-mail only; the demo makes a pair of its own.
WEB_PUSH_VAPID_PRIVATE_KEY = env("WEB_PUSH_VAPID_PRIVATE_KEY", default="")
WEB_PUSH_VAPID_PUBLIC_KEY = env("WEB_PUSH_VAPID_PUBLIC_KEY", default="")
WEB_PUSH_CONTACT = env("WEB_PUSH_CONTACT", default="mailto:" + DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">"))
WEB_PUSH_ALLOW_HTTP = False  # push services are reached over HTTPS only (tests run one of their own on loopback)
if DEMO and not WEB_PUSH_VAPID_PRIVATE_KEY:
    from .vapid import demo_key_pair

    WEB_PUSH_VAPID_PRIVATE_KEY, WEB_PUSH_VAPID_PUBLIC_KEY = demo_key_pair(VAR_DIR / "vapid.json")

# The demo serves static files straight from the app's folders (nothing to collect first).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = LOCAL

# Security. Production (DEBUG off) gets HTTPS-only cookies and HSTS; the demo runs over plain HTTP.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not LOCAL:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_in_one_line": {"()": "rehab.logs.RefusalsInOneLine"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals_in_one_line"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own loggers print once, through the root's handler (not a second time through Django's default
        # handlers, which these settings replace).
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # A refused page is told once, by django.request; the development server's own line adds only 5xx.
        "django.server": {"handlers": [], "level": "ERROR", "propagate": True},
        # The demo's one-line notes of the e-mails it keeps (demo.mail), whatever the level of the rest.
        "demo": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Form widgets are drawn by Jinja2 from Django's own widget templates, others (the admin's) by Django's engine.
FORM_RENDERER = "rehab.renderers.FormRenderer"

# Hot queries compiled once per process (rehab.prepared); with the check on, each call also builds its query afresh
# and fails unless both give the same SQL and values (the test suite and DEBUG).
PREPARED_QUERIES_CHECK = env.bool("PREPARED_QUERIES_CHECK", default=DEBUG)
