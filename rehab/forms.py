"""Form helpers shared by every app."""

import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .models import MAX_WINDOW_MINUTES, SETTING_RANGES, Clinic, User
from .rules import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, login_key


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def run_service(form: forms.Form, service, /, **kwargs):
    """Call a service; put any ValidationError it raises beside the form field it names.

    Returns the service's result, or None when it refused (the form then has errors to show).
    """
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                if field == NON_FIELD_ERRORS:
                    target = None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
        return None


class EmailAddressField(forms.EmailField):
    """An email address that is someone's login name: turned into it (rules.login_key) before it is checked, so that
    an address typed in full-width letters or upper case is the address it means."""

    def to_python(self, value):
        value = super().to_python(value)
        return login_key(value) if value else value


class EmailLoginForm(AuthenticationForm):
    """The login form, asking for an email address rather than a user name.

    An address or a password longer than any account can have is refused beside its field before anything looks
    the account up or hashes the password, and still counts as a failed log-in (rehab/lockout.py)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "maxlength": EMAIL_MAX_LENGTH}
        )
        self.fields["username"].error_messages["required"] = "Enter your email address."
        self.fields["password"].error_messages["required"] = "Enter your password."

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        too_long = False
        if username and len(username) > EMAIL_MAX_LENGTH:
            self.add_error("username", f"An email address has at most {EMAIL_MAX_LENGTH} characters.")
            too_long = True
        if password and len(password) > PASSWORD_MAX_LENGTH:
            self.add_error("password", f"A password has at most {PASSWORD_MAX_LENGTH} characters.")
            too_long = True
        if too_long:
            # Counted like a wrong password (its address's count, and the name's), never checked.
            user_login_failed.send(sender=type(self), credentials={"username": username or ""}, request=self.request)
            return self.cleaned_data
        return super().clean()


class PasswordResetForm(DjangoPasswordResetForm):
    """Also reaches accounts whose owner never set a password (they lost the first link)."""

    email = EmailAddressField(
        label="Email", max_length=EMAIL_MAX_LENGTH, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        return get_user_model()._default_manager.filter(email=login_key(email), is_active=True)


TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


def bounded_int(*, low: int, high: int, message: str = "", **kwargs) -> forms.IntegerField:
    """A whole-number field from `low` to `high` whose errors speak the app's words rather than Django's
    ("Ensure this value is greater than or equal to 1"): `message`, or "Give a number from ... to ..."."""
    message = message or f"Give a number from {low:,} to {high:,}."
    # Django fills in the range limit with %-formatting: a "%" of the message's own must be doubled.
    message = message.replace("%", "%%")
    errors = {"min_value": message, "max_value": message, "invalid": "Enter a whole number."}
    return forms.IntegerField(min_value=low, max_value=high, error_messages=errors, **kwargs)


def _clinic_label(field: str) -> str:
    return Clinic._meta.get_field(field).verbose_name.capitalize()


def _clinic_setting(field: str, **kwargs) -> forms.IntegerField:
    """A number setting of the clinic's, with the range its CHECK constraint holds (rehab.models.SETTING_RANGES)."""
    low, high = SETTING_RANGES[field]
    help_text = Clinic._meta.get_field(field).help_text
    return bounded_int(label=_clinic_label(field), low=low, high=high, help_text=help_text, **kwargs)


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = EmailAddressField()
    role = forms.ChoiceField(choices=[(User.Role.PHYSIO, "Physiotherapist"), (User.Role.CLINIC_ADMIN, "Clinic admin")])


class ClinicSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES)
    urgent_ack_minutes = bounded_int(
        label=_clinic_label("urgent_ack_minutes"),
        low=1,
        high=MAX_WINDOW_MINUTES,
        help_text="Up to 30 days (43,200 minutes).",
    )
    ack_hours = bounded_int(
        label=_clinic_label("ack_hours"), low=1, high=MAX_WINDOW_MINUTES // 60, help_text="Up to 30 days (720 hours)."
    )
    rest_days_allowed = bounded_int(
        label=_clinic_label("rest_days_allowed"),
        low=1,
        high=14,
        help_text=Clinic._meta.get_field("rest_days_allowed").help_text,
    )
    progression_percent = bounded_int(
        label=_clinic_label("progression_percent"), low=1, high=100, message="Give a percentage from 1 to 100."
    )
    progress_min_sessions = _clinic_setting("progress_min_sessions")
    progress_min_days = _clinic_setting("progress_min_days")
    progress_min_adherence = _clinic_setting("progress_min_adherence", message="Give a percentage from 1 to 100.")
    ease_off_percent = _clinic_setting("ease_off_percent", message="Give a percentage from 1 to 90.")
    flare_up_days = _clinic_setting("flare_up_days")
    max_pause_weeks = _clinic_setting("max_pause_weeks")

    def clean(self):
        data = super().clean()
        urgent, other = data.get("urgent_ack_minutes"), data.get("ack_hours")
        if urgent and other and urgent > other * 60:
            self.add_error("urgent_ack_minutes", "Urgent flags cannot wait longer than the other flags.")
        return data

    class Meta:
        model = Clinic
        fields = list(Clinic.SETTINGS_FIELDS)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="Six-digit code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Type the six digits your authenticator app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip()
