from django import forms

from rehab.forms import DateInput, bounded_int

from . import rules
from .models import Category, Equipment, Exercise, MuscleGroup, ProgramTemplate

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
        label="What changed",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with this version, for the record.",
    )
    progression_reason = forms.CharField(
        label="Reason for going beyond the checks",
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

    def __init__(self, *args, max_weeks: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "ends_on"
        ].help_text = f"A pause lasts at most {max_weeks} week{'s' if max_weeks != 1 else ''} (a clinic setting)."


class ExerciseMediaForm(forms.Form):
    file = forms.FileField(
        label="Photo or video",
        help_text="A photo (JPEG, PNG or WebP) or a short video (MP4 or WebM). Your clinic sees it instead of the "
        "drawing; your patients see it when their program holds this exercise.",
        error_messages={"required": "Choose a photo or a video to upload.", "empty": "This file is empty."},
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,video/mp4,video/webm"}),
    )
