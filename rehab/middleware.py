import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp import user_has_device

from .permissions import two_factor_required


class ClinicTimezoneMiddleware:
    """Show every date and time in the time zone of the signed-in user's clinic."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# Pages a signed-in member of staff may open before confirming their two-factor code.
TWO_FACTOR_OPEN = ("two_factor_verify", "two_factor_setup", "logout", "healthz", "web_manifest", "service_worker")


class SessionPolicyMiddleware:
    """Idle expiry for every session, and two-factor login for staff who have it or whose clinic requires it,
    and for everyone who can open the Django admin."""

    REFRESH_EVERY = 60  # seconds; the session's expiry moves on at most this often

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            self._touch(request, staff=user.role != "patient")
            redirect_to = self._two_factor_redirect(request)
            if redirect_to is not None:
                return redirect_to
        return self.get_response(request)

    def _touch(self, request, *, staff: bool) -> None:
        now = int(time.time())
        if now - request.session.get("_seen", 0) >= self.REFRESH_EVERY:
            request.session["_seen"] = now
            request.session.set_expiry(settings.STAFF_IDLE_SECONDS if staff else settings.PATIENT_IDLE_SECONDS)

    def _two_factor_redirect(self, request):
        user = request.user
        if (
            user.is_verified() or user.role == "patient"
        ):  # patients have no two-factor (nor the admin: see OTPAdminSite)
            return None
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        match = _resolve(request.path_info)
        if match is not None and match.url_name in TWO_FACTOR_OPEN:
            return None
        if user_has_device(user, confirmed=True):
            return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.get_full_path()})}")
        if two_factor_required(user):
            return redirect("two_factor_setup")
        return None


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
