"""Every URL pattern of the project (the Django admin's included) x every role, with the answer each must get.

GET and POST are tried on every URL, and the database is compared before and after: a POST expected to do its work
(OK) must change something, and every other request, refused or not, must change nothing (the audit trail, sessions
and log-in attempts aside, which record requests). A refused request to an audited URL leaves a refused audit row.
A URL without a row here fails test_every_url_is_in_the_table, so new views are checked by default; the Django
admin's rows are made from its URLs (every one refuses all these roles, none of whom is staff).
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from checkins import services as checkin_services
from flags import services as flag_services
from outcomes.models import Questionnaire
from patients.services import pause_create
from programs import media as media_files
from programs import services as program_services
from programs.models import Exercise
from rehab import audit
from rehab.models import AuditEvent
from reminders.models import PushSubscription
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import attach_photo, patient_form_data, photo_upload

ROLES = ["anonymous", "patient", "other_patient", "physio", "clinic_admin", "other_physio", "other_admin"]
LOGIN = "login"  # a redirect to the log-in page
OK = "ok"  # 200 or a redirect after a successful action, which changed the database (any other answer: nothing)
ADMIN = "admin"  # the Django admin's refusal: a redirect to its log-in (which sends to the app's) or its index
MOVED = dict.fromkeys(ROLES, 301)  # a page that moved: a permanent redirect, for everyone
FORM_MOVED = dict.fromkeys(ROLES, 308)  # a form that moved: sent on to its new address, method and body kept

ALL = dict.fromkeys(ROLES, 200)
NOT_PATIENTS = {"anonymous": LOGIN, "patient": 403, "other_patient": 403}
ANY_STAFF = {**NOT_PATIENTS, "physio": 200, "clinic_admin": 200, "other_physio": 200, "other_admin": 200}
CLINIC_STAFF_OBJECT = {**NOT_PATIENTS, "physio": 200, "clinic_admin": 200, "other_physio": 404, "other_admin": 404}
PHYSIO_OBJECT = {**NOT_PATIENTS, "physio": 200, "clinic_admin": 403, "other_physio": 404, "other_admin": 403}
PHYSIO_ACTION = {**PHYSIO_OBJECT, "physio": OK}
STAFF_PAGE = {
    "anonymous": LOGIN,
    "patient": 403,
    "other_patient": 403,
    "physio": 200,
    "clinic_admin": 200,
    "other_physio": 200,
    "other_admin": 200,
}
ADMIN_ONLY = {**NOT_PATIENTS, "physio": 403, "other_physio": 403, "clinic_admin": 200, "other_admin": 200}
ADMIN_OBJECT_ACTION = {**NOT_PATIENTS, "physio": 403, "other_physio": 403, "clinic_admin": OK, "other_admin": 404}
CLINIC_STAFF_ACTION = {**CLINIC_STAFF_OBJECT, "physio": OK, "clinic_admin": OK}
POST_ONLY = dict.fromkeys(ROLES, 405)
STAFF_FORBIDDEN = {"physio": 403, "clinic_admin": 403, "other_physio": 403, "other_admin": 403}
PATIENT_ONLY = {"anonymous": LOGIN, "patient": 200, "other_patient": 200, **STAFF_FORBIDDEN}
OWN_CHECKIN = {**PATIENT_ONLY, "other_patient": 404}
OWN_OR_CLINIC_STAFF = {**CLINIC_STAFF_OBJECT, "patient": 200, "other_patient": 404}


def invite_data(w):
    return {"first_name": "New", "last_name": "Colleague", "email": "new.colleague@example.com", "role": "physio"}


def checkin_data(w):
    item = w["active_version"].items.get()
    return {
        "idempotency_key": "6f1c1f5e-7d6c-4a53-9a55-0c7d2b1d9a01",
        "version": w["active_version"].pk,
        "session_date": w["today"].isoformat(),
        f"exercise_{item.pk}": "done",
        "max_pain": "1",
        "pain_now": "0",
        "sharp_pain": "no",
        "symptoms": ["none"],
    }


def login_data(w):
    return {"username": w["physio"].email, "password": PASSWORD}


def settings_data(w):
    return {
        "name": "Renamed clinic",
        "time_zone": "Europe/London",
        "urgent_ack_minutes": "60",
        "ack_hours": "12",
        "rest_days_allowed": "2",
        "progression_percent": "10",
        "progress_min_sessions": "6",
        "progress_min_days": "14",
        "progress_min_adherence": "80",
        "ease_off_percent": "25",
        "flare_up_days": "3",
        "max_pause_weeks": "8",
        "phone": "",
    }


def patient_data(w, **changes):
    return patient_form_data(w["physio"], email="robin.access@example.com", **changes)


def exercise_data(w):
    return {
        "name": "Access test exercise",
        "category": "strength",
        "difficulty": "2",
        "equipment": "none",
        "muscle_groups": ["core"],
        "summary": "A test.",
        "instructions": "Step one.",
        "sets": "2",
        "reps": "10",
        "rest_seconds": "30",
    }


def correction_data(w):
    item = w["active_version"].items.get()
    return {
        "idempotency_key": str(w["report"].idempotency_key),
        "version": w["active_version"].pk,
        f"exercise_{item.pk}": "partly",
        "max_pain": "2",
        "pain_now": "1",
        "sharp_pain": "no",
        "symptoms": ["none"],
        "note": "Corrected.",
    }


def pk(key):
    return lambda w: {"pk": w[key].pk}


def patient_pk(w):
    return {"patient_pk": w["target"].pk}


# url name -> (kwargs builder, GET statuses, POST statuses or None, POST data builder)
TABLE = {
    "home": (None, dict.fromkeys(ROLES, 302) | {"anonymous": LOGIN}, None, None),
    "healthz": (None, ALL, None, None),
    # The installable app: its manifest and service worker, for anyone (a browser asks with or without a session).
    "web_manifest": (None, ALL, None, None),
    "service_worker": (None, ALL, None, None),
    # Signed in, the log-in page says who is and offers to log them out; a log-in replaces them.
    "login": (None, ALL, dict.fromkeys(ROLES, OK), login_data),
    "logout": (None, POST_ONLY, dict.fromkeys(ROLES, LOGIN), None),
    "password_reset": (None, ALL, dict.fromkeys(ROLES, 302), lambda w: {"email": w["target"].user.email}),
    "password_reset_done": (None, ALL, None, None),
    "password_reset_confirm": (
        lambda w: {"uidb64": "MQ", "token": "bad-token"},
        ALL,
        ALL,
        lambda w: {"new_password1": "a-new-password-2026", "new_password2": "a-new-password-2026"},
    ),
    "password_reset_complete": (None, ALL, None, None),
    "set_password": (
        lambda w: {"uidb64": "MQ", "token": "bad-token"},
        ALL,
        ALL,
        lambda w: {"new_password1": "a-new-password-2026", "new_password2": "a-new-password-2026"},
    ),
    "staff_list": (None, ADMIN_ONLY, None, None),
    "staff_invite": (
        None,
        {**ADMIN_ONLY, "clinic_admin": 302, "other_admin": 302},  # GET goes back to the staff page
        {**ADMIN_ONLY, "clinic_admin": OK, "other_admin": OK},
        invite_data,
    ),
    "staff_deactivate": (pk("second_physio"), POST_ONLY, ADMIN_OBJECT_ACTION, None),
    "staff_reactivate": (pk("inactive_physio"), POST_ONLY, ADMIN_OBJECT_ACTION, None),
    "clinic_settings": (None, ADMIN_ONLY, {**ADMIN_ONLY, "clinic_admin": OK, "other_admin": OK}, settings_data),
    "patients:reassign_all": (
        lambda w: {"physio_pk": w["physio"].pk},
        POST_ONLY,
        ADMIN_OBJECT_ACTION,
        lambda w: {"physiotherapist": w["second_physio"].pk},
    ),
    "two_factor_verify": (None, STAFF_PAGE, STAFF_PAGE, lambda w: {"token": "000000"}),
    # The page makes the device its code will confirm (on GET too): a wrong code leaves it unconfirmed.
    "two_factor_setup": (
        None,
        STAFF_PAGE,
        {**STAFF_PAGE, "physio": OK, "clinic_admin": OK, "other_physio": OK, "other_admin": OK},
        lambda w: {"token": "000000"},
    ),
    "patients:audit": (
        pk("target"),
        {**ADMIN_ONLY, "other_admin": 404},
        None,
        None,
    ),
    "patients:list": (None, ANY_STAFF, None, None),
    "patients:my_details": (
        None,
        PATIENT_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {"phone": "020 7946 0321"},
    ),
    "patients:my_password": (
        None,
        POST_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "a-new-password-2026",
            "new_password2": "a-new-password-2026",
        },
    ),
    "patients:my_devices_log_out": (None, POST_ONLY, {**PATIENT_ONLY, "patient": OK, "other_patient": OK}, None),
    "patients:create": (
        None,
        {**ANY_STAFF, "clinic_admin": 403, "other_admin": 403},
        # Another clinic's physiotherapist cannot name this clinic's physiotherapist: the form says so.
        {**ANY_STAFF, "physio": OK, "clinic_admin": 403, "other_admin": 403},
        patient_data,
    ),
    "patients:detail": (pk("target"), CLINIC_STAFF_OBJECT, None, None),
    "patients:edit": (pk("target"), PHYSIO_OBJECT, PHYSIO_ACTION, lambda w: patient_data(w, last_name="Edited")),
    "patients:threshold": (
        pk("target"),
        PHYSIO_OBJECT,
        PHYSIO_ACTION,
        lambda w: {"value": "2", "reason": "Access test"},
    ),
    "patients:threshold_review": (
        pk("target"),
        POST_ONLY,
        PHYSIO_ACTION,
        lambda w: {"decision": "keep", "phase": w["target"].phase().value, "reason": "Access test"},
    ),
    "patients:discharge": (
        pk("target"),
        PHYSIO_OBJECT,
        PHYSIO_ACTION,
        lambda w: {"reason": "goals_met", "discharged_on": w["today"].isoformat()},
    ),
    # The target is in a course of care: the page says to discharge first (a new referral is posted in tests/patients).
    "patients:refer": (pk("target"), PHYSIO_OBJECT, PHYSIO_OBJECT, None),
    # A patient who has not set a password: their physiotherapist or a clinic admin sends the link again.
    "patients:resend_link": (pk("waiting"), POST_ONLY, CLINIC_STAFF_ACTION, None),
    "outcomes:questionnaire": (
        pk("questionnaire"),
        OWN_CHECKIN,
        {**OWN_CHECKIN, "patient": OK},
        lambda w: {
            "step": f"{w['questionnaire'].measurements.get(instrument__key='pain-week').pk}:pain",
            "answer": "3",
        },
    ),
    "outcomes:summary": (pk("episode"), OWN_OR_CLINIC_STAFF, None, None),
    "outcomes:clinic": (None, ADMIN_ONLY, None, None),
    "outcomes:clinic_csv": (None, ADMIN_ONLY, None, None),
    "outcomes:schedule": (
        None,
        ADMIN_ONLY,
        {**ADMIN_ONLY, "clinic_admin": OK, "other_admin": OK},
        lambda w: {"follow_up_weeks": "6", "pain-week__intake": "on"},
    ),
    "flags:queue": (None, {**ANY_STAFF, "physio": 403, "other_physio": 403}, None, None),
    # Another clinic's admin cannot resolve this clinic's rest flag: nothing is resolved, and the queue says so.
    "flags:bulk_resolve": (
        None,
        POST_ONLY,
        {**NOT_PATIENTS, "physio": 403, "other_physio": 403, "clinic_admin": OK, "other_admin": 200},
        lambda w: {"flags": [w["rest_flag"].pk], "bulk-outcome": "no_action"},
    ),
    # A row of the admin's queue (one per patient): acts on every flag it lists.
    "flags:patient_acknowledge": (
        lambda w: {"patient_pk": w["rest_flag"].patient_id},
        POST_ONLY,
        ADMIN_OBJECT_ACTION,
        lambda w: {"flags": [w["rest_flag"].pk]},
    ),
    "flags:patient_resolve": (
        lambda w: {"patient_pk": w["rest_flag"].patient_id},
        POST_ONLY,
        ADMIN_OBJECT_ACTION,
        lambda w: {"flags": [w["rest_flag"].pk], "outcome": "no_action"},
    ),
    "flags:detail": (pk("flag"), CLINIC_STAFF_OBJECT, None, None),
    "flags:acknowledge": (pk("flag"), POST_ONLY, CLINIC_STAFF_ACTION, None),
    "flags:resolve": (pk("flag"), POST_ONLY, CLINIC_STAFF_ACTION, lambda w: {"outcome": "no_action"}),
    "flags:reassign": (
        pk("flag"),
        POST_ONLY,
        CLINIC_STAFF_ACTION,
        lambda w: {"physiotherapist": w["second_physio"].pk},
    ),
    "flags:dashboard": (None, {**ANY_STAFF, "clinic_admin": 403, "other_admin": 403}, None, None),
    # The world's patient is not ready to progress: refused with a message, nothing stored.
    "flags:step_up": (patient_pk, POST_ONLY, {**PHYSIO_ACTION, "physio": 302}, None),
    "flags:ease_off": (pk("flag"), POST_ONLY, PHYSIO_ACTION, None),
    "checkins:today": (None, PATIENT_ONLY, None, None),
    # The other patient has no program yet: the check-in sends them back to their home page.
    "checkins:create": (
        None,
        {**PATIENT_ONLY, "other_patient": 302},
        {**PATIENT_ONLY, "patient": OK, "other_patient": 302},
        lambda w: checkin_data(w),
    ),
    "checkins:history": (None, PATIENT_ONLY, None, None),
    "checkins:detail": (pk("report"), OWN_CHECKIN, None, None),
    "checkins:correct": (pk("report"), OWN_CHECKIN, {**OWN_CHECKIN, "patient": OK}, correction_data),
    "checkins:patient": (patient_pk, CLINIC_STAFF_OBJECT, None, None),
    "checkins:symptom_report": (
        None,
        PATIENT_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {"idempotency_key": str(uuid.uuid4()), "note": "A new tingling in my left foot."},
    ),
    "checkins:symptom_report_detail": (pk("symptom_report"), OWN_CHECKIN, None, None),
    # The world's patient is in a flare-up already: a second tap changes nothing; the other patient has no program,
    # and theirs is refused with a message. How it went is asked once the flare-up is over: refused while it lasts.
    "checkins:flare_up_start": (None, POST_ONLY, {**PATIENT_ONLY, "patient": 302, "other_patient": 302}, None),
    "checkins:flare_up_end": (pk("flare_up"), POST_ONLY, {**OWN_CHECKIN, "patient": OK}, None),
    "checkins:flare_up_answer": (
        pk("flare_up"),
        POST_ONLY,
        {**OWN_CHECKIN, "patient": 200},
        lambda w: {"answer": "better"},
    ),
    "reminders:settings": (
        None,
        POST_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {"time": "07:30", "sessions": "on", "email": "on"},
    ),
    "reminders:push_subscription": (
        None,
        POST_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {"endpoint": "https://push.example.net/access-new", "p256dh": "BKEY", "auth": "AUTH"},
    ),
    # Only the patient's own browser: the other patient's request finds nothing of theirs to turn off.
    "reminders:push_unsubscription": (
        None,
        POST_ONLY,
        {**PATIENT_ONLY, "patient": OK},
        lambda w: {"endpoint": w["push_subscription"].endpoint},
    ),
    # A forged stop link: nobody, signed in or not, changes anything with it.
    "reminders:stop": (
        lambda w: {"token": "eyJwIjoxfQ:forged:signature"},
        dict.fromkeys(ROLES, 404),
        dict.fromkeys(ROLES, 404),
        None,
    ),
    "programs:exercise_list": (None, ANY_STAFF, None, None),
    "programs:exercise_create": (
        None,
        ANY_STAFF,
        {**ANY_STAFF, "physio": OK, "clinic_admin": OK, "other_physio": OK, "other_admin": OK},
        exercise_data,
    ),
    "programs:exercise_detail": (pk("exercise"), ANY_STAFF, None, None),
    # Any clinic's staff may show their own photo of a shipped exercise; only the home clinic has one to remove.
    "programs:exercise_media_upload": (
        pk("exercise"),
        POST_ONLY,
        {**NOT_PATIENTS, "physio": OK, "clinic_admin": OK, "other_physio": OK, "other_admin": OK},
        lambda w: {"file": photo_upload()},
    ),
    "programs:exercise_media_remove": (pk("exercise"), POST_ONLY, CLINIC_STAFF_ACTION, None),
    # The home clinic's photo of an exercise in the patient's program: its staff and that patient only.
    "programs:exercise_media": (
        lambda w: {"token": w["media_link"].rsplit("/", 2)[-2]},
        {**CLINIC_STAFF_OBJECT, "patient": 200, "other_patient": 404},
        None,
        None,
    ),
    "programs:template_list": (None, ANY_STAFF, None, None),
    # The calendar feed answers whoever holds its secret link (a phone's calendar has no session); each patient
    # makes or resets their own link.
    "programs:calendar_feed": (lambda w: {"token": w["calendar_feed"].token}, ALL, None, None),
    "programs:calendar_reset": (None, POST_ONLY, {**PATIENT_ONLY, "patient": OK, "other_patient": OK}, None),
    "programs:patient": (patient_pk, CLINIC_STAFF_OBJECT, None, None),
    "programs:new": (
        patient_pk,
        PHYSIO_OBJECT,
        PHYSIO_ACTION,
        lambda w: {"title": "Second", "start_date": w["today"].isoformat(), "weekdays": ["1", "3"]},
    ),
    "programs:pause": (
        patient_pk,
        PHYSIO_OBJECT,
        PHYSIO_ACTION,
        lambda w: {
            "starts_on": (w["today"] + timedelta(days=10)).isoformat(),
            "ends_on": (w["today"] + timedelta(days=12)).isoformat(),
            "reason": "Holiday",
        },
    ),
    "programs:pause_resume": (pk("pause"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:revise": (pk("program"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:flare_plan_new": (pk("program"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:flare_up_end": (pk("flare_up"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:version": (pk("active_version"), CLINIC_STAFF_OBJECT, None, None),
    "programs:handout": (
        pk("active_version"),
        {**CLINIC_STAFF_OBJECT, "patient": 200, "other_patient": 404},
        None,
        None,
    ),
    "programs:builder": (pk("draft"), PHYSIO_OBJECT, None, None),
    "programs:builder_schedule": (
        pk("draft"),
        POST_ONLY,
        PHYSIO_ACTION,
        lambda w: {"title": "T", "start_date": w["today"].isoformat(), "weekdays": ["1", "3", "5"]},
    ),
    "programs:builder_add": (pk("draft"), POST_ONLY, PHYSIO_ACTION, lambda w: {"exercise": w["new_exercise"].pk}),
    "programs:builder_activate": (pk("draft"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:builder_discard": (pk("draft"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:builder_template": (pk("draft"), POST_ONLY, PHYSIO_ACTION, lambda w: {"name": "Access template"}),
    "programs:item_update": (
        pk("item"),
        POST_ONLY,
        PHYSIO_ACTION,
        lambda w: {f"item-{w['item'].pk}-{k}": v for k, v in {"sets": 2, "reps": 8, "rest_seconds": 30}.items()},
    ),
    "programs:item_move": (lambda w: {"pk": w["item"].pk, "direction": "down"}, POST_ONLY, PHYSIO_ACTION, None),
    "programs:item_swap": (lambda w: {"pk": w["item"].pk, "direction": "harder"}, POST_ONLY, PHYSIO_ACTION, None),
    "programs:item_remove": (pk("item"), POST_ONLY, PHYSIO_ACTION, None),
    # Where pages were before check-ins and flags had apps of their own (URLs without a name: by their route).
    "patients/flags/<int:pk>/": (pk("flag"), MOVED, MOVED, None),
    "patients/flags/": (None, MOVED, MOVED, None),
    "programs/dashboard/": (None, MOVED, MOVED, None),
    "programs/today/": (None, MOVED, MOVED, None),
    "programs/check-in/": (None, FORM_MOVED, FORM_MOVED, None),
    "programs/history/": (None, MOVED, MOVED, None),
    "programs/reports/<int:pk>/": (pk("report"), MOVED, MOVED, None),
    "programs/reports/<int:pk>/correct/": (pk("report"), FORM_MOVED, FORM_MOVED, None),
    "programs/patient/<int:patient_pk>/reports/": (patient_pk, MOVED, MOVED, None),
}


def _patterns(patterns, prefix="", route=""):
    """(key, route, namespace) of every URL pattern: its name (with namespaces), or its route when it has none."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _patterns(p.url_patterns, ns, route + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield (prefix + p.name if p.name else route + str(p.pattern)), route + str(p.pattern), prefix


def _is_admin(namespace: str) -> bool:
    return namespace.startswith("admin:")


ADMIN_VALUES = {"app_label": "rehab"}  # any other part of an admin URL: "1"


def _admin_url(key: str, route: str) -> str:
    """A URL that reaches this admin pattern: by name, or for an unnamed one by filling in its route."""
    if key.startswith("admin:"):
        converters = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
        kwargs = {name: ADMIN_VALUES.get(name, "1") for pair in converters for name in pair if name}
        return reverse(key, kwargs=kwargs or None)
    if route.endswith("(?P<url>.*)$"):  # the admin's catch-all, after every other admin URL
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ADMIN_VALUES.get(m[1], "1"), route)


ALL_PATTERNS = list(_patterns(get_resolver().url_patterns))
ADMIN_URLS = {key: _admin_url(key, route) for key, route, ns in ALL_PATTERNS if _is_admin(ns)}
ADMIN_REFUSED = dict.fromkeys(ROLES, ADMIN)


def test_every_url_is_in_the_table():
    keys = {key for key, _route, ns in ALL_PATTERNS if not _is_admin(ns)}
    assert keys - set(TABLE) == set(), "add rows for these URLs to the access table"
    assert set(TABLE) - keys == set(), "these rows name URLs that no longer exist"
    assert len(ADMIN_URLS) >= 40  # the admin's URLs are here too, each with a URL that reaches it


def _url(key: str, world) -> str:
    kwargs_of = TABLE[key][0]
    kwargs = kwargs_of(world) if kwargs_of else {}
    if "/" in key:  # a URL without a name, by its route
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), key)
    return reverse(key, kwargs=kwargs or None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test runs
    in a savepoint within it (as Django's TestCase.setUpTestData does), so POSTs cannot leak."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _waiting(physio):
    """A patient registered an hour ago who has not set a password: their link may be sent again."""
    from django.utils import timezone

    patient = make_patient(physio=physio, password=None)
    type(patient).objects.filter(pk=patient.pk).update(set_password_sent_at=timezone.now() - timedelta(hours=1))
    return patient


def _build_world():
    clinic, other_clinic = ClinicFactory(name="Home clinic"), ClinicFactory(name="Other clinic")
    physio = PhysioFactory(clinic=clinic)
    target = make_patient(physio=physio)
    today = clinic.local_today()
    exercise = Exercise.objects.get(clinic=None, key="dead-bug")
    program = program_services.program_create(
        patient=target, created_by=physio, title="P", start_date=today, weekdays=[0, 2, 4]
    )
    first = program.versions.get()
    program_services.program_add_exercise(version=first, exercise=exercise)
    program_services.program_activate(version=first, activated_by=physio)
    first.refresh_from_db()
    # A program being built, for another patient of the physiotherapist's: dead bug, then clamshell.
    other_patient = make_patient(physio=physio)
    draft = program_services.program_create(
        patient=other_patient, created_by=physio, title="New", start_date=today, weekdays=[0, 2, 4]
    ).versions.get()
    for key in ("dead-bug", "clamshell"):
        program_services.program_add_exercise(version=draft, exercise=Exercise.objects.get(clinic=None, key=key))
    checkin, _ = checkin_services.checkin_submit(
        patient=target,
        version=first,
        idempotency_key=uuid.uuid4(),
        outcomes={first.items.get().pk: "done"},
        session_date=today,
        max_pain=1,
        pain_now=1,
        sharp_pain=False,
    )
    high, _ = checkin_services.checkin_submit(
        patient=target,
        version=first,
        idempotency_key=uuid.uuid4(),
        outcomes={first.items.get().pk: "done"},
        session_date=today,
        max_pain=4,
        pain_now=2,
        sharp_pain=False,
    )
    (flag,) = flag_services.checkin_evaluate(checkin_id=high.pk)
    media = attach_photo(clinic=clinic, exercise=exercise, by=physio)
    symptom_report, _ = checkin_services.symptom_report_create(
        patient=target, idempotency_key=uuid.uuid4(), sharp_pain=True, note="A flare this morning."
    )
    rest_flag, _ = flag_services.flag_record(
        patient=other_patient, reason="rest", rule="More than 2 whole rest days in a row", explanation="", values={}
    )
    flare_up, _ = program_services.flare_up_start(patient=target)
    push_subscription = PushSubscription.objects.create(
        patient=target, endpoint="https://push.example.net/access", p256dh="BKEY", auth="AUTH"
    )
    return {
        "calendar_feed": program_services.calendar_feed_reset(patient=target),
        "push_subscription": push_subscription,
        "media_link": media_files.link(media.pk),
        "flare_up": flare_up,
        "symptom_report": symptom_report,
        "report": checkin,
        "flag": flag,
        "episode": target.episodes.get(),
        "questionnaire": Questionnaire.objects.get(patient=target, timepoint="intake"),
        "rest_flag": rest_flag,
        "second_physio": PhysioFactory(clinic=clinic),
        "inactive_physio": PhysioFactory(clinic=clinic, is_active=False),
        "today": today,
        "target": target,
        "waiting": _waiting(physio),
        "exercise": exercise,
        "program": program,
        "active_version": first,
        "draft": draft,
        "item": draft.items.get(position=1),
        "new_exercise": Exercise.objects.get(clinic=None, key="bird-dog"),
        "pause": pause_create(patient=target, created_by=physio, starts_on=today, ends_on=today, reason="Ill"),
        "anonymous": None,
        "patient": target.user,
        "other_patient": other_patient.user,
        "physio": physio,
        "clinic_admin": ClinicAdminFactory(clinic=clinic),
        "other_physio": PhysioFactory(clinic=other_clinic),
        "other_admin": ClinicAdminFactory(clinic=other_clinic),
    }


# Tables that record requests rather than what the app manages: left out of the before-and-after comparison.
RECORDS = ("rehab_auditevent", "django_session", "axes_")


def database_state() -> dict[str, str]:
    """A digest of every table's rows, by table, in one statement."""
    tables = [t for t in connection.introspection.table_names() if not t.startswith(RECORDS)]
    digests = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {connection.ops.quote_name(t)} t)"  # noqa: S608
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ARRAY[{digests}]")  # the database's own table names
        return dict(zip(tables, cursor.fetchone()[0], strict=True))


def changed_tables(before: dict[str, str]) -> list[str]:
    after = database_state()
    return sorted(table for table in after if before.get(table) != after[table])


def _check(response, expected, *, changed: list[str]):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif expected == ADMIN:
        assert response.status_code == 302
        assert response.url.startswith(("/admin/login/", reverse("login"), "/admin/")), response.url
    elif expected == OK:
        assert response.status_code in (200, 302), response.status_code
        assert changed, "the request was expected to change something, and changed nothing"
        return
    else:
        assert response.status_code == expected
    assert changed == [], f"a request answered {response.status_code} changed {changed}"


def _refusal_recorded(url_name: str, role: str, status: int) -> None:
    """A refused request (403, 404) to an audited URL by a signed-in member of a clinic leaves a refused row."""
    if status in (403, 404) and role != "anonymous" and url_name in audit.REGISTRY:
        assert AuditEvent.objects.filter(what=url_name, outcome="refused").exists(), f"no refused row for {url_name}"


def _request(client, world, role, method, url, data=None):
    if world[role] is not None:
        client.force_login(world[role])
    before = database_state()
    response = client.get(url) if method == "GET" else client.post(url, data or {})
    return response, changed_tables(before)


GET_PREPARES = {"two_factor_setup"}  # pages whose GET prepares what their form confirms (the device to set up)
GET_CASES = [(name, role) for name in TABLE for role in ROLES]
POST_CASES = [(name, role) for name in TABLE for role in ROLES]


@pytest.mark.parametrize(("url_name", "role"), GET_CASES, ids=[f"GET-{n}-{r}" for n, r in GET_CASES])
def test_get(db, client, world, url_name, role):
    _kwargs, statuses, _post, _data = TABLE[url_name]
    response, changed = _request(client, world, role, "GET", _url(url_name, world))
    if url_name in GET_PREPARES and statuses[role] == 200:
        changed = []
    _check(response, statuses[role], changed=changed)
    _refusal_recorded(url_name, role, response.status_code)


@pytest.mark.parametrize(("url_name", "role"), POST_CASES, ids=[f"POST-{n}-{r}" for n, r in POST_CASES])
def test_post(db, client, world, url_name, role):
    """Every URL gets a POST: one that writes, with data for its work; one that does not, answered as its GET is (or
    405), changing nothing."""
    _kwargs, get_statuses, statuses, data = TABLE[url_name]
    response, changed = _request(client, world, role, "POST", _url(url_name, world), data(world) if data else None)
    if statuses is None:
        assert response.status_code in (405, 302 if get_statuses[role] == LOGIN else get_statuses[role])
        assert changed == [], f"a POST to a page that writes nothing changed {changed}"
    else:
        _check(response, statuses[role], changed=changed)
    _refusal_recorded(url_name, role, response.status_code)


@pytest.mark.parametrize("key", list(ADMIN_URLS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_django_admin_refuses_every_role(db, world, key, method):
    """Every role of the table, each with a client of its own (none is staff: the admin refuses them all alike)."""
    clients = {role: Client() for role in ROLES}
    for role, client in clients.items():
        if world[role] is not None:
            client.force_login(world[role])
    before = database_state()
    for client in clients.values():
        response = client.get(ADMIN_URLS[key]) if method == "GET" else client.post(ADMIN_URLS[key], {"post": "yes"})
        _check(response, ADMIN, changed=[])
    assert changed_tables(before) == []


def test_table_size():
    """Reported in the issue notes: the number of URL x role checks."""
    assert len(GET_CASES) == len(TABLE) * len(ROLES)
    assert len(POST_CASES) == len(TABLE) * len(ROLES)
    assert sum(1 for row in TABLE.values() if row[2]) >= 36  # rows whose POST does its work for some role
