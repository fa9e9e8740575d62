from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django import forms

from rehab.templatetags.rehab_tags import ago, choice_options

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "just now"), (59, "just now"), (60, "1\xa0minute ago"), (3 * 3600 + 300, "3\xa0hours, 5\xa0minutes ago")],
)
def test_ago(seconds, shown):
    assert ago(NOW - timedelta(seconds=seconds), NOW) == shown


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
