import pytest

from programs.models import Exercise
from programs.services import program_add_exercise, program_create


@pytest.fixture
def library(db):
    """The shipped library by key: loaded by the data migration, reloaded if a test emptied the tables."""
    from programs.library import read_library, sync_library
    from programs.models import ExerciseMuscle

    if not Exercise.objects.filter(clinic=None).exists():
        sync_library(Exercise, ExerciseMuscle, read_library())
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


@pytest.fixture
def active(patient, physio, library):
    """An active program for the patient that started ten days ago, with two exercises."""
    from datetime import timedelta

    from programs.services import program_activate

    today = patient.clinic.local_today()
    program = program_create(patient=patient, created_by=physio, title="Program", start_date=today, weekdays=[0, 2, 4])
    version = program.versions.get()
    add(version, library, "dead-bug", "clamshell")
    program_activate(version=version, activated_by=physio)
    # Its history: a program is put in force from today on, and this one has been in force ten days.
    type(version).objects.filter(pk=version.pk).update(start_date=today - timedelta(days=10))
    version.refresh_from_db()
    return version


def report(version, *, days_ago=0, max_pain=1, pain_now=0, sharp_pain=False, key=None, **symptoms):
    """Submit a check-in through the service, every exercise done."""
    import uuid
    from datetime import timedelta

    from programs.services import report_submit

    patient = version.program.patient
    saved, _created = report_submit(
        patient=patient,
        version=version,
        idempotency_key=key or uuid.uuid4(),
        outcomes={item.pk: "done" for item in version.items.all()},
        session_date=patient.clinic.local_today() - timedelta(days=days_ago),
        max_pain=max_pain,
        pain_now=pain_now,
        sharp_pain=sharp_pain,
        **symptoms,
    )
    return saved
