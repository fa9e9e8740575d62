from django import forms

from patients.rules import PAIN_WORDS
from rehab.forms import DateInput, bounded_int

from . import rules
from .models import Category, Equipment, Exercise, ExerciseOutcome, MuscleGroup, ProgramTemplate
from .rules import REPORT_NOTE_MAX

WEEKDAY_CHOICES = [(i, name) for i, name in enumerate(rules.WEEKDAY_NAMES)]
DIFFICULTY_CHOICES = [(i, f"{i}") for i in range(rules.DIFFICULTY_MIN, rules.DIFFICULTY_MAX + 1)]


class ExerciseFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    group = forms.ChoiceField(label="Muscle group", required=False, choices=[("", "Any"), *MuscleGroup.choices])
    category = forms.ChoiceField(label="Category", required=False, choices=[("", "Any"), *Category.choices])
    difficulty = forms.TypedChoiceField(
        label="Difficulty", required=False, coerce=int, empty_value=None, choices=[("", "Any"), *DIFFICULTY_CHOICES]
    )
    equipment = forms.ChoiceField(label="Equipment", required=False, choices=[("", "Any"), *Equipment.choices])


def _dose_field(name: str, **kwargs) -> forms.IntegerField:
    """A dose field with its range from the rules, saying what the rules say when a value is outside it."""
    low, high, message = rules.DOSE_RANGES[name]
    return bounded_int(low=low, high=high, message=message, **kwargs)


class DoseFieldsMixin(forms.Form):
    sets = _dose_field("sets")
    reps = _dose_field("reps", label="Repetitions", required=False)
    hold_seconds = _dose_field("hold_seconds", label="Hold (seconds)", required=False)
    rest_seconds = _dose_field("rest_seconds", label="Rest (seconds)", initial=30)

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("reps") is None and data.get("hold_seconds") is None:
            self.add_error("reps", "Give repetitions, a hold time, or both.")
        return data


class ExerciseForm(DoseFieldsMixin):
    name = forms.CharField(max_length=80)
    category = forms.ChoiceField(choices=Category.choices)
    difficulty = forms.TypedChoiceField(choices=DIFFICULTY_CHOICES, coerce=int, help_text="1 gentlest, 5 hardest.")
    equipment = forms.ChoiceField(choices=Equipment.choices)
    muscle_groups = forms.MultipleChoiceField(
        choices=MuscleGroup.choices, widget=forms.CheckboxSelectMultiple, help_text="The first ticked is the main one."
    )
    summary = forms.CharField(max_length=200, help_text="One sentence, for the patient: what it is for.")
    instructions = forms.CharField(
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Step by step for the patient, one step per line.",
    )
    easier = forms.ModelChoiceField(label="Easier variant", queryset=Exercise.objects.none(), required=False)
    harder = forms.ModelChoiceField(label="Harder variant", queryset=Exercise.objects.none(), required=False)

    field_order = ["name", "category", "difficulty", "equipment", "muscle_groups", "summary", "instructions"]

    def __init__(self, *args, exercises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["easier"].queryset = exercises
        self.fields["harder"].queryset = exercises


class ScheduleFieldsMixin(forms.Form):
    title = forms.CharField(max_length=120, initial="Back exercise program")
    start_date = forms.DateField(widget=DateInput())
    weekdays = forms.TypedMultipleChoiceField(
        label="Session days",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick the days, or leave them all clear and give a number of sessions a week.",
    )
    sessions_per_week = bounded_int(
        label="Or sessions a week", required=False, low=1, high=7, message="Sessions a week must be between 1 and 7."
    )


class NewProgramForm(ScheduleFieldsMixin):
    template = forms.ModelChoiceField(
        label="Start from a template",
        queryset=ProgramTemplate.objects.none(),
        required=False,
        empty_label="Blank program",
    )

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


class ScheduleForm(ScheduleFieldsMixin):
    pass


class ItemForm(DoseFieldsMixin):
    notes = forms.CharField(required=False, max_length=rules.NOTES_MAX, widget=forms.TextInput())


class ActivateForm(forms.Form):
    change_note = forms.CharField(
        label="What changed", required=False, max_length=300, help_text="Kept with this version, for the record."
    )
    progression_reason = forms.CharField(
        label="Reason for stepping up faster",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the warnings above apply.",
    )


class TemplateForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=120)
    description = forms.CharField(required=False, max_length=300)


class PauseForm(forms.Form):
    starts_on = forms.DateField(label="First day of the pause", widget=DateInput())
    ends_on = forms.DateField(label="Last day of the pause", widget=DateInput())
    reason = forms.CharField(max_length=200, help_text="For example: holiday, flu.")


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
        max_length=REPORT_NOTE_MAX,
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
