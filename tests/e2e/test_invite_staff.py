import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from playwright.sync_api import expect

from rehab.celery import app
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory
from tests.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """The invitation email goes out through Celery, as in production."""
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def test_admin_invites_a_physio_who_sets_a_password_and_logs_in(browser, live_server, settings, worker):
    settings.SITE_URL = live_server.url
    admin = ClinicAdminFactory(clinic=ClinicFactory(name="Harbour Physio"), email="jo@harbour.example")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    log_in(page, admin.email, PASSWORD)
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Patel")
    page.get_by_label("Email").fill("sam@harbour.example")
    page.get_by_label("Role").select_option("physio")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Sam Patel is invited")).to_be_visible()
    expect(page.locator(".staff-table tr", has_text="Sam Patel")).to_contain_text("Invited, no password yet")
    page.get_by_role("button", name="Log out").click()

    invitations = [m for m in mail.outbox if m.to == ["sam@harbour.example"]]
    for _ in range(100):
        if invitations:
            break
        page.wait_for_timeout(100)
        invitations = [m for m in mail.outbox if m.to == ["sam@harbour.example"]]
    assert invitations, "the invitation email was not sent"
    link = re.search(r"https?://\S+", invitations[0].body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome – set your password")).to_be_visible()
    page.locator("#id_new_password1").fill("a-good-long-passphrase-2026")
    page.locator("#id_new_password2").fill("a-good-long-passphrase-2026")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, "sam@harbour.example", "a-good-long-passphrase-2026")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    context.close()
