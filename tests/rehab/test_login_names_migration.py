"""The data migration that turns every stored address into its login name, and stops on a clash."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from rehab.models import User
from tests.factories import PhysioFactory

migration = importlib.import_module("rehab.migrations.0007_login_names")


class Editor:
    connection = connection


def store(user, email):
    """An address as an older version of the app stored it (no normalising on the way in)."""
    User.objects.filter(pk=user.pk).update(email=email)


@pytest.mark.django_db
def test_addresses_become_login_names(clinic):
    upper, spaced = PhysioFactory(clinic=clinic), PhysioFactory(clinic=clinic)
    store(upper, "Sam.Patel@Northside.EXAMPLE")
    store(spaced, " ｊｏ@northside.example ")
    migration.normalise_login_names(apps, Editor)
    assert User.objects.get(pk=upper.pk).email == "sam.patel@northside.example"
    assert User.objects.get(pk=spaced.pk).email == "jo@northside.example"


@pytest.mark.django_db
def test_a_clash_is_named_and_nothing_is_merged_or_changed(clinic):
    plain, wide, other = (PhysioFactory(clinic=clinic) for _ in range(3))
    store(plain, "alex@northside.example")
    store(wide, "ａｌｅｘ@northside.example")  # the same login name: allowed by the old, case-only rule
    store(other, "Other@Northside.example")
    with pytest.raises(migration.LoginNameClash) as clash:
        migration.normalise_login_names(apps, Editor)
    message = str(clash.value)
    assert f"account {plain.pk} ('alex@northside.example')" in message
    assert f"account {wide.pk} ('ａｌｅｘ@northside.example')" in message
    assert "alex@northside.example:" in message and "Nothing was changed" in message
    assert User.objects.get(pk=other.pk).email == "Other@Northside.example"  # nothing was changed
    assert User.objects.filter(pk__in=[plain.pk, wide.pk]).count() == 2
