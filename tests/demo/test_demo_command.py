"""`make demo` as a newcomer meets it: `manage.py demo` in a process of its own, on its own SQLite file and broker
folder, opened in a browser's place, then stopped with Ctrl-C (SIGINT)."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "rehab-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, and forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_in(self, email: str) -> None:
        _status, page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD})
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data.encode(), headers={"Referer": self.base}
        )
        self.opener.open(request, timeout=20).read()


@pytest.fixture
def demo(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "rehab.settings",  # the demo's, not the test suite's
        "DATABASE_URL": "",
        "DATABASE_OWNER_URL": "",
        "REDIS_URL": "",
        "SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "CELERY_FS_BROKER_DIR": str(tmp_path / "broker"),
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    browser = Browser(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if browser.get("/healthz")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None:
            pytest.fail(process.stdout.read())
        time.sleep(0.5)
    yield process, browser, tmp_path
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def stop(process) -> tuple[str, int]:
    time.sleep(3)  # the worker has the demo's first tasks to do
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole foreground group
    output, _ = process.communicate(timeout=60)
    return output, process.returncode


def test_the_demo_starts_quietly_shows_the_apps_own_pages_and_stops_cleanly(demo):
    process, browser, folder = demo
    status, page = browser.get("/a/mistyped/address/")
    assert status == 404 and "We could not find that" in page and "URLconf" not in page  # the app's own 404
    browser.log_in("maria.lopez@example.com")
    assert browser.get("/today/")[0] == 200
    assert browser.get("/flags/")[0] == 403  # a patient at the clinic's flag queue: refused
    output, returncode = stop(process)

    assert returncode == 0
    banner = output.split("Stopped the web server")[0]
    assert "open http://127.0.0.1:" in banner and "admin@riverside.example" in banner and PASSWORD in banner
    assert "Traceback" not in output  # a refused page is one line, not a traceback
    assert len(re.findall(r"Forbidden \(Permission denied\): /flags/", output)) == 1
    assert "Not Found: /a/mistyped/address/" in output
    # No e-mail printed whole, no set-password e-mail for the demo's own accounts, no worker noise at the end.
    for noise in ("Subject:", "set your password", "ForkPoolWorker", "SIGKILL", "celery@", "Performing system checks"):
        assert noise not in output, noise
    kept = [path.read_text() for path in (folder / "mail").glob("*.log")] if (folder / "mail").exists() else []
    assert not any("set your password" in text for text in kept)
