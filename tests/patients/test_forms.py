"""patients.forms: the physiotherapist choice's list comes from a prepared query, what is sent is checked as before."""

import pytest
from django import forms

from flags.forms import FlagFilterForm
from outcomes.forms import PeriodForm
from patients.forms import PhysiotherapistChoiceField
from rehab.models import User
from tests.factories import ClinicFactory, PhysioFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


class Choose(forms.Form):
    physiotherapist = PhysiotherapistChoiceField(queryset=User.objects.none(), required=False, empty_label="Any")

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["physiotherapist"].of_clinic(clinic_id)


def test_the_choices_are_the_clinics_active_physiotherapists_read_once_per_form(clinic):
    physios = [PhysioFactory(clinic=clinic, last_name=name) for name in ("Young", "Adams", "Moss")]
    PhysioFactory(clinic=clinic, last_name="Gone", is_active=False)
    PhysioFactory(clinic=ClinicFactory(), last_name="Elsewhere")
    form = Choose(clinic_id=clinic.pk)
    with count_queries() as read:
        choices = [(str(value), label) for value, label in form.fields["physiotherapist"].choices]
        assert len(form.fields["physiotherapist"].choices) == 4 and form.fields["physiotherapist"].choices
        html = str(form["physiotherapist"])
    assert len(read.captured_queries) == 1
    expected = sorted(physios, key=lambda p: (p.last_name, p.first_name))
    assert choices == [("", "Any"), *((str(p.pk), p.get_full_name()) for p in expected)]
    assert all(f'value="{p.pk}"' in html for p in physios) and "Gone" not in html and "Elsewhere" not in html


def test_what_is_sent_is_checked_against_the_clinics_physiotherapists(clinic):
    ours, theirs = PhysioFactory(clinic=clinic), PhysioFactory(clinic=ClinicFactory())
    assert Choose({"physiotherapist": ours.pk}, clinic_id=clinic.pk).is_valid()
    refused = Choose({"physiotherapist": theirs.pk}, clinic_id=clinic.pk)
    assert not refused.is_valid() and "physiotherapist" in refused.errors
    assert FlagFilterForm({"physiotherapist": ours.pk}, clinic=clinic).is_valid()
    assert not FlagFilterForm({"physiotherapist": theirs.pk}, clinic=clinic).is_valid()


def test_the_outcomes_period_lists_physiotherapists_who_left_too(clinic):
    staying, gone = PhysioFactory(clinic=clinic, last_name="Staying"), PhysioFactory(clinic=clinic, last_name="Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    form = PeriodForm(None, clinic=clinic)
    listed = [str(value) for value, _label in form.fields["physiotherapist"].choices]
    assert listed == ["", str(gone.pk), str(staying.pk)]
    assert PeriodForm(
        {"start": "2026-01-01", "end": "2026-02-01", "physiotherapist": gone.pk}, clinic=clinic
    ).is_valid()
