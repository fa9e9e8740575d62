"""Sending a check-in once: the same form again, whatever has changed since, stores nothing more."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from checkins.models import CheckIn, ExerciseResult
from checkins.services import ALREADY_USED, checkin_submit
from programs import services as program_services
from tests.factories import make_patient
from tests.helpers import add_exercises, send_checkin

pytestmark = pytest.mark.django_db


def own_program(patient, physio, library):
    """A program of the patient's own, in force from today, with one exercise."""
    program = program_services.program_create(
        patient=patient, created_by=physio, title="Own", start_date=patient.clinic.local_today(), weekdays=[1, 3]
    )
    version = program.versions.get()
    add_exercises(version, library, "bird-dog")
    return program_services.program_activate(version=version, activated_by=physio, progression_reason="New start")


def test_the_same_form_sent_again_returns_the_report_it_stored(active, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    first = send_checkin(active, key=key, max_pain=2)
    with django_capture_on_commit_callbacks() as callbacks:
        again, created = checkin_submit(
            patient=active.program.patient,
            version=active,
            idempotency_key=key,
            outcomes={item.pk: "partly" for item in active.items.all()},
            session_date=first.session_date,
            max_pain=4,
            pain_now=1,
            sharp_pain=True,
        )
    assert (again.pk, created, callbacks) == (first.pk, False, [])  # nothing queued to evaluate twice
    assert (CheckIn.objects.get().max_pain, CheckIn.objects.get().sharp_pain) == (2, False)
    assert set(ExerciseResult.objects.values_list("outcome", flat=True)) == {"done"}


def test_a_form_stored_before_the_program_changed_is_not_refused_when_sent_again(active, physio, library):
    # A phone that lost the answer sends the form again after the physiotherapist has put a new program in force.
    key = uuid.uuid4()
    first = send_checkin(active, key=key)
    own_program(active.program.patient, physio, library)
    active.refresh_from_db()
    assert active.status != active.Status.ACTIVE
    assert send_checkin(active, key=key).pk == first.pk
    assert CheckIn.objects.count() == 1
    with pytest.raises(ValidationError, match="This is not your current program"):
        send_checkin(active)  # a new form on the old program is refused


def test_another_patients_form_is_refused_and_nothing_is_stored(active, physio, library):
    key = uuid.uuid4()
    send_checkin(active, key=key)
    other = make_patient(physio=physio, first_name="Ola", last_name="Berg", email="ola@example.com")
    theirs = own_program(other, physio, library)
    # On their own program (the database refuses the key) and on the first patient's (refused before writing).
    for version in (theirs, active):
        with pytest.raises(ValidationError) as caught:
            checkin_submit(
                patient=other,
                version=version,
                idempotency_key=key,
                outcomes={item.pk: "done" for item in version.items.all()},
                session_date=other.clinic.local_today(),
                max_pain=1,
                pain_now=0,
                sharp_pain=False,
            )
        assert caught.value.messages == [ALREADY_USED]
    assert CheckIn.objects.count() == 1 and not CheckIn.objects.filter(patient=other).exists()


def test_a_refused_report_is_refused_without_a_stored_one_to_return(active):
    with pytest.raises(ValidationError) as caught:
        send_checkin(active, max_pain=9)
    assert "max_pain" in caught.value.message_dict
    assert not CheckIn.objects.exists()
