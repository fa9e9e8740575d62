"""Hostile input in every free-text field: each value is refused with a clear message or stored and shown
verbatim (escaped), never a server error. The number of inputs tried is reported in the issue notes."""

import uuid

import pytest
from django.urls import reverse

from tests.test_access import world  # noqa: F401  (the same seeded clinic, rolled back per test)

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "sql": "'; DROP TABLE patients_patient; --",
    "sql_or": "1 OR 1=1",
    "long": "x" * 5000,
    "unicode": "Zoë Ångström — 患者 مرحبا 🙂",
    "number": "12345",
    "nul": "bad\x00value",
}
RAW_MARKUP = ("<script>alert('x')</script>", "<img src=x onerror=alert(1)>")


def checkin(w, value):
    item = w["active_version"].items.get()
    return {
        "idempotency_key": str(uuid.uuid4()),
        "version": w["active_version"].pk,
        "session_date": w["today"].isoformat(),
        f"exercise_{item.pk}": "done",
        "max_pain": "1",
        "pain_now": "0",
        "sharp_pain": "no",
        "symptoms": ["none"],
        "note": value,
    }


def patient_form(w, field, value):
    data = {
        "first_name": "Ann",
        "last_name": "Other",
        "email": "ann.other@example.com",
        "date_of_birth": "1980-01-01",
        "onset_date": w["today"].isoformat(),
        "condition": "Back pain",
        "physiotherapist": w["physio"].pk,
    }
    return data | {field: value}


def exercise_form(field, value):
    data = {
        "name": "Hostile test exercise",
        "category": "strength",
        "difficulty": "2",
        "equipment": "mat",
        "muscle_groups": ["core"],
        "summary": "Summary",
        "instructions": "Step one\nStep two",
        "sets": "2",
        "reps": "8",
        "rest_seconds": "30",
    }
    return data | {field: value}


# (role, url, data builder, page that shows the value; None: the page the form redirects to)
def clinic_settings(**values) -> dict:
    """The clinic's Settings form, valid but for the values given."""
    return {
        "name": "Hostile input clinic",
        "time_zone": "Europe/London",
        "urgent_ack_minutes": "60",
        "ack_hours": "24",
        "rest_days_allowed": "2",
        "progression_percent": "10",
        "progress_min_sessions": "6",
        "progress_min_days": "14",
        "progress_min_adherence": "80",
        "ease_off_percent": "25",
        "flare_up_days": "3",
        "max_pause_weeks": "8",
    } | values


CASES = {
    "patient.first_name": (
        "physio",
        lambda w: reverse("patients:create"),
        lambda w, v: patient_form(w, "first_name", v),
        lambda w: reverse("patients:list"),
    ),
    "patient.last_name": (
        "physio",
        lambda w: reverse("patients:edit", args=[w["target"].pk]),
        lambda w, v: patient_form(w, "last_name", v) | {"email": w["target"].user.email},
        lambda w: reverse("patients:detail", args=[w["target"].pk]),
    ),
    "patient.condition": (
        "physio",
        lambda w: reverse("patients:edit", args=[w["target"].pk]),
        lambda w, v: patient_form(w, "condition", v) | {"email": w["target"].user.email},
        lambda w: reverse("patients:detail", args=[w["target"].pk]),
    ),
    "threshold.reason": (
        "physio",
        lambda w: reverse("patients:threshold", args=[w["target"].pk]),
        lambda w, v: {"value": "3", "reason": v},
        lambda w: reverse("patients:detail", args=[w["target"].pk]),
    ),
    "exercise.name": (
        "physio",
        lambda w: reverse("programs:exercise_create"),
        lambda w, v: exercise_form("name", v),
        None,
    ),
    "exercise.summary": (
        "physio",
        lambda w: reverse("programs:exercise_create"),
        lambda w, v: exercise_form("summary", v),
        None,
    ),
    "exercise.instructions": (
        "physio",
        lambda w: reverse("programs:exercise_create"),
        lambda w, v: exercise_form("instructions", v),
        None,
    ),
    "program.title": (
        "physio",
        lambda w: reverse("programs:builder_schedule", args=[w["draft"].pk]),
        lambda w, v: {"title": v, "start_date": w["today"].isoformat(), "weekdays": ["0", "2", "4"]},
        lambda w: reverse("programs:builder", args=[w["draft"].pk]),
    ),
    "item.notes": (
        "physio",
        lambda w: reverse("programs:item_update", args=[w["item"].pk]),
        lambda w, v: {
            f"item-{w['item'].pk}-sets": "2",
            f"item-{w['item'].pk}-reps": "8",
            f"item-{w['item'].pk}-rest_seconds": "30",
            f"item-{w['item'].pk}-notes": v,
        },
        lambda w: reverse("programs:builder", args=[w["draft"].pk]),
    ),
    "template.name": (
        "physio",
        lambda w: reverse("programs:builder_template", args=[w["draft"].pk]),
        lambda w, v: {"name": v, "description": v[:300]},
        lambda w: reverse("programs:template_list"),
    ),
    "pause.reason": (
        "physio",
        lambda w: reverse("programs:pause", args=[w["target"].pk]),
        lambda w, v: {"starts_on": w["today"].isoformat(), "ends_on": w["today"].isoformat(), "reason": v},
        lambda w: reverse("programs:patient", args=[w["target"].pk]),
    ),
    "checkin.note": ("patient", lambda w: reverse("checkins:create"), checkin, lambda w: reverse("checkins:history")),
    "flag.note": (
        "clinic_admin",
        lambda w: reverse("flags:resolve", args=[w["flag"].pk]),
        lambda w, v: {"outcome": "no_action", "note": v},
        lambda w: reverse("flags:detail", args=[w["flag"].pk]),
    ),
    "invite.first_name": (
        "clinic_admin",
        lambda w: reverse("staff_invite"),
        lambda w, v: {"first_name": v, "last_name": "L", "email": "new@example.com", "role": "physio"},
        lambda w: reverse("staff_list"),
    ),
    "clinic.name": (
        "clinic_admin",
        lambda w: reverse("clinic_settings"),
        lambda w, v: clinic_settings(name=v),
        lambda w: reverse("clinic_settings"),
    ),
    "clinic.phone": (
        "clinic_admin",
        lambda w: reverse("clinic_settings"),
        lambda w, v: clinic_settings(phone=v),
        lambda w: reverse("clinic_settings"),
    ),
    "threshold.value": (
        "physio",
        lambda w: reverse("patients:threshold", args=[w["target"].pk]),
        lambda w, v: {"value": v, "reason": "Numbers as text"},
        lambda w: reverse("patients:detail", args=[w["target"].pk]),
    ),
    "checkin.max_pain": (
        "patient",
        lambda w: reverse("checkins:create"),
        lambda w, v: checkin(w, "note") | {"max_pain": v},
        lambda w: reverse("checkins:history"),
    ),
    "dose.sets": (
        "physio",
        lambda w: reverse("programs:item_update", args=[w["item"].pk]),
        lambda w, v: {
            f"item-{w['item'].pk}-sets": v,
            f"item-{w['item'].pk}-reps": "8",
            f"item-{w['item'].pk}-rest_seconds": "30",
        },
        lambda w: reverse("programs:builder", args=[w["draft"].pk]),
    ),
    "search.patients": ("physio", None, None, lambda w: reverse("patients:list")),
    "search.flags": ("clinic_admin", None, None, lambda w: reverse("flags:queue")),
    "search.exercises": ("physio", None, None, lambda w: reverse("programs:exercise_list")),
}
PARAMS = [(case, name) for case in CASES for name in HOSTILE]


@pytest.mark.parametrize(("case", "value_name"), PARAMS, ids=[f"{c}-{v}" for c, v in PARAMS])
def test_hostile_input(db, client, world, case, value_name):  # noqa: F811
    role, url, data, page = CASES[case]
    value = HOSTILE[value_name]
    client.force_login(world[role])
    if url is None:  # a search box: the value goes in the query string
        response = client.get(page(world), {"q": value})
        assert response.status_code == 200
        html = response.content.decode()
    else:
        response = client.post(url(world), data(world, value))
        assert response.status_code < 500
        if response.status_code == 200:
            html = response.content.decode()  # refused: the form is shown again with its message
            assert "invalid" in html or "alert-danger" in html or "text-danger" in html or "error" in html.lower()
        else:
            assert response.status_code == 302
            html = client.get(page(world) if page else response.url).content.decode()  # None: where it went
            if value_name in ("script", "unicode"):  # stored: shown verbatim, escaped
                shown = {"script": "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", "unicode": value}[value_name]
                assert shown in html
    for markup in RAW_MARKUP:
        assert markup not in html, "hostile markup rendered unescaped"


def test_number_of_hostile_inputs():
    assert len(PARAMS) == len(CASES) * len(HOSTILE) >= 150
