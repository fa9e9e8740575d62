import pytest

from programs.models import Exercise
from programs.services import program_add_exercise, program_create


@pytest.fixture
def library(db):
    """The shipped library (loaded by the data migration), by key."""
    return {e.key: e for e in Exercise.objects.filter(clinic=None).select_related("easier", "harder")}


@pytest.fixture
def draft(patient, physio):
    program = program_create(
        patient=patient,
        created_by=physio,
        title="Early-stage program",
        start_date=patient.clinic.local_today(),
        weekdays=[0, 2, 4],
    )
    return program.versions.get()


def add(version, library, *keys):
    return [program_add_exercise(version=version, exercise=library[key]) for key in keys]


BALANCED = ("dead-bug", "adductor-ball-squeeze", "clamshell", "side-plank-knees")
