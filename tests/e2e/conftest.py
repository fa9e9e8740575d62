"""Browser journeys: Debian's Chromium, headless, driven by Playwright against pytest-django's live server."""

import os
import threading
import time

import pytest
from django.core.signals import request_finished, request_started

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, DESK, PHONE


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt-get install chromium)")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class RequestsInFlight:
    """The requests Django is answering, counted through its request signals, and when that last changed."""

    def __init__(self):
        self.count = 0
        self.changed = time.monotonic()
        self.lock = threading.Lock()

    def started(self, **kwargs):
        with self.lock:
            self.count += 1
            self.changed = time.monotonic()

    def finished(self, **kwargs):
        with self.lock:
            self.count -= 1
            self.changed = time.monotonic()

    def quiet_for(self, seconds: float) -> bool:
        with self.lock:
            return self.count <= 0 and time.monotonic() - self.changed >= seconds


@pytest.fixture(autouse=True)
def live_server_answered_everything(request):
    """After a browser test, wait until the live server has answered every request before the database is emptied.

    A browser's requests outlive its closed context: the offline service worker fetches the patient's pages in the
    background, and the server answers them in threads of its own. One still reading while the test database is
    flushed can deadlock with the flush's TRUNCATE, which then fails and leaves the rows for the next test. This
    fixture is set up after the database (pytest-django's live-server helper asks for it first) and before any page,
    so it is torn down after every browser context has closed and before the flush.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    in_flight = RequestsInFlight()
    request_started.connect(in_flight.started, dispatch_uid="e2e-in-flight-started")
    request_finished.connect(in_flight.finished, dispatch_uid="e2e-in-flight-finished")
    try:
        yield
        deadline = time.monotonic() + 30
        while not in_flight.quiet_for(0.1):
            if time.monotonic() > deadline:
                pytest.fail(f"The live server was still answering {in_flight.count} request(s) 30 s after the test")
            time.sleep(0.05)
    finally:
        request_started.disconnect(dispatch_uid="e2e-in-flight-started")
        request_finished.disconnect(dispatch_uid="e2e-in-flight-finished")


@pytest.fixture
def desk_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **DESK)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
