"""The audit trail: every view of a patient's data by staff, every change, and every refused attempt, recorded
centrally.

Apps register each URL that shows or changes patient data, with a function that finds the patient it concerns (each
app's audit.py, called from its AppConfig.ready). A page that lists patients or exports their data registers too,
with object_kwarg=None and no patient (patients:list, flags:queue). The middleware then records requests to those
URLs; a test fails when a URL with an object in it is not registered, so a new page cannot slip by.
"""

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve

from .models import AuditEvent
from .services import audit_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audited:
    """How to find the patient behind a request to one URL: from its kwargs, or from the request."""

    object_kwarg: str | None
    patient_of: Callable[..., int | None]
    # For superusers, who belong to no clinic (the Django admin): the clinic of the patient, whose trail it joins.
    clinic_of: Callable[[int], int | None] | None = None
    object_is_patient: bool = False  # the URL's object is the patient whose trail it is: its id says nothing more


REGISTRY: dict[str, Audited] = {}
# The clinic of a patient, by id: given by the patients app (which this one cannot import), to tell whether a refused
# attempt concerned one of the user's own clinic's patients.
PATIENT_CLINIC: Callable[[int], int | None] | None = None
LABELS: dict[str, str] = {}  # URL name -> what the audit page calls it, given by each app with its URLs
# The names the trail recorded pages under before they moved to another app (its rows are never rewritten): they
# read as the page is called now.
FORMER_NAMES = {
    "patients:flag_detail": "flags:detail",
    "patients:flag_acknowledge": "flags:acknowledge",
    "patients:flag_resolve": "flags:resolve",
    "patients:flag_reassign": "flags:reassign",
    "patients:flag_bulk_resolve": "flags:bulk_resolve",
    "programs:checkin": "checkins:create",
    "programs:report_done": "checkins:detail",
    "programs:report_correct": "checkins:correct",
    "programs:patient_reports": "checkins:patient",
}


def label_for(what: str) -> str:
    return LABELS.get(FORMER_NAMES.get(what, what), what)


def object_label(what: str, object_id) -> str:
    """The object an audit event is about, as "#12"; nothing when there is none or it is the patient."""
    audited = REGISTRY.get(FORMER_NAMES.get(what, what))
    if object_id in (None, "") or (audited is not None and audited.object_is_patient):
        return ""
    return f"#{object_id}"


def register(
    url_name: str,
    *,
    object_kwarg: str | None = "pk",
    patient_of: Callable[..., int | None],
    clinic_of: Callable[[int], int | None] | None = None,
    object_is_patient: bool = False,
) -> None:
    REGISTRY[url_name] = Audited(object_kwarg, patient_of, clinic_of, object_is_patient)


def patient_via(model, path: str = "patient_id") -> Callable[..., int | None]:
    """How a URL whose object is a `model` finds its patient: by following `path` from that object."""

    def patient_of(*, object_id, **_) -> int | None:
        return model.objects.filter(pk=as_id(object_id)).values_list(path, flat=True).first()

    return patient_of


def patient_in_url(*, kwargs, **_) -> int | None:
    """For a URL whose patient_pk names the patient."""
    return as_id(kwargs["patient_pk"])


def client_ip(request) -> str | None:
    """The client's address. Behind a trusted proxy, the address that proxy appended to X-Forwarded-For
    (the last entry: the ones before it come from the client and can say anything)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded and _is_address(forwarded[-1]):
            return forwarded[-1]
    address = request.META.get("REMOTE_ADDR") or None
    return address if address and _is_address(address) else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def mark_refused(response):
    """Tell the audit that this answer to a POST changed nothing (an htmx fragment showing an error)."""
    response.audit_refused = True
    return response


def _refused(request, response) -> bool:
    # A plain form post that changed something redirects; one shown again with its errors answers 200.
    if getattr(response, "audit_refused", False):
        return True
    return response.status_code == 200 and not request.headers.get("HX-Request")


def as_id(value) -> int | None:
    """A database id from a URL part, or None: ASCII digits only, within a bigint."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 18:
        return int(value)
    return None


def _object_id(match, audited: Audited) -> int | None:
    return as_id(match.kwargs.get(audited.object_kwarg)) if audited.object_kwarg else None


@dataclass(frozen=True)
class _Target:
    """An audited request: who, through which URL, about which patient, in which clinic's trail."""

    user: object
    audited: Audited
    match: object
    patient_id: int | None
    clinic_id: int


class AuditMiddleware:
    """Records the requests to registered URLs: a page seen, a change made, or either refused.

    The view runs in a transaction that its audit row joins, so that a change and its row commit together or not
    at all (a failed audit write undoes the change and answers 500). An answer of 400 or more keeps nothing the view
    did; one of 403 or 404 (a page or object that is not the user's, or does not exist) is recorded as refused, in
    the user's own clinic's trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self._target(request)
        if target is None:
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code < 400:
                action = self._action(request, response, target)
                if action is not None:
                    _write(request, target, action=action, outcome=AuditEvent.Outcome.ALLOWED)
                return response
            transaction.set_rollback(True)
        if response.status_code in REFUSED_STATUSES:
            _write(request, target, action=_attempted(request), outcome=AuditEvent.Outcome.REFUSED)
        return response

    @staticmethod
    def _action(request, response, target: _Target) -> str | None:
        if request.method == "GET" and target.user.role != "patient":  # patients' own pages are not recorded
            return AuditEvent.Action.VIEWED
        if request.method == "POST" and not _refused(request, response):
            return AuditEvent.Action.CHANGED
        return None

    @staticmethod
    def _target(request) -> _Target | None:
        user = getattr(request, "user", None)
        if user is None or request.method not in ("GET", "POST") or not user.is_authenticated:
            return None
        if user.clinic_id is None and not user.is_superuser:
            return None
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None
        audited = REGISTRY.get(match.view_name)
        if audited is None:
            return None
        # Found before the view runs: a view may delete the object.
        object_id = match.kwargs.get(audited.object_kwarg) if audited.object_kwarg else None
        patient_id = audited.patient_of(request=request, object_id=object_id, kwargs=match.kwargs)
        clinic_id = user.clinic_id
        if audited.clinic_of is not None:  # the Django admin: the trail of the patient's own clinic
            clinic_id = audited.clinic_of(patient_id) if patient_id is not None else None
        if clinic_id is None:  # a superuser's page that concerns no patient
            return None
        return _Target(user, audited, match, patient_id, clinic_id)


REFUSED_STATUSES = (403, 404)


def _attempted(request) -> str:
    return AuditEvent.Action.VIEWED if request.method == "GET" else AuditEvent.Action.CHANGED


def _write(request, target: _Target, *, action: str, outcome: str) -> None:
    patient_id = target.patient_id
    refused = outcome == AuditEvent.Outcome.REFUSED and patient_id is not None and PATIENT_CLINIC is not None
    if refused and PATIENT_CLINIC(patient_id) != target.clinic_id:
        # Another clinic's patient is no business of this clinic's trail: the URL's object id says what was tried.
        patient_id = None
    audit_record(
        user=target.user,
        clinic_id=target.clinic_id,
        action=action,
        outcome=outcome,
        what=target.match.view_name,
        object_id=_object_id(target.match, target.audited),
        patient_id=patient_id,
        path=request.get_full_path(),
        method=request.method,
        ip_address=client_ip(request),
    )
