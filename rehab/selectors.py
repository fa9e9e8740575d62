"""Reads about clinics and accounts, always within the requesting admin's clinic."""

from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ClinicSettingsChange, User
from .services import STAFF_ROLES


def staff_of(*, user: User) -> QuerySet[User]:
    if not user.is_authenticated or user.clinic_id is None or user.role != User.Role.CLINIC_ADMIN:
        return User.objects.none()
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(clinic_id=user.clinic_id, role__in=STAFF_ROLES)
        .annotate(has_two_factor=Exists(confirmed))
        .order_by("-is_active", "last_name", "first_name", "pk")
    )


def settings_history(*, user: User) -> QuerySet[ClinicSettingsChange]:
    return ClinicSettingsChange.objects.filter(clinic_id=user.clinic_id).select_related("changed_by")[:50]
