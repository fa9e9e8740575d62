"""Role checks for views. A signed-in user with the wrong role gets 403; anonymous users go to login."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import User
from .rules import attempt_key


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            user = request.user
            if user.role not in roles or user.clinic_id is None:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(User.Role.PHYSIO, User.Role.CLINIC_ADMIN)
physio_required = role_required(User.Role.PHYSIO)
clinic_admin_required = role_required(User.Role.CLINIC_ADMIN)
patient_required = role_required(User.Role.PATIENT)


def login_attempt_username(request, credentials) -> str | None:
    """The login name a log-in attempt was for (rules.attempt_key): django-axes counts failures under it, so every
    spelling of one address counts against the one account."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return attempt_key(username) if isinstance(username, str) and username else None


def two_factor_required(user) -> bool:
    """Whoever can open the Django admin (every clinic's data) always; clinic staff when their clinic says so."""
    return user.is_staff or user.is_superuser or (user.clinic_id is not None and user.clinic.require_two_factor)
