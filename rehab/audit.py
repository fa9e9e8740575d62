"""The audit trail: every view of a patient's data by staff, and every change, recorded centrally.

Apps register each URL that shows or changes patient data, with a function that finds the patient it
concerns (see PatientsConfig.ready and ProgramsConfig.ready). The middleware then records requests to
those URLs; a test fails when a URL with an object in it is not registered, so a new page cannot slip by.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from .models import AuditEvent

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
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


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


class AuditMiddleware:
    """Finds the patient before the view runs (a view may delete the object), records after it answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_audit", None)
        if pending is None or response.status_code >= 400:
            return response
        user, audited, match, patient_id, clinic_id = pending
        if clinic_id is None:  # a superuser's page that concerns no patient
            return response
        if request.method == "GET" and user.role != "patient":
            action = AuditEvent.Action.VIEWED
        elif request.method == "POST" and not _refused(request, response):
            action = AuditEvent.Action.CHANGED
        else:
            return response
        AuditEvent.objects.create(
            user=user,
            clinic_id=clinic_id,
            action=action,
            what=match.view_name,
            object_id=_object_id(match, audited),
            patient_id=patient_id,
            path=request.get_full_path()[:300],
            method=request.method,
            ip_address=client_ip(request),
        )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        match = request.resolver_match
        if user is None or not user.is_authenticated or match is None:
            return None
        if user.clinic_id is None and not user.is_superuser:
            return None
        audited = REGISTRY.get(match.view_name)
        if audited is None or request.method not in ("GET", "POST"):
            return None
        object_id = match.kwargs.get(audited.object_kwarg) if audited.object_kwarg else None
        patient_id = audited.patient_of(request=request, object_id=object_id, kwargs=match.kwargs)
        clinic_id = user.clinic_id
        if audited.clinic_of is not None:  # the Django admin: the trail of the patient's own clinic
            clinic_id = audited.clinic_of(patient_id) if patient_id is not None else None
        request._audit = (user, audited, match, patient_id, clinic_id)
        return None
