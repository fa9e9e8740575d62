from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django import forms

from patients.templatetags.patient_tags import ago, choice_options, flag_values

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "just now"), (59, "just now"), (60, "1\xa0minute ago"), (3 * 3600 + 300, "3\xa0hours, 5\xa0minutes ago")],
)
def test_ago(seconds, shown):
    assert ago(NOW - timedelta(seconds=seconds), NOW) == shown


def test_flag_values_read_dates_as_the_app_does():
    rows = dict(flag_values({"last_session": "2026-11-23", "rest_days": 3, "session_date": "not a date"}))
    assert rows["Last session"] == "Mon 23 Nov 2026"
    assert rows["Whole days without a session"] == 3
    assert "not a date" in rows.values()  # shown as it is rather than failing


class _Choose(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "Choose…"), ("a<b", "A & B"), ("c", "C")])


@pytest.mark.parametrize(
    ("data", "selected"),
    [(None, None), ({"outcome": ""}, ""), ({"outcome": "c"}, "c"), ({"outcome": "a<b"}, "a&lt;b")],
)
def test_choice_options_select_the_forms_value_and_escape(data, selected):
    html = str(choice_options(_Choose(data)["outcome"]))
    assert html.count("<option") == 3
    assert 'value="a&lt;b"' in html and ">A &amp; B<" in html
    if selected is None:
        assert "selected" not in html
    else:
        assert html.count(" selected") == 1 and f'value="{selected}" selected' in html


def test_onset_reads_in_whole_days(client, physio, patient):
    from django.urls import reverse

    patient.onset_date = patient.clinic.local_today() - timedelta(days=4)
    patient.save()
    client.force_login(physio)
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f"{patient.onset_date:%-d %b %Y} (4\xa0days ago)" in html


def test_onset_today_reads_today(client, physio, patient):
    from django.urls import reverse

    patient.onset_date = patient.clinic.local_today()
    patient.save()
    client.force_login(physio)
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f"{patient.onset_date:%-d %b %Y} (today)" in html
