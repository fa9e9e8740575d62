"""Every URL of the project x every role, with the status each must get.

GET is tried on every URL; POST on every URL that changes something. Adding a URL without rows here
fails test_every_url_is_in_the_table, so new views are checked by default.
"""

import uuid

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from checkins import services as checkin_services
from flags import services as flag_services
from outcomes.models import Questionnaire
from patients.services import pause_create
from programs import media as media_files
from programs import services as program_services
from programs.models import Exercise
from tests.factories import ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import attach_photo, photo_upload

ROLES = ["anonymous", "patient", "other_patient", "physio", "clinic_admin", "other_physio", "other_admin"]
LOGIN = "login"  # a redirect to the log-in page
OK = "ok"  # 200 or a redirect after a successful action

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


def pk(key):
    return lambda w: {"pk": w[key].pk}


def patient_pk(w):
    return {"patient_pk": w["target"].pk}


# url name -> (kwargs builder, GET statuses, POST statuses or None, POST data builder)
TABLE = {
    "home": (None, dict.fromkeys(ROLES, 302) | {"anonymous": LOGIN}, None, None),
    "healthz": (None, ALL, None, None),
    "login": (None, dict.fromkeys(ROLES, 302) | {"anonymous": 200}, None, None),
    "logout": (None, POST_ONLY, None, None),
    "password_reset": (None, ALL, None, None),
    "password_reset_done": (None, ALL, None, None),
    "password_reset_confirm": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, ALL, None, None),
    "password_reset_complete": (None, ALL, None, None),
    "set_password": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, ALL, None, None),
    "staff_list": (None, ADMIN_ONLY, None, None),
    "staff_invite": (
        None,
        {**ADMIN_ONLY, "clinic_admin": 302, "other_admin": 302},  # GET goes back to the staff page
        {**ADMIN_ONLY, "clinic_admin": OK, "other_admin": OK},
        invite_data,
    ),
    "staff_deactivate": (pk("second_physio"), POST_ONLY, ADMIN_OBJECT_ACTION, None),
    "staff_reactivate": (pk("inactive_physio"), POST_ONLY, ADMIN_OBJECT_ACTION, None),
    "clinic_settings": (None, ADMIN_ONLY, None, None),
    "patients:reassign_all": (
        lambda w: {"physio_pk": w["physio"].pk},
        POST_ONLY,
        ADMIN_OBJECT_ACTION,
        lambda w: {"physiotherapist": w["second_physio"].pk},
    ),
    "two_factor_verify": (None, STAFF_PAGE, None, None),
    "two_factor_setup": (None, STAFF_PAGE, None, None),
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
    "patients:create": (
        None,
        {**ANY_STAFF, "clinic_admin": 403, "other_admin": 403},
        None,
        None,
    ),
    "patients:detail": (pk("target"), CLINIC_STAFF_OBJECT, None, None),
    "patients:edit": (pk("target"), PHYSIO_OBJECT, None, None),
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
    "patients:refer": (pk("target"), PHYSIO_OBJECT, PHYSIO_ACTION, None),
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
    "flags:bulk_resolve": (
        None,
        POST_ONLY,
        {**NOT_PATIENTS, "physio": 403, "other_physio": 403, "clinic_admin": OK, "other_admin": OK},
        lambda w: {"flags": [w["flag"].pk], "bulk-outcome": "no_action"},
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
    "checkins:correct": (pk("report"), OWN_CHECKIN, None, None),
    "checkins:patient": (patient_pk, CLINIC_STAFF_OBJECT, None, None),
    "checkins:symptom_report": (
        None,
        PATIENT_ONLY,
        {**PATIENT_ONLY, "patient": OK, "other_patient": OK},
        lambda w: {"idempotency_key": str(uuid.uuid4()), "note": "A new tingling in my left foot."},
    ),
    "checkins:symptom_report_detail": (pk("symptom_report"), OWN_CHECKIN, None, None),
    "programs:exercise_list": (None, ANY_STAFF, None, None),
    "programs:exercise_create": (None, ANY_STAFF, None, None),
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
    "programs:patient": (patient_pk, CLINIC_STAFF_OBJECT, None, None),
    "programs:new": (patient_pk, PHYSIO_OBJECT, None, None),
    "programs:pause": (patient_pk, PHYSIO_OBJECT, None, None),
    "programs:pause_resume": (pk("pause"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:revise": (pk("program"), POST_ONLY, PHYSIO_ACTION, None),
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
    "programs:builder_add": (pk("draft"), POST_ONLY, PHYSIO_ACTION, lambda w: {"exercise": w["exercise"].pk}),
    "programs:builder_activate": (pk("draft"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:builder_discard": (pk("draft"), POST_ONLY, PHYSIO_ACTION, None),
    "programs:builder_template": (pk("draft"), POST_ONLY, PHYSIO_ACTION, lambda w: {"name": "Access template"}),
    "programs:item_update": (
        pk("item"),
        POST_ONLY,
        PHYSIO_ACTION,
        lambda w: {f"item-{w['item'].pk}-{k}": v for k, v in {"sets": 2, "reps": 8, "rest_seconds": 30}.items()},
    ),
    "programs:item_move": (lambda w: {"pk": w["item"].pk, "direction": "up"}, POST_ONLY, PHYSIO_ACTION, None),
    "programs:item_swap": (lambda w: {"pk": w["item"].pk, "direction": "harder"}, POST_ONLY, PHYSIO_ACTION, None),
    "programs:item_remove": (pk("item"), POST_ONLY, PHYSIO_ACTION, None),
}


def _url_names(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # Django's own admin site, behind its own staff check
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_url_is_in_the_table():
    names = set(_url_names(get_resolver().url_patterns))
    assert names - set(TABLE) == set(), "add rows for these URLs to the access table"
    assert set(TABLE) - names == set(), "these rows name URLs that no longer exist"


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
    draft = program_services.program_revise(program=program, created_by=physio)
    first.refresh_from_db()
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
    return {
        "media_link": media_files.link(media.pk),
        "symptom_report": symptom_report,
        "report": checkin,
        "flag": flag,
        "episode": target.episodes.get(),
        "questionnaire": Questionnaire.objects.get(patient=target, timepoint="intake"),
        "second_physio": PhysioFactory(clinic=clinic),
        "inactive_physio": PhysioFactory(clinic=clinic, is_active=False),
        "today": today,
        "target": target,
        "exercise": exercise,
        "program": program,
        "active_version": first,
        "draft": draft,
        "item": draft.items.get(),
        "pause": pause_create(patient=target, created_by=physio, starts_on=today, ends_on=today, reason="Ill"),
        "anonymous": None,
        "patient": target.user,
        "other_patient": make_patient(physio=physio).user,
        "physio": physio,
        "clinic_admin": ClinicAdminFactory(clinic=clinic),
        "other_physio": PhysioFactory(clinic=other_clinic),
        "other_admin": ClinicAdminFactory(clinic=other_clinic),
    }


def _check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif expected == OK:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == expected


GET_CASES = [(name, role) for name in TABLE for role in ROLES]
POST_CASES = [(name, role) for name, row in TABLE.items() if row[2] for role in ROLES]


@pytest.mark.parametrize(("url_name", "role"), GET_CASES, ids=[f"GET-{n}-{r}" for n, r in GET_CASES])
def test_get(db, client, world, url_name, role):
    kwargs, statuses, _post, _data = TABLE[url_name]
    url = reverse(url_name, kwargs=kwargs(world) if kwargs else None)
    if world[role] is not None:
        client.force_login(world[role])
    _check(client.get(url), statuses[role])


@pytest.mark.parametrize(("url_name", "role"), POST_CASES, ids=[f"POST-{n}-{r}" for n, r in POST_CASES])
def test_post(db, client, world, url_name, role):
    kwargs, _get, statuses, data = TABLE[url_name]
    url = reverse(url_name, kwargs=kwargs(world) if kwargs else None)
    if world[role] is not None:
        client.force_login(world[role])
    _check(client.post(url, data(world) if data else {}), statuses[role])


def test_table_size():
    """Reported in the issue notes: the number of URL x role checks."""
    assert len(GET_CASES) == len(TABLE) * len(ROLES)
    assert len(POST_CASES) >= 10 * len(ROLES)
