"""Small helpers shared by tests. Fixtures live in conftest.py; helpers are imported from here, never from a
conftest."""

import os
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Four shipped exercises that between them work every supporting muscle group.
BALANCED = ("dead-bug", "adductor-ball-squeeze", "clamshell", "side-plank-knees")


def wait_for(condition, timeout: float = 20.0) -> bool:
    """Poll until `condition()` is true (a real worker is doing the work), or give up after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def add_exercises(version, library, *keys):
    """Add shipped exercises, by key, to a draft version through the service."""
    from programs.services import program_add_exercise

    return [program_add_exercise(version=version, exercise=library[key]) for key in keys]


def send_checkin(version, *, days_ago=0, max_pain=1, pain_now=0, sharp_pain=False, key=None, **symptoms):
    """Send a check-in through the service, every exercise done."""
    from checkins.services import checkin_submit

    patient = version.program.patient
    saved, _created = checkin_submit(
        patient=patient,
        version=version,
        idempotency_key=key or uuid.uuid4(),
        outcomes={item.pk: "done" for item in version.items.all()},
        session_date=patient.clinic.local_today() - timedelta(days=days_ago),
        max_pain=max_pain,
        pain_now=pain_now,
        sharp_pain=sharp_pain,
        **symptoms,
    )
    return saved


def evaluate(checkin):
    """Apply the flag rules to a check-in, as its queued task does."""
    from flags.services import checkin_evaluate

    return checkin_evaluate(checkin_id=checkin.pk)


def flag_reasons(patient) -> list[str]:
    """The reasons of every flag the patient has, open or not, in order."""
    from flags.models import Flag

    return sorted(Flag.objects.filter(patient=patient).values_list("reason", flat=True))


def patient_form_data(physio, **overrides):
    """What the form that registers or edits a patient posts: a valid patient of the physiotherapist's clinic."""
    today = physio.clinic.local_today()
    data = {
        "first_name": "Tom",
        "last_name": "Becker",
        "email": "tom@example.com",
        "date_of_birth": (today - timedelta(days=365 * 33)).isoformat(),
        "onset_date": (today - timedelta(days=20)).isoformat(),
        "condition": "Low-back pain after a long drive.",
        "physiotherapist": physio.pk,
    }
    data.update(overrides)
    return data


def checkin_form_data(version, **overrides):
    """What the check-in form posts for a version, every exercise done; an override of None leaves a field out."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "version": str(version.pk),
        "session_date": version.program.patient.clinic.local_today().isoformat(),
        "max_pain": "3",
        "pain_now": "1",
        "sharp_pain": "no",
        "symptoms": ["none"],
        "note": "Felt stiff at first.",
    }
    for item in version.items.all():
        data[f"exercise_{item.pk}"] = "done"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@contextmanager
def count_queries():
    """The statements run inside the block, as django.test.utils.CaptureQueriesContext keeps them."""
    with CaptureQueriesContext(connection) as captured:
        yield captured


def _listing(captured) -> str:
    return "\n".join(f"  {i}. {query['sql']}" for i, query in enumerate(captured.captured_queries, 1))


def assert_same_query_count(few, many, *, what: str = "the queries") -> None:
    """The same number of statements ran for a small and a larger data set (two count_queries() results); on a
    mismatch, print both lists of statements so the one that grew with the data can be found."""
    if len(few) != len(many):
        raise AssertionError(
            f"{what}: {len(few)} statements with less data, {len(many)} with more.\n"
            f"With less data:\n{_listing(few)}\nWith more data:\n{_listing(many)}"
        )


# The first bytes of an MP4 file (an ISO media file of brand mp42), enough for the app to recognise one.
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + bytes(range(256)) * 8


def photo_upload(name: str = "photo.png", *, size=(40, 30), fmt: str = "PNG", exif: bytes | None = None):
    """A small photo made with Pillow, as a browser would upload it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (30, 140, 150)).save(out, format=fmt, **options)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def attach_photo(*, clinic, exercise, by, **kwargs):
    """A clinic's own photo of an exercise, through the service."""
    from programs.services import exercise_media_attach

    return exercise_media_attach(clinic=clinic, exercise=exercise, upload=photo_upload(**kwargs), uploaded_by=by)


def licensed_definition(key: str) -> dict:
    """A licensed instrument's template as a clinic's filled-in copy would be: placeholder wording, no template mark."""
    import json

    from outcomes.instruments import TEMPLATES_DIR

    data = json.loads((TEMPLATES_DIR / f"{key}.json").read_text(encoding="utf-8"))
    data.pop("template"), data.pop("note")
    data["licence"] = "Used under the clinic's licence (test copy)."
    return data


def load_licensed(clinic) -> dict:
    """Load the ODI, the RMDQ and the STarT Back Tool for a clinic; the instruments by key."""
    from outcomes.services import instrument_load

    return {
        key: instrument_load(data=licensed_definition(key), clinic=clinic)[0] for key in ("odi", "rmdq", "start-back")
    }


def answer_questionnaire(questionnaire, answers: dict[str, dict], *, send: bool = True, now=None):
    """Answer a questionnaire through the services, as the patient would one question at a time: `answers` maps an
    instrument key to {question key: value} (the PSFS: {"activities": [names], "activity-1": rating, ...}); then
    send it."""
    from outcomes.services import questionnaire_answer, questionnaire_send

    for measurement in questionnaire.measurements.select_related("instrument").order_by("position"):
        for key, value in answers.get(measurement.instrument.key, {}).items():
            questionnaire_answer(questionnaire=questionnaire, measurement_id=measurement.pk, key=key, value=value)
    return questionnaire_send(questionnaire=questionnaire, now=now) if send else questionnaire


def follow_up_due(patient, *, weeks: int = 4):
    """Bring the patient's next follow-up questionnaire due (as the hourly task does on its day); returns it."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from outcomes.models import Questionnaire
    from outcomes.services import questionnaires_make_due

    planned = Questionnaire.objects.get(patient=patient, timepoint="follow_up", status="scheduled")
    questionnaires_make_due(now=datetime.combine(planned.due_on, time(12), ZoneInfo(patient.clinic.time_zone)))
    return Questionnaire.objects.get(pk=planned.pk)


# --- Browser journeys (Playwright) -------------------------------------------------------------------------

# Debian's Chromium, headless; without these flags it stalls on a closed network.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def wait_until(page, expression: str, *, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page. Asked from the test again and again, not polled by a
    function inside the page (Playwright's wait_for_function), which the app's Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"Still not true after {timeout} s: {expression}")
        page.wait_for_timeout(50)


# Every control a finger can tap, with the smallest box it offers: a radio button or checkbox counts with its label
# (tapping either chooses it); a link in the middle of a sentence is left out (WCAG 2.5.8's inline exception), and
# so is a control not drawn (folded away in a closed <details>, or the skip link until it has focus).
TAP_TARGETS_JS = """() => {
  const shown = (r) => r.width > 0 && r.height > 0;
  const found = [];
  for (const el of document.querySelectorAll(
      "a[href], button, summary, select, textarea, input:not([type=hidden])")) {
    if (el.classList.contains("visually-hidden-focusable") && document.activeElement !== el) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    if (el.tagName === "A" && style.display === "inline" && el.parentElement &&
        el.parentElement.textContent.trim().length > el.textContent.trim().length) continue;
    const rects = [el.getBoundingClientRect()];
    if (el.type === "radio" || el.type === "checkbox") {
      for (const label of el.labels || []) rects.push(label.getBoundingClientRect());
    }
    const drawn = rects.filter(shown);
    if (!drawn.length) continue;
    const left = Math.min(...drawn.map((r) => r.left)), right = Math.max(...drawn.map((r) => r.right));
    const top = Math.min(...drawn.map((r) => r.top)), bottom = Math.max(...drawn.map((r) => r.bottom));
    const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim().slice(0, 50);
    found.push({tag: el.tagName.toLowerCase(), name: name, width: right - left, height: bottom - top});
  }
  return found;
}"""
MIN_TARGET = 44  # px, each way: WCAG 2.5.5's size for a control on a phone


def small_tap_targets(page) -> list[dict]:
    """The controls on the page smaller than MIN_TARGET x MIN_TARGET px, as the browser draws them."""
    targets = page.evaluate(TAP_TARGETS_JS)
    assert targets, "no control found on the page"
    return [t for t in targets if t["width"] < MIN_TARGET - 0.5 or t["height"] < MIN_TARGET - 0.5]


AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """What axe-core (pinned in package.json, installed by `make test`) finds wrong on the page: WCAG 2.1 A and AA
    and best practices. The page's context needs bypass_csp=True, since the app's Content-Security-Policy refuses
    an injected script."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` (make test does)")
    page.add_script_tag(content=AXE_JS.read_text())
    results = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}, resultTypes: ['violations']})"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
    ]
