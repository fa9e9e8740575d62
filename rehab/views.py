import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from . import selectors, services
from .forms import ClinicSettingsForm, EmailLoginForm, InviteForm, TokenForm, run_service
from .models import Clinic, User
from .permissions import clinic_admin_required, two_factor_required

LANDING_PAGES = {
    User.Role.PHYSIO: "flags:dashboard",
    User.Role.CLINIC_ADMIN: "flags:queue",
    User.Role.PATIENT: "checkins:today",
}


@login_required
def home(request):
    """Send each role to its own landing page."""
    target = LANDING_PAGES.get(request.user.role)
    if target is None or request.user.clinic_id is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        raise PermissionDenied
    return redirect(target)


def moved_form(*, pattern_name: str):
    """A page with a form that moved: a permanent redirect that keeps the method and the body (308), so that a form
    left open across the move is still sent on, to its new address."""

    def moved(request, **kwargs):
        response = HttpResponse(status=308)
        response["Location"] = reverse(pattern_name, kwargs=kwargs)
        return response

    return moved


@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers and docker compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


class LoginView(auth_views.LoginView):
    """The log-in page. Opened while someone is signed in (a shared desk computer), it says who and offers to log
    them out, rather than carrying on as them."""

    form_class = EmailLoginForm
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET" and self.request.user.is_authenticated:
            context["signed_in_as"] = self.request.user
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link's page: a new password, which also lifts a lockout after too many failed log-ins."""

    def form_valid(self, form):
        with transaction.atomic():  # the new password ends the other sessions; what reaches those devices stops too
            response = super().form_valid(form)
            services.login_lockout_lift(user=form.user)
            services.user_forget_other_devices(user=form.user)
        return response


class SetPasswordView(PasswordResetConfirmView):
    """The link emailed at registration: the new account's owner chooses a password."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("home")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"


# --- Clinic administration -----------------------------------------------------------------------


@clinic_admin_required
def staff_list(request):
    return _staff_page(request, InviteForm())


def _staff_page(request, invite_form):
    return render(
        request,
        "rehab/staff_list.html",
        {
            "staff": selectors.staff_of(user=request.user),
            "form": invite_form,
            "panels": [import_string(path)(request=request) for path in settings.STAFF_PAGE_PANELS],
        },
    )


@clinic_admin_required
def staff_invite(request):
    if request.method != "POST":  # e.g. reloading the page after a refused invitation
        return redirect("staff_list")
    form = InviteForm(request.POST)
    if form.is_valid():
        user = run_service(
            form, services.staff_invite, clinic=request.user.clinic, invited_by=request.user, **form.cleaned_data
        )
        if user is not None:
            messages.success(request, f"{user.get_full_name()} is invited: we have emailed {user.email} a link.")
            return redirect("staff_list")
    return _staff_page(request, form)


def _staff_member(request, pk: int) -> User:
    try:
        return selectors.staff_of(user=request.user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404("No such staff member in your clinic.") from exc


@require_POST
@clinic_admin_required
def staff_set_active(request, pk: int, active: bool):
    member = _staff_member(request, pk)
    try:
        services.staff_set_active(user=member, active=active, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = "reactivated" if active else "deactivated: they can no longer log in"
        messages.success(request, f"{member.get_full_name()} is {done}.")
    return redirect("staff_list")


@clinic_admin_required
def clinic_settings(request):
    clinic = request.user.clinic
    form = ClinicSettingsForm(request.POST or None, instance=Clinic.objects.get(pk=clinic.pk))
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in services.SETTINGS_FIELDS}
        change = run_service(form, services.clinic_update_settings, clinic=clinic, by=request.user, **values)
        if change is not None or not form.errors:
            messages.success(request, "Settings saved." if change else "Nothing changed.")
            return redirect("clinic_settings")
    return render(
        request,
        "rehab/clinic_settings.html",
        {
            "form": form,
            "history": selectors.settings_history(user=request.user),
            "labels": {f: str(Clinic._meta.get_field(f).verbose_name) for f in Clinic.SETTINGS_FIELDS},
        },
    )


# --- Two-factor login (TOTP) ----------------------------------------------------------------------


def _staff_only(request):
    if request.user.role == User.Role.PATIENT:
        raise PermissionDenied


@login_required
def two_factor_setup(request):
    """Add an authenticator app: scan the code, type the six digits it shows."""
    _staff_only(request)
    if user_has_device(request.user, confirmed=True):
        return render(request, "registration/two_factor_setup.html", {"already_on": True})
    device = services.totp_pending_device(user=request.user)
    form = TokenForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.totp_confirm, device=device, token=form.cleaned_data["token"]) is not None
    ):
        otp_login(request, device)
        messages.success(request, "Two-factor login is on. You will be asked for a code each time you log in.")
        return redirect("home")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4)),  # noqa: S308
            "secret": base64.b32encode(device.bin_key).decode(),
            "required": two_factor_required(request.user),
        },
    )


@login_required
def two_factor_verify(request):
    """After the password: the code from the authenticator app."""
    _staff_only(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(user=request.user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", "That code is not right, or it has expired. Try the current one.")
        else:
            otp_login(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("home")
            return redirect(target)
    return render(request, "registration/two_factor_verify.html", {"form": form})
