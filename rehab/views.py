from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .forms import EmailLoginForm
from .models import User

LANDING_PAGES = {
    User.Role.PHYSIO: "programs:dashboard",
    User.Role.CLINIC_ADMIN: "patients:flag_queue",
    User.Role.PATIENT: "programs:today",
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


@never_cache
@require_GET
def healthz(request):
    """Liveness and database check for load balancers and docker compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    redirect_authenticated_user = True


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link emailed at registration: the new account's owner chooses a password."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("home")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
