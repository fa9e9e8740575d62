import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .rules import login_key

MAX_WINDOW_MINUTES = 30 * 24 * 60  # acknowledgement windows are at most 30 days

# The ranges of the settings for progress and flare-ups (docs/clinical-rules.md, rules 17 and 18): the Settings form
# and the database's CHECK constraints hold the same limits.
SETTING_RANGES = {
    "progress_min_sessions": (1, 50),
    "progress_min_days": (1, 90),
    "progress_min_adherence": (1, 100),
    "ease_off_percent": (1, 90),
    "flare_up_days": (1, 14),
    "max_pause_weeks": (1, 26),
}


def _ranged(field: str) -> list:
    low, high = SETTING_RANGES[field]
    return [MinValueValidator(low), MaxValueValidator(high)]


def _in_range(field: str) -> models.CheckConstraint:
    low, high = SETTING_RANGES[field]
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": low, f"{field}__lte": high}), name=f"clinic_{field}_range"
    )


# A phone number as people write it: an optional +, then 7 to 30 digits, spaces, brackets or dashes.
PHONE_PATTERN = r"^\+?[0-9(][0-9 ()-]{5,28}[0-9]\Z"  # \Z: the very end, in Python and PostgreSQL


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("%(value)s is not a known time zone.", params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text="Days, deadlines and rest counts follow this time zone.",
    )
    # The numbers the clinic works by (docs/clinical-rules.md, rules 7, 9 and 12), with the product's defaults.
    urgent_ack_minutes = models.PositiveIntegerField(
        "urgent flags: acknowledge within (minutes)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_MINUTES)],
    )
    ack_hours = models.PositiveIntegerField(
        "other flags: acknowledge within (hours)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_MINUTES // 60)],
    )
    rest_days_allowed = models.PositiveSmallIntegerField(
        "rest days allowed in a row",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
        help_text="A patient who rests more days in a row than this is flagged.",
    )
    progression_percent = models.PositiveSmallIntegerField(
        "weekly volume may grow by (%)", default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Ready to progress (rule 17): what a patient's sessions on the version in force must show.
    progress_min_sessions = models.PositiveSmallIntegerField(
        "ready to progress: sessions on the version in force, at least",
        default=6,
        validators=_ranged("progress_min_sessions"),
    )
    progress_min_days = models.PositiveSmallIntegerField(
        "ready to progress: days on the version in force, at least",
        default=14,
        validators=_ranged("progress_min_days"),
    )
    progress_min_adherence = models.PositiveSmallIntegerField(
        "ready to progress: adherence over the last 14 days, at least (%)",
        default=80,
        validators=_ranged("progress_min_adherence"),
    )
    ease_off_percent = models.PositiveSmallIntegerField(
        "easing off: dose down by (%)",
        default=25,
        validators=_ranged("ease_off_percent"),
        help_text="An easier version prepared after a pain flag, or as a flare-up plan, lowers each exercise that has "
        "no easier variant by this share.",
    )
    flare_up_days = models.PositiveSmallIntegerField(
        "a flare-up plan lasts (days)",
        default=3,
        validators=_ranged("flare_up_days"),
        help_text="From the day the patient switches to it; they or their physiotherapist can end it sooner.",
    )
    max_pause_weeks = models.PositiveSmallIntegerField(
        "a pause lasts at most (weeks)",
        default=8,
        validators=_ranged("max_pause_weeks"),
        help_text="A longer break is better planned as a review with the patient than as a pause of their program.",
    )
    phone = models.CharField(
        "clinic phone number",
        max_length=30,
        blank=True,
        default="",
        validators=[
            RegexValidator(PHONE_PATTERN, "Use digits, spaces, brackets and dashes, with + in front if you like.")
        ],
        help_text="Patients see it beside the advice after a painful session, to call the clinic if they are worried.",
    )
    require_two_factor = models.BooleanField(
        "staff must use two-factor login", default=False, help_text="Staff then confirm each login with a code."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # What the clinic's admin may change on the Settings page.
    SETTINGS_FIELDS = (
        "name",
        "time_zone",
        "urgent_ack_minutes",
        "ack_hours",
        "rest_days_allowed",
        "progression_percent",
        "progress_min_sessions",
        "progress_min_days",
        "progress_min_adherence",
        "ease_off_percent",
        "flare_up_days",
        "max_pause_weeks",
        "phone",
        "require_two_factor",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urgent_ack_minutes__gte=1, urgent_ack_minutes__lte=MAX_WINDOW_MINUTES),
                name="clinic_urgent_ack_range",
            ),
            models.CheckConstraint(
                condition=models.Q(ack_hours__gte=1, ack_hours__lte=MAX_WINDOW_MINUTES // 60), name="clinic_ack_range"
            ),
            models.CheckConstraint(
                condition=models.Q(rest_days_allowed__gte=1, rest_days_allowed__lte=14), name="clinic_rest_days_range"
            ),
            models.CheckConstraint(
                condition=models.Q(progression_percent__gte=1, progression_percent__lte=100),
                name="clinic_progression_range",
            ),
            *(_in_range(field) for field in SETTING_RANGES),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=PHONE_PATTERN), name="clinic_phone_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_uri(self) -> str:
        """The number as a tel: link: its digits, with + in front of an international number, whose "(0)"
        (the trunk prefix, dialled only from inside the country) is left out."""
        international = self.phone.startswith("+")
        number = self.phone.replace("(0)", "") if international else self.phone
        digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
        return f"tel:{'+' if international else ''}{digits}" if digits else ""

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self) -> date:
        """Today's date in the clinic's own time zone."""
        return timezone.localdate(timezone=self.tzinfo)


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """The address's login name (rules.login_key): AbstractUser.clean() and every form of the admin use it."""
        return login_key(email) if isinstance(email, str) else email

    def get_by_natural_key(self, email):
        """The account whose login name is exactly this address's: a look-alike letter finds no account."""
        return self.get(email=self.normalize_email(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.CLINIC_ADMIN)
        return self._create_user(email, password, **extra_fields)


class Role(models.TextChoices):
    PHYSIO = "physio", "Physiotherapist"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PATIENT = "patient", "Patient"


class User(AbstractUser):
    """Everybody who logs in: clinic staff and patients. People log in with their email address."""

    Role = Role

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    # Raised by "Log out on all devices": every session signed in before it no longer matches (get_session_auth_hash).
    session_generation = models.PositiveIntegerField(default=0)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="An account with this email address already exists.",
            ),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
            # Only a site superuser may stand outside every clinic.
            models.CheckConstraint(
                condition=models.Q(clinic__isnull=False) | models.Q(is_superuser=True),
                name="user_clinic_required",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # Every way of saving an account keeps its address as its login name, so that lookups by exact match find it.
        self.email = type(self).objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_session_auth_hash(self):
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password, which each session keeps and must still match: a new password ends every
        other session. Once the account has logged out everywhere, the hash takes the generation in too, so that
        raising it ends them as well (and before that it is Django's own, so no session ended when this came in)."""
        if not self.session_generation:
            return self._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "rehab.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_physio(self) -> bool:
        return self.role == self.Role.PHYSIO

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.CLINIC_ADMIN

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in (self.Role.PHYSIO, self.Role.CLINIC_ADMIN) and self.clinic_id is not None


class ClinicSettingsChange(models.Model):
    """One save of a clinic's settings: who changed what, from which value to which."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="settings_changes")
    changed_by = models.ForeignKey("rehab.User", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(help_text="{field: [old value, new value]}")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.clinic} settings changed at {self.changed_at}"


class AuditAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    CHANGED = "changed", "Changed"


class AuditOutcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    REFUSED = "refused", "Refused"  # not the user's to see or change (403, or 404 for someone else's)


class AuditEvent(models.Model):
    """Who looked at or changed a patient's data, or tried to, what, when and from where. Written once, never edited:
    the app's database role may only add and read rows, and triggers refuse to change, delete or empty them."""

    Action = AuditAction
    Outcome = AuditOutcome

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey("rehab.User", on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    what = models.CharField(max_length=60, help_text="The page or action, by its URL name.")
    object_id = models.BigIntegerField(null=True, blank=True)
    # Plain ids: the audit belongs to the core app, which cannot point at the apps built on it.
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    path = models.CharField(max_length=300)
    method = models.CharField(max_length=8)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["clinic", "patient_id", "at"], name="audit_patient_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"),
            models.CheckConstraint(condition=models.Q(outcome__in=AuditOutcome.values), name="audit_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.what} at {self.at}: {self.outcome}"
