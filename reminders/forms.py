from django import forms
from django.conf import settings

from . import rules


class ReminderSettingsForm(forms.Form):
    """When and how the patient is reminded, on their own page."""

    time = forms.TimeField(
        label="Reminder time",
        input_formats=["%H:%M", "%H:%M:%S", "%H.%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={
            "required": "Give the time you would like to be reminded, for example 18:00.",
            "invalid": "Give a time of day as hours and minutes, for example 18:00.",
        },
    )
    sessions = forms.BooleanField(label="Remind me on session days I have not reported yet", required=False)
    nudges = forms.BooleanField(label="Nudge me before my rest days run out", required=False)
    email = forms.BooleanField(label="By e-mail", required=False)
    push = forms.BooleanField(label="By notification on the devices I turn them on for", required=False)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time"].help_text = f"In your clinic's time zone ({clinic.time_zone}); 18:00 unless you change it."


class PushSubscriptionForm(forms.Form):
    """What a browser's PushManager gives, as the page's script sends it."""

    endpoint = forms.URLField(max_length=rules.ENDPOINT_MAX, assume_scheme="https")
    p256dh = forms.CharField(max_length=rules.KEY_MAX)
    auth = forms.CharField(max_length=rules.KEY_MAX)

    def clean_endpoint(self):
        endpoint = self.cleaned_data["endpoint"]
        if not endpoint.startswith("https://") and not settings.WEB_PUSH_ALLOW_HTTP:
            raise forms.ValidationError("A push service is reached over HTTPS only.")
        return endpoint


class PushUnsubscribeForm(forms.Form):
    endpoint = forms.URLField(max_length=rules.ENDPOINT_MAX, assume_scheme="https")
