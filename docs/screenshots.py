"""Take the README's screenshots from a running demo (`make demo` in another terminal).

Usage: .venv/bin/python docs/screenshots.py [base-url]
"""

import sys
from datetime import date, timedelta
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


def main():
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        desk = browser.new_context(viewport={"width": 1200, "height": 800})
        page = desk.new_page()
        log_in(page, "alex.morgan@riverside.example")
        page.screenshot(path=OUT / "patient-list.png", full_page=True)
        page.get_by_role("link", name="Khan, Aisha").click()
        page.screenshot(path=OUT / "patient-detail.png", full_page=True)
        page.goto(f"{BASE}/patients/new/")
        page.get_by_label("First name").fill("Ruth")
        page.get_by_label("Last name").fill("Adams")
        page.get_by_label("Contact email").fill("ruth.adams@example.com")
        page.get_by_label("Date of birth").fill("1970-04-02")
        page.get_by_label("Injury onset date").fill((date.today() + timedelta(days=5)).isoformat())
        page.get_by_label("Condition").fill("Low-back pain after moving house.")
        page.get_by_role("button", name="Register patient").click()
        page.screenshot(path=OUT / "register-error.png", full_page=True)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        log_in(page, "maria.lopez@example.com")
        page.screenshot(path=OUT / "patient-phone.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
