"""Take the README's screenshots from a running demo (`make demo` in another terminal).

Usage: .venv/bin/python docs/screenshots.py [base-url]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).parent / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "rehab-demo-2026"  # noqa: S105 - the demo's published password


def log_in(page, email):
    page.goto(f"{BASE}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def shot(page, name, *, full_page=True):
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"{name}.png", full_page=full_page)


def main():
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        desk = browser.new_context(viewport={"width": 1280, "height": 860})
        page = desk.new_page()
        log_in(page, "alex.morgan@riverside.example")
        shot(page, "physio-dashboard")
        page.get_by_role("link", name="Khan, Aisha").first.click()
        shot(page, "patient-detail")
        page.goto(f"{BASE}/programs/patient/{page.url.rstrip('/').split('/')[-1]}/")
        page.get_by_role("button", name="Revise program").click()
        shot(page, "program-builder")
        desk.close()

        desk = browser.new_context(viewport={"width": 1280, "height": 860})
        page = desk.new_page()
        log_in(page, "admin@riverside.example")
        shot(page, "flag-queue")
        page.locator("tbody tr a").first.click()
        shot(page, "flag-detail")
        desk.close()

        # Still figures: the two positions of each exercise side by side, as a reader who asked for reduced motion
        # sees them (a moving figure would be caught mid-way).
        phone = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, reduced_motion="reduce"
        )
        page = phone.new_page()
        log_in(page, "maria.lopez@example.com")
        shot(page, "patient-today-phone", full_page=False)
        card = page.locator(".exercise-card").first
        card.locator("summary").click()  # "How to do it", unfolded
        card.scroll_into_view_if_needed()
        card.screenshot(path=OUT / "exercise-card-phone.png")
        page.goto(f"{BASE}/check-ins/new/")
        page.get_by_role("group", name="Highest pain during the session").get_by_text("Moderate", exact=True).tap()
        page.get_by_role("group", name="Pain now").get_by_text("Mild", exact=True).tap()
        for outcome in page.locator(".outcome-buttons").all():
            outcome.get_by_text("Done", exact=True).tap()
        shot(page, "checkin-phone")
        page.goto(f"{BASE}/check-ins/")
        shot(page, "history-phone")
        browser.close()


if __name__ == "__main__":
    main()
