from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


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
