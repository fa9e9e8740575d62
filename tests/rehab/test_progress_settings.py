"""The clinic's settings for progress and flare-ups (docs/clinical-rules.md, rules 17 and 18): on the Settings page,
range-checked in the form and by the database, with their history."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from rehab.models import SETTING_RANGES, Clinic, ClinicSettingsChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic_admin):
    return clinic_admin


def post(client, clinic, **changes):
    data = {field: getattr(clinic, field) for field in Clinic.SETTINGS_FIELDS if field != "require_two_factor"}
    return client.post(reverse("clinic_settings"), {k: v for k, v in (data | changes).items() if v is not None})


def test_the_defaults(clinic):
    assert (
        clinic.progress_min_sessions,
        clinic.progress_min_days,
        clinic.progress_min_adherence,
        clinic.progression_percent,
        clinic.ease_off_percent,
        clinic.flare_up_days,
    ) == (6, 14, 80, 10, 25, 3)


def test_shown_on_the_settings_page(client, admin):
    client.force_login(admin)
    html = client.get(reverse("clinic_settings")).content.decode()
    for label in (
        "Ready to progress: sessions on the version in force, at least",
        "Ready to progress: days on the version in force, at least",
        "Ready to progress: adherence over the last 14 days, at least (%)",
        "Easing off: dose down by (%)",
        "A flare-up plan lasts (days)",
    ):
        assert label in html


@pytest.mark.parametrize("field", list(SETTING_RANGES))
def test_each_at_its_limits(client, admin, field):
    low, high = SETTING_RANGES[field]
    client.force_login(admin)
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        response = post(client, Clinic.objects.get(pk=admin.clinic_id), **{field: value})
        assert (response.status_code == 302) is ok, (field, value)
        if not ok:
            (message,) = response.context["form"].errors[field]
            assert message.startswith("Give a") and f" from {low} to {high}." in message
            assert getattr(Clinic.objects.get(pk=admin.clinic_id), field) != value
    assert ClinicSettingsChange.objects.count() == 2  # low, then high


def test_a_change_is_kept_in_the_history(client, admin):
    client.force_login(admin)
    post(client, admin.clinic, progress_min_sessions=8, flare_up_days=5)
    change = ClinicSettingsChange.objects.get()
    assert change.changes == {"progress_min_sessions": [6, 8], "flare_up_days": [3, 5]}
    html = client.get(reverse("clinic_settings")).content.decode()
    assert "Ready to progress: sessions on the version in force, at least: 6 → 8" in html


@pytest.mark.parametrize("field", list(SETTING_RANGES))
def test_the_database_refuses_a_value_out_of_range(clinic, field):
    low, high = SETTING_RANGES[field]
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=clinic.pk).update(**{field: high + 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=clinic.pk).update(**{field: low - 1})
