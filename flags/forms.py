from django import forms

from patients.forms import PhysiotherapistChoiceField
from programs.models import ProgramVersion
from rehab.forms import DateInput
from rehab.models import User

from .models import STAFF_OUTCOMES, FlagReason, FlagStatus


class FlagFilterForm(forms.Form):
    q = forms.CharField(label="Patient", required=False, max_length=100)
    reason = forms.ChoiceField(label="Reason", required=False, choices=[("", "Any reason"), *FlagReason.choices])
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Not resolved"), *FlagStatus.choices, ("all", "All")],
    )
    physiotherapist = PhysiotherapistChoiceField(
        label="Physiotherapist", required=False, queryset=User.objects.none(), empty_label="Any physiotherapist"
    )
    escalated = forms.ChoiceField(
        label="Escalated", required=False, choices=[("", "Either"), ("yes", "Escalated"), ("no", "Not escalated")]
    )
    opened_from = forms.DateField(label="Raised from", required=False, widget=DateInput())
    opened_to = forms.DateField(label="Raised until", required=False, widget=DateInput())
    # One row per patient with every flag of theirs the filters select (the default), or one row per flag.
    rows = forms.ChoiceField(
        required=False, choices=[("", "One row per patient"), ("flag", "One row per flag")], widget=forms.HiddenInput
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["physiotherapist"].of_clinic(clinic.pk)
        # Rendered with the light partials/field.html on the busiest staff page, not crispy's layout templates
        # (measured in bench/: 7 crispy fields took a fifth of the queue's time).
        for field in self.fields.values():
            if field.widget.is_hidden:
                continue
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and end < start:
            self.add_error("opened_to", "The end of the range is before its start.")
        return data


# A rest flag's patient who stopped attending: resolving it opens their discharge, which resolves it (and their other
# open flags) with the outcome "discharged" once the physiotherapist confirms.
DISCHARGE = "discharge"
DISCHARGE_LABEL = "Stopped attending: discharge"


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProgramVersion) -> str:
        what = "flare-up plan" if obj.is_flare_up_plan else obj.program.title
        return f"Version {obj.number}, {what} ({obj.get_status_display().lower()})"


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose…"), *STAFF_OUTCOMES],
        error_messages={"required": "Choose what was done about this flag."},
    )
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # Only on a flag's own page; without it, "program changed" records the newest version since the flag was raised.
    changed_to = VersionChoiceField(
        label="Version it led to",
        queryset=ProgramVersion.objects.none(),
        required=False,
        empty_label="The newest since the flag was raised",
        help_text="With “Program changed”: the version the flag and the program's history will point to.",
    )

    def __init__(self, *args, flag=None, user=None, versions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if versions is None:
            del self.fields["changed_to"]
        else:
            self.fields["changed_to"].queryset = versions
        self.offers_discharge = offers_discharge(flag, user)
        if self.offers_discharge:
            self.fields["outcome"].choices = [*self.fields["outcome"].choices, (DISCHARGE, DISCHARGE_LABEL)]


def offers_discharge(flag, user) -> bool:
    """A physiotherapist (who may discharge) resolving a rest flag."""
    return flag is not None and flag.reason == FlagReason.REST and getattr(user, "is_physio", False)


class BulkResolveForm(ResolveForm):
    flags = forms.TypedMultipleChoiceField(coerce=int, choices=(), widget=forms.MultipleHiddenInput)

    def __init__(self, *args, flag_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flags"].choices = [(pk, pk) for pk in flag_ids]
        self.fields["flags"].error_messages["required"] = "Select at least one rest flag."
        self.fields["flags"].error_messages["invalid_choice"] = "That flag is not one you can resolve here."
        self.fields["outcome"].error_messages["required"] = "Choose the outcome for the selected flags."
