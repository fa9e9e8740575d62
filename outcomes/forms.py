"""Forms of the outcome pages: the clinic's outcomes period, and the clinic's choice of measures."""

from datetime import timedelta

from django import forms

from patients.forms import PhysiotherapistChoiceField
from rehab.forms import DateInput, bounded_int
from rehab.models import User

from . import rules

DEFAULT_PERIOD = timedelta(days=90)
MAX_PERIOD = timedelta(days=3 * 366)


class PeriodForm(forms.Form):
    start = forms.DateField(label="Discharged from", widget=DateInput())
    end = forms.DateField(label="Discharged until", widget=DateInput())
    physiotherapist = PhysiotherapistChoiceField(
        label="Physiotherapist", required=False, queryset=User.objects.none(), empty_label="Every physiotherapist"
    )

    def __init__(self, data, *, clinic, **kwargs):
        today = clinic.local_today()
        self.default_start, self.default_end = today - DEFAULT_PERIOD, today
        super().__init__(data or None, initial={"start": self.default_start, "end": today}, **kwargs)
        # Every physiotherapist, also those who left: their patients' outcomes stay theirs.
        self.fields["physiotherapist"].of_clinic(clinic.pk, former_too=True)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period is before its start.")
        elif start and end and end - start > MAX_PERIOD:
            self.add_error("start", "Choose a period of at most three years.")
        return data

    def period(self) -> dict:
        """The period asked for, or the default (the last 90 days) when nothing or something wrong was asked."""
        if self.is_bound and self.is_valid():
            physio = self.cleaned_data["physiotherapist"]
            return {
                "start": self.cleaned_data["start"],
                "end": self.cleaned_data["end"],
                "physiotherapist_id": physio.pk if physio else None,
            }
        return {"start": self.default_start, "end": self.default_end, "physiotherapist_id": None}


TIMEPOINT_FIELDS = (
    ("intake", rules.Timepoint.INTAKE),
    ("follow_up", rules.Timepoint.FOLLOW_UP),
    ("discharge", rules.Timepoint.DISCHARGE),
)


class ScheduleForm(forms.Form):
    """A checkbox per instrument and timepoint it may be asked at, and the weeks between follow-ups."""

    follow_up_weeks = bounded_int(
        label="Follow-up questionnaire every (weeks)", low=rules.FOLLOW_UP_WEEKS_MIN, high=rules.FOLLOW_UP_WEEKS_MAX
    )

    def __init__(self, *args, instruments, schedule, **kwargs):
        super().__init__(*args, initial={"follow_up_weeks": schedule.follow_up_weeks}, **kwargs)
        self.fields["follow_up_weeks"].widget.attrs["class"] = "form-control"
        self.instruments = sorted(instruments.values(), key=lambda i: (i.clinic_id is not None, i.name))
        self.rows = []
        for instrument in self.instruments:
            chosen = schedule.measures.get(instrument.key, (False, False, False))
            cells = []
            for (suffix, timepoint), on in zip(TIMEPOINT_FIELDS, chosen, strict=True):
                name = f"{instrument.key}__{suffix}"
                if timepoint in instrument.timepoints:
                    self.fields[name] = forms.BooleanField(
                        label=f"{instrument.name}: {timepoint.label.lower()}", required=False, initial=on
                    )
                    cells.append(self[name])
                else:
                    cells.append(None)
            self.rows.append((instrument, cells))

    def measures(self) -> dict[str, tuple[bool, bool, bool]]:
        return {
            instrument.key: tuple(
                bool(self.cleaned_data.get(f"{instrument.key}__{suffix}")) for suffix, _t in TIMEPOINT_FIELDS
            )
            for instrument in self.instruments
        }
