import pytest
from playwright.sync_api import expect

from programs.models import Program, ProgramVersion
from tests.factories import PASSWORD, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import log_in, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def add_exercise(page, search, name):
    box = page.get_by_label("Search the library")
    box.fill(search)
    # Enter submits the search too: if the fill landed in the moment after the last swap, before htmx had
    # wired the new search box, the typing alone would send nothing (the form also works without htmx).
    box.press("Enter")
    # The search may answer twice (Enter, and the typing after a short pause) or, before htmx has wired the form,
    # as a whole page: let the answers settle before pressing Add, so that the press lands on the list as it stays.
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name=f"Add {name}", exact=True).click()
    expect(page.locator(".builder-item", has_text=name)).to_be_visible()


def settle(page, action):
    """Do `action` and wait until htmx has swapped and settled the answer in."""
    page.evaluate(
        "window.__settled = 0; if (!window.__counting) { window.__counting = true;"
        " document.addEventListener('htmx:afterSettle', () => { window.__settled += 1; }); }"
    )
    action()
    for _ in range(200):
        if page.evaluate("window.__settled") > 0:
            return
        page.wait_for_timeout(25)
    raise AssertionError("htmx did not swap an answer in")


def item_names(page):
    return [n.strip() for n in page.locator(".builder-item").evaluate_all("els => els.map(e => e.dataset.exercise)")]


def test_physio_builds_balances_reorders_and_activates_a_program(desk_page, shipped_library):
    clinic = ClinicFactory(name="Harbour Physio")
    physio = PhysioFactory(clinic=clinic, email="alex@harbour.example")
    patient = make_patient(physio=physio, first_name="Omar", last_name="Haddad", onset_days=300)
    page = desk_page
    log_in(page, physio.email, PASSWORD)

    page.get_by_role("link", name="Haddad, Omar").click()  # from the dashboard
    page.get_by_role("link", name="Exercise program").click()
    expect(page.get_by_text("Omar has no program in force.")).to_be_visible()
    page.get_by_label("Title").fill("Strength and balance, block 1")
    page.get_by_role("button", name="Open the builder").click()
    expect(page.get_by_text("No exercises yet.")).to_be_visible()

    add_exercise(page, "dead bug", "Dead bug")
    add_exercise(page, "clamshell", "Clamshell")
    add_exercise(page, "glute bridge", "Glute bridge")
    add_exercise(page, "side plank on knees", "Side plank on knees")
    assert item_names(page) == ["Dead bug", "Clamshell", "Glute bridge", "Side plank on knees"]
    warning = page.locator("#balance-warning")
    expect(warning).to_contain_text("adductors")

    # Reorder in place: the page is not reloaded (the marker set on window survives).
    page.evaluate("window.__noReload = true")
    page.get_by_role("button", name="Move Side plank on knees up").click()
    expect(page.locator(".builder-item").nth(2)).to_contain_text("Side plank on knees")
    assert item_names(page) == ["Dead bug", "Clamshell", "Side plank on knees", "Glute bridge"]
    assert page.evaluate("window.__noReload") is True

    # Fix the balance: swap the bridge for an adductor exercise.
    settle(page, lambda: page.get_by_role("button", name="Remove Glute bridge").press("Enter"))  # by keyboard
    expect(page.locator(".builder-item", has_text="Glute bridge")).to_have_count(0)
    # Focus stays in the builder, where the removed exercise was, not back at the top of the page. (Waited for:
    # the swap that removed it may still be settling, and focus moves once it has.)
    wait_until(page, "document.activeElement && document.activeElement.closest('#builder') !== null")
    page.get_by_label("Muscle group").select_option("adductors")
    # As in add_exercise: the change may land before htmx has wired the builder the removal just swapped in,
    # so submit the search too.
    settle(page, lambda: page.get_by_label("Search the library").press("Enter"))
    settle(page, lambda: page.get_by_role("button", name="Add Lying adductor squeeze with ball").press("Enter"))
    expect(page.locator("#balance-warning")).to_have_count(0)
    # Its Add button is gone (it is in the program now): focus stays on the same row of the library list.
    row = page.locator("#picker-results li", has_text="Lying adductor squeeze with ball")
    expect(row.get_by_role("link")).to_be_focused()
    expect(page.locator("#balance-ok")).to_be_visible()
    assert len(item_names(page)) == 4

    # Discarding the draft asks first; saying no keeps it.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Discard this draft").click()
    expect(page.locator(".builder-item")).to_have_count(4)
    assert asked == ["Discard this draft? Its exercises and schedule cannot be brought back."]

    page.get_by_role("button", name="Activate program").click()
    expect(page.get_by_text("Version 1 of the program is now in force.")).to_be_visible()
    expect(page.get_by_role("heading", name="Strength and balance, block 1 Version 1 in force")).to_be_visible()
    program = Program.objects.get(patient=patient)
    assert program.status == Program.Status.ACTIVE
    version = program.versions.get()
    assert version.status == ProgramVersion.Status.ACTIVE
    assert list(version.items.order_by("position").values_list("exercise__key", flat=True)) == [
        "dead-bug",
        "clamshell",
        "side-plank-knees",
        "adductor-ball-squeeze",
    ]
