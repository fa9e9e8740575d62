"""Production settings for the benchmarks, plus a trivial floor view (see bench/bench_urls.py).

Everything comes from rehab.settings with DEBUG off; the defaults below only make a bare
`DJANGO_SETTINGS_MODULE=bench.settings` safe: a rehab_bench_* database, Redis db 9, plain HTTP on loopback.
"""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rehab_bench_10k")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("STATIC_ROOT", str(Path(tempfile.gettempdir()) / "rehab-bench-static"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

from rehab.settings import *  # noqa: E402,F403

if not DATABASES["default"]["NAME"].startswith("rehab_bench"):  # noqa: F405
    raise ImproperlyConfigured("The benchmarks only run against databases named rehab_bench_*.")

ROOT_URLCONF = "bench.bench_urls"
