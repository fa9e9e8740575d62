"""Every URL of the project x every role, with the status each must get.

Adding a URL without rows here fails test_every_url_is_in_the_table: new views are checked by default.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient

ROLES = ["anonymous", "patient", "other_patient", "physio", "clinic_admin", "other_physio", "other_admin"]

# url name -> (kwargs builder, {role: status}); "login" means a redirect to the log-in page.
LOGIN = "login"
STAFF_ONLY = {"anonymous": LOGIN, "patient": 403, "other_patient": 403}
PHYSIO_OBJECT = {**STAFF_ONLY, "physio": 200, "clinic_admin": 403, "other_physio": 404, "other_admin": 403}

TABLE = {
    "home": (None, dict.fromkeys(ROLES, 302) | {"anonymous": LOGIN}),
    "healthz": (None, dict.fromkeys(ROLES, 200)),
    "login": (None, dict.fromkeys(ROLES, 302) | {"anonymous": 200}),
    "logout": (None, dict.fromkeys(ROLES, 405)),  # GET refused: logging out is a POST
    "password_reset": (None, dict.fromkeys(ROLES, 200)),
    "password_reset_done": (None, dict.fromkeys(ROLES, 200)),
    "password_reset_confirm": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, dict.fromkeys(ROLES, 200)),
    "password_reset_complete": (None, dict.fromkeys(ROLES, 200)),
    "set_password": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, dict.fromkeys(ROLES, 200)),
    "patients:list": (
        None,
        {**STAFF_ONLY, "physio": 200, "clinic_admin": 200, "other_physio": 200, "other_admin": 200},
    ),
    "patients:create": (
        None,
        {**STAFF_ONLY, "physio": 200, "clinic_admin": 403, "other_physio": 200, "other_admin": 403},
    ),
    "patients:detail": (
        lambda w: {"pk": w["target"].pk},
        {**STAFF_ONLY, "physio": 200, "clinic_admin": 200, "other_physio": 404, "other_admin": 404},
    ),
    "patients:edit": (lambda w: {"pk": w["target"].pk}, PHYSIO_OBJECT),
    "patients:threshold": (lambda w: {"pk": w["target"].pk}, PHYSIO_OBJECT),
    "patients:me": (
        None,
        {
            "anonymous": LOGIN,
            "patient": 200,
            "other_patient": 200,
            "physio": 403,
            "clinic_admin": 403,
            "other_physio": 403,
            "other_admin": 403,
        },
    ),
}


def _url_names(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                continue  # Django's own admin site, behind its own staff check
            yield from _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_url_is_in_the_table():
    names = set(_url_names(get_resolver().url_patterns))
    assert names - set(TABLE) == set(), "add rows for these URLs to the access table"
    assert set(TABLE) - names == set(), "these rows name URLs that no longer exist"


@pytest.fixture
def world(db):
    clinic, other_clinic = ClinicFactory(name="Home clinic"), ClinicFactory(name="Other clinic")
    physio = PhysioFactory(clinic=clinic)
    target = make_patient(physio=physio)
    return {
        "target": target,
        "anonymous": None,
        "patient": target.user,
        "other_patient": make_patient(physio=physio).user,
        "physio": physio,
        "clinic_admin": ClinicAdminFactory(clinic=clinic),
        "other_physio": PhysioFactory(clinic=other_clinic),
        "other_admin": ClinicAdminFactory(clinic=other_clinic),
    }


CASES = [(name, role) for name in TABLE for role in ROLES]


@pytest.mark.parametrize(("url_name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_access(client, world, url_name, role):
    kwargs_builder, statuses = TABLE[url_name]
    expected = statuses[role]
    url = reverse(url_name, kwargs=kwargs_builder(world) if kwargs_builder else None)
    if world[role] is not None:
        client.force_login(world[role])
    response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected, f"{role} GET {url}"
