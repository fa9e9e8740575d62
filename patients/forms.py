from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

from rehab.forms import DateInput, EmailAddressField
from rehab.models import User

from . import rules
from .models import DischargeReason
from .phones import example_number, normalise_phone, region_for
from .selectors import EPISODE_FILTERS, active_physiotherapists, all_physiotherapists, physiotherapists_of

THRESHOLD_CHOICES = [(v, f"{v} - {rules.PAIN_WORDS[v]}") for v in range(rules.THRESHOLD_MIN, rules.THRESHOLD_MAX + 1)]


class PhoneFieldMixin(forms.Form):
    """A phone number typed as it is dialled in the clinic's country, or with + and the country code; cleaned to
    international form (E.164). Needs self.clinic."""

    phone = forms.CharField(label="Phone number", required=False, max_length=40)

    def set_phone_help(self, clinic, text: str) -> None:
        self.fields["phone"].help_text = f"{text} For example {example_number(region_for(clinic.time_zone))}."
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "tel", "inputmode": "tel"})

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data["phone"], region=region_for(self.clinic.time_zone))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["phone"]) from exc


class _ChoiceIterator(ModelChoiceIterator):
    """The field's choices from its `read_choices` (a prepared query's list, read once per form) when it has one,
    else from its queryset as Django reads them."""

    def _rows(self) -> list | None:
        read = getattr(self.field, "read_choices", None)
        if read is None:
            return None
        if getattr(self.field, "_choice_rows", None) is None:
            self.field._choice_rows = read()
        return self.field._choice_rows

    def __iter__(self):
        rows = self._rows()
        if rows is None:
            return super().__iter__()
        empty = [("", self.field.empty_label)] if self.field.empty_label is not None else []
        return iter(empty + [self.choice(obj) for obj in rows])

    def __len__(self):
        rows = self._rows()
        if rows is None:
            return super().__len__()
        return len(rows) + (self.field.empty_label is not None)

    def __bool__(self):
        rows = self._rows()
        return super().__bool__() if rows is None else bool(rows) or self.field.empty_label is not None


class PhysiotherapistChoiceField(forms.ModelChoiceField):
    iterator = _ChoiceIterator

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email

    def of_clinic(self, clinic_id: int, *, former_too: bool = False) -> None:
        """The clinic's active physiotherapists (physiotherapists_of), or every one it has had (`former_too`); the
        list drawn comes from a prepared query (rehab.prepared), the queryset checks what is sent."""
        if former_too:
            self.read_choices = lambda: all_physiotherapists(clinic_id=clinic_id)
            self.queryset = physiotherapists_of(clinic_id, former_too=True)
        else:
            self.read_choices = lambda: active_physiotherapists(clinic_id=clinic_id)
            self.queryset = physiotherapists_of(clinic_id)
        self._choice_rows = None


class PatientForm(PhoneFieldMixin):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = EmailAddressField(
        label="Contact email",
        help_text="The patient logs in with this address; we email them a link to set a password.",
    )
    date_of_birth = forms.DateField(widget=DateInput())
    onset_date = forms.DateField(
        label="Injury onset date",
        widget=DateInput(),
        help_text="When the pain or injury began. The condition phase is worked out from it.",
    )
    condition = forms.CharField(
        label="Condition",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A short description, e.g. 'Lower-back strain lifting a box; pain into the left buttock'.",
    )
    physiotherapist = PhysiotherapistChoiceField(queryset=User.objects.none(), empty_label=None)
    referral_date = forms.DateField(
        label="Referral date",
        widget=DateInput(),
        required=False,
        help_text="The day the referral came (today if left empty): the course of care starts with it.",
    )
    referrer = forms.CharField(
        label="Referred by",
        max_length=200,
        required=False,
        help_text="e.g. 'Dr Ann Smith, Riverside GP', or 'Self-referral'.",
    )

    field_order = ["first_name", "last_name", "email", "phone"]

    def __init__(self, *args, clinic, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["physiotherapist"].of_clinic(clinic.pk)
        self.set_phone_help(clinic, "Staff call the patient on it about a flag.")
        if editing:  # the referral belongs to the course of care, which has pages of its own
            del self.fields["referral_date"], self.fields["referrer"]
        else:
            self.fields["referral_date"].initial = clinic.local_today()

    def clean(self):
        # The service checks the dates too; checked here as well, they are told in the same round as any
        # other field's mistake rather than after those are put right.
        data = super().clean()
        today = self.clinic.local_today()
        dates = {name: data.get(name) for name in ("date_of_birth", "onset_date")}
        errors = rules.patient_date_errors(**dates, today=today)
        if "referral_date" in self.fields:
            errors |= rules.referral_errors(
                referral_date=data.get("referral_date"), onset_date=data.get("onset_date"), today=today
            )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


class ThresholdForm(forms.Form):
    # Bootstrap's classes on the widgets: the patient page draws this form with the field partial, not crispy-forms.
    value = forms.TypedChoiceField(
        label="New pain threshold",
        choices=THRESHOLD_CHOICES,
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text="Why the threshold changes now, e.g. 'Tolerating 1/5 well for two weeks; building up'.",
        error_messages={"required": "Say why the threshold changes: the next clinician will read it."},
    )


class PatientFilterForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=100)
    episodes = forms.ChoiceField(label="Course of care", required=False, choices=EPISODE_FILTERS)
    phase = forms.ChoiceField(label="Phase", required=False, choices=[("", "Any phase"), *rules.PHASE_CHOICES])
    physiotherapist = PhysiotherapistChoiceField(
        label="Physiotherapist", required=False, queryset=User.objects.none(), empty_label="Any physiotherapist"
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["physiotherapist"].of_clinic(clinic.pk)


class ReassignForm(forms.Form):
    physiotherapist = PhysiotherapistChoiceField(label="New physiotherapist", queryset=User.objects.none())
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["physiotherapist"].of_clinic(clinic.pk)


class MyDetailsForm(PhoneFieldMixin):
    """What a patient changes about themselves on their own page."""

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["phone"].label = "Your phone number"
        self.set_phone_help(clinic, "Your clinic calls you on it if a report of yours needs a word.")


class ThresholdReviewForm(forms.Form):
    """Apply the new phase's default threshold, or keep the current one: one decision, with its reason."""

    decision = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[("apply", "Apply the new phase's default"), ("keep", "Keep the current threshold")],
        error_messages={"required": "Choose to apply the new phase's default or to keep the threshold."},
    )
    phase = forms.ChoiceField(choices=rules.PHASE_CHOICES, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for your decision; it is kept in the threshold's history."},
    )

    @classmethod
    def asking(cls, *, patient, phase) -> "ThresholdReviewForm":
        """The unbound form asking about `patient`'s threshold for the new `phase`."""
        return cls(patient=patient, phase=phase, initial={"phase": phase.value})

    def __init__(self, *args, patient=None, phase=None, **kwargs):
        super().__init__(*args, **kwargs)
        if patient is not None and phase is not None:
            default = rules.default_threshold(phase)
            self.fields["decision"].choices = [
                ("apply", f"Apply the {phase.label.lower()} default: {default}/5"),
                ("keep", f"Keep {patient.pain_threshold}/5"),
            ]


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason for discharge",
        choices=DischargeReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the patient is discharged."},
    )
    discharged_on = forms.DateField(label="Discharge date", widget=DateInput())
    note = forms.CharField(
        label="Outcome and note",
        required=False,
        max_length=rules.DISCHARGE_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the course of care went; it is on the discharge summary for the patient and the referrer.",
    )
    advice = forms.CharField(
        label="Self-management advice",
        required=False,
        max_length=rules.ADVICE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The patient keeps reading this with their last program, and it is on the discharge summary.",
    )


class ReferralForm(forms.Form):
    """A new referral of a discharged patient: the fields of a registration that belong to a course of care."""

    referral_date = forms.DateField(label="Referral date", widget=DateInput())
    referrer = PatientForm.base_fields["referrer"]
    condition = PatientForm.base_fields["condition"]
    onset_date = PatientForm.base_fields["onset_date"]
