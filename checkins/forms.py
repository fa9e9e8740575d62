"""The check-in form: how each exercise went, pain, sharp pain and the warning symptoms."""

from django import forms

from patients.rules import PAIN_WORDS
from programs.models import FlareUp
from programs.rules import FLARE_UP_NOTE_MAX
from rehab.forms import DateInput

from .models import ExerciseOutcome
from .rules import EMPTY_SYMPTOM_REPORT, NOTE_MAX

PAIN_CHOICES = [(v, f"{v} – {words}") for v, words in PAIN_WORDS.items()]
YES_NO = [("no", "No"), ("yes", "Yes")]
SYMPTOM_CHOICES = [
    ("bladder_bowel", "New problems controlling my bladder or bowel"),
    ("saddle_numbness", "Numbness between my legs or around my bottom"),
    ("leg_weakness", "New weakness in both legs"),
]
NONE_OF_THESE = "none"


class CheckInForm(forms.Form):
    """The session report. Each exercise of the program gets its own done / partly / skipped question."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    # Carries the service's message about the exercise answers as a whole, shown with them.
    exercises = forms.CharField(required=False, widget=forms.HiddenInput)
    session_date = forms.DateField(label="Date of the session", widget=DateInput())
    max_pain = forms.TypedChoiceField(
        label="Highest pain during the session",
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how strong your pain was at its worst (0 to 5)."},
    )
    pain_now = forms.TypedChoiceField(
        label="Pain now",
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how strong your pain is now (0 to 5)."},
    )
    sharp_pain = forms.ChoiceField(
        label="Did you feel a sharp or intense pain?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )
    symptoms = forms.MultipleChoiceField(
        label="Since your last session, have you noticed any of these?",
        choices=[*SYMPTOM_CHOICES, (NONE_OF_THESE, "None of these")],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick any that apply, or “None of these”."},
    )
    note = forms.CharField(
        label="Anything else to tell your physiotherapist?",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, items, with_date: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        if not with_date:
            del self.fields["session_date"]
        for item in self.items:
            self.fields[self.item_field(item)] = forms.ChoiceField(
                label=item.exercise.name,
                choices=ExerciseOutcome.choices,
                widget=forms.RadioSelect,
                required=False,
            )

    @staticmethod
    def item_field(item) -> str:
        return f"exercise_{item.pk}"

    def item_fields(self):
        return [self[self.item_field(item)] for item in self.items]

    def clean(self):
        data = super().clean()
        if any(not data.get(self.item_field(item)) for item in self.items):
            self.add_error("exercises", "Say how each exercise went (done, partly or skipped).")
        return data

    def clean_symptoms(self):
        symptoms = self.cleaned_data["symptoms"]
        if NONE_OF_THESE in symptoms and len(symptoms) > 1:
            raise forms.ValidationError("You ticked a symptom and “None of these”: please check your answer.")
        return symptoms

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        symptoms = set(data["symptoms"])
        kwargs = {
            "outcomes": {item.pk: data.get(self.item_field(item)) or "" for item in self.items},
            "max_pain": data["max_pain"],
            "pain_now": data["pain_now"],
            "sharp_pain": data["sharp_pain"] == "yes",
            "note": data["note"],
            **{name: name in symptoms for name, _label in SYMPTOM_CHOICES},
        }
        if "session_date" in data:
            kwargs["session_date"] = data["session_date"]
        return kwargs


class SymptomReportForm(forms.Form):
    """Tell the clinic about a new symptom, without a session."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    symptoms = forms.MultipleChoiceField(
        label="Have you noticed any of these?",
        choices=SYMPTOM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sharp_pain = forms.BooleanField(label="A flare of sharp or intense pain", required=False)
    note = forms.CharField(
        label="What have you noticed?",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, when it started and what makes it better or worse.",
    )

    def clean(self):
        data = super().clean()
        said = data.get("symptoms") or data.get("sharp_pain") or (data.get("note") or "").strip()
        if not said and "note" not in self.errors:
            self.add_error("symptoms", EMPTY_SYMPTOM_REPORT)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **{name: name in data["symptoms"] for name, _label in SYMPTOM_CHOICES},
            "sharp_pain": data["sharp_pain"],
            "note": data["note"],
        }


class FlareUpAnswerForm(forms.Form):
    """How a flare-up went, asked on Today once it is over."""

    answer = forms.ChoiceField(
        label="How is your back now, compared with when the flare-up started?",
        choices=FlareUp.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how your flare-up went."},
    )
    note = forms.CharField(
        label="Anything to add for your physiotherapist? (optional)",
        required=False,
        max_length=FLARE_UP_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"Keep it under {FLARE_UP_NOTE_MAX} characters."},
    )
