from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from patients.templatetags.patient_tags import ago, flag_values

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
