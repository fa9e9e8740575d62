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


REGISTRY: dict[str, Audited] = {}


def register(url_name: str, *, object_kwarg: str | None = "pk", patient_of: Callable[..., int | None]) -> None:
    REGISTRY[url_name] = Audited(object_kwarg, patient_of)


def client_ip(request) -> str | None:
    if settings.AUDIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None or user.clinic_id is None:
            return response
        audited = REGISTRY.get(match.view_name)
        if audited is None or response.status_code >= 400:
            return response
        if request.method == "GET" and user.role != "patient":
            action = AuditEvent.Action.VIEWED
        elif request.method == "POST":
            action = AuditEvent.Action.CHANGED
        else:
            return response
        object_id = match.kwargs.get(audited.object_kwarg) if audited.object_kwarg else None
        AuditEvent.objects.create(
            user=user,
            clinic_id=user.clinic_id,
            action=action,
            what=match.view_name,
            object_id=object_id,
            patient_id=audited.patient_of(request=request, object_id=object_id, kwargs=match.kwargs),
            path=request.get_full_path()[:300],
            method=request.method,
            ip_address=client_ip(request),
        )
        return response
