"""Writes about clinics and accounts. Every function is keyword-only and runs in a transaction."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Clinic, User


def email_in_use(email: str, *, exclude_user_id: int | None = None) -> bool:
    qs = User.objects.filter(email__iexact=email)
    if exclude_user_id is not None:
        qs = qs.exclude(pk=exclude_user_id)
    return qs.exists()


@transaction.atomic
def user_create(
    *, clinic: Clinic, role: str, email: str, first_name: str, last_name: str, password: str | None = None
) -> User:
    """Create an account. Without a password it cannot log in until its owner sets one from the emailed link."""
    email = User.objects.normalize_email(email).strip().lower()
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


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("set_password", kwargs={"uidb64": uid, "token": token})


def user_send_set_password_email(*, user: User) -> None:
    """Email the account's owner a one-time link to choose their password."""
    link = settings.SITE_URL.rstrip("/") + set_password_path(user)
    context = {
        "user": user,
        "link": link,
        "clinic": user.clinic,
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("emails/set_password_subject.txt", context).strip()
    body = render_to_string("emails/set_password.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
