"""Writes about clinics and accounts. Every function is keyword-only and runs in a transaction."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from .enqueue import enqueue_on_commit
from .models import AuditEvent, Clinic, ClinicSettingsChange, User
from .rules import login_key

SET_PASSWORD_TASK = "rehab.tasks.send_set_password_email"  # noqa: S105 - a task name


def email_in_use(email: str, *, exclude_user_id: int | None = None) -> bool:
    """Whether another account has this address's login name (however the address is spelt)."""
    qs = User.objects.filter(email=login_key(email))
    if exclude_user_id is not None:
        qs = qs.exclude(pk=exclude_user_id)
    return qs.exists()


@transaction.atomic
def user_create(
    *, clinic: Clinic, role: str, email: str, first_name: str, last_name: str, password: str | None = None
) -> User:
    """Create an account. Without a password it cannot log in until its owner sets one from the emailed link."""
    email = login_key(email)
    if email_in_use(email):
        raise ValidationError({"email": "An account with this email address already exists."})
    user = User(clinic=clinic, role=role, email=email, first_name=first_name.strip(), last_name=last_name.strip())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def audit_record(
    *,
    user: User,
    clinic_id: int,
    action: str,
    outcome: str,
    what: str,
    path: str,
    method: str,
    object_id: int | None = None,
    patient_id: int | None = None,
    ip_address: str | None = None,
    at=None,
) -> AuditEvent:
    """Add a row to the audit trail (the one thing anyone may do to it), in the caller's transaction: the audit
    middleware records each request in the transaction of the view that served it."""
    event = AuditEvent(
        user=user,
        clinic_id=clinic_id,
        action=action,
        outcome=outcome,
        what=what,
        object_id=object_id,
        patient_id=patient_id,
        path=path[:300],
        method=method,
        ip_address=ip_address,
        **({"at": at} if at is not None else {}),
    )
    # Every request writes one: its fields are checked here, its two CHECK constraints by the database alone (checking
    # them here would cost two queries a request). The user and clinic are the requesting user's own.
    event.full_clean(exclude=["user", "clinic"], validate_constraints=False)
    event.save(force_insert=True)
    return event


def login_lockout_lift(*, user: User) -> int:
    """Forget the failed log-ins that locked an account out (django-axes), as when its owner sets a new password
    by email: they have proved who they are. Returns how many attempts were forgotten."""
    from axes.utils import reset

    return reset(username=login_key(user.email))


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("set_password", kwargs={"uidb64": uid, "token": token})


def user_queue_set_password_email(*, user: User) -> None:
    """Queue the email with a link to choose a password (sent by a worker once the transaction commits)."""
    enqueue_on_commit(SET_PASSWORD_TASK, user.pk)


def user_send_set_password_email(*, user: User) -> None:
    """Email the account's owner a one-time link to choose their password."""
    link = settings.SITE_URL.rstrip("/") + set_password_path(user)
    context = {
        "user": user,
        "link": link,
        "clinic": user.clinic,
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("rehab/emails/set_password_subject.txt", context).strip()
    body = render_to_string("rehab/emails/set_password.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


# --- Clinic administration -----------------------------------------------------------------------

STAFF_ROLES = (User.Role.PHYSIO, User.Role.CLINIC_ADMIN)
SETTINGS_FIELDS = Clinic.SETTINGS_FIELDS


@transaction.atomic
def staff_invite(*, clinic: Clinic, invited_by: User, email: str, first_name: str, last_name: str, role: str) -> User:
    """Open a staff account and email its owner a link to set their password (the link expires)."""
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Choose physiotherapist or clinic admin."})
    user = user_create(clinic=clinic, role=role, email=email, first_name=first_name, last_name=last_name)
    user_queue_set_password_email(user=user)
    return user


def _active_admins(clinic: Clinic):
    return User.objects.filter(clinic=clinic, role=User.Role.CLINIC_ADMIN, is_active=True)


@transaction.atomic
def staff_set_active(*, user: User, active: bool, by: User) -> User:
    """Deactivate (cannot log in; their patients and history stay) or reactivate a staff account."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role not in STAFF_ROLES or user.clinic_id != by.clinic_id:
        raise ValidationError("Only staff of your own clinic can be changed here.")
    if user.is_active == active:
        raise ValidationError(f"{user} is already {'active' if active else 'deactivated'}.")
    if not active and user.role == User.Role.CLINIC_ADMIN:
        # Lock the clinic's admins so two admins cannot deactivate each other at the same moment.
        admins = list(_active_admins(user.clinic).select_for_update())
        if len(admins) <= 1:
            raise ValidationError("A clinic needs at least one active admin: invite another admin first.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def clinic_update_settings(*, clinic: Clinic, by: User, **values) -> ClinicSettingsChange | None:
    """Change the clinic's settings; the change is recorded with who made it and when."""
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    changes = {}
    for field in SETTINGS_FIELDS:
        if field in values and getattr(clinic, field) != values[field]:
            changes[field] = [getattr(clinic, field), values[field]]
            setattr(clinic, field, values[field])
    if not changes:
        return None
    clinic.full_clean()
    clinic.save()
    return ClinicSettingsChange.objects.create(clinic=clinic, changed_by=by, changes=changes)


@transaction.atomic
def clinic_create(*, name: str, time_zone: str, admin_email: str, admin_first_name: str, admin_last_name: str) -> User:
    """A new clinic with its first admin, who is emailed a link to set a password."""
    clinic = Clinic(name=name.strip(), time_zone=time_zone)
    clinic.full_clean()
    clinic.save()
    admin = user_create(
        clinic=clinic,
        role=User.Role.CLINIC_ADMIN,
        email=admin_email,
        first_name=admin_first_name,
        last_name=admin_last_name,
    )
    user_queue_set_password_email(user=admin)
    return admin


# --- Two-factor devices ---------------------------------------------------------------------------


def totp_pending_device(*, user: User):
    """The user's authenticator device waiting for its first code (made if there is none)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_confirm(*, device, token: str):
    """Switch two-factor login on once the first code from the app checks out."""
    if not device.verify_token(token):
        raise ValidationError(
            {"token": "That code is not right. Check the time on your phone and try the current one."}
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_verify(*, user: User, token: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


@transaction.atomic
def user_log_out_everywhere(*, user: User, keep_endpoint: str = "") -> User:
    """End every session of the account, on every device: a session keeps the account's session hash, which raising
    its generation changes (User.get_session_auth_hash). What reaches those devices stops too
    (user_forget_other_devices). The caller keeps its own session with django.contrib.auth.update_session_auth_hash."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    user_forget_other_devices(user=user, keep_endpoint=keep_endpoint)
    return user


@transaction.atomic
def user_forget_other_devices(*, user: User, keep_endpoint: str = "") -> None:
    """After the account's other sessions ended (log out everywhere, a new password): the apps built on this one
    forget those devices (settings.USER_OTHER_DEVICES_HOOKS: the reminders app, their notification subscriptions),
    but this device's, named by its push endpoint (`keep_endpoint`) if it has one."""
    for hook in settings.USER_OTHER_DEVICES_HOOKS:
        import_string(hook)(user=user, keep_endpoint=keep_endpoint)
