import pytest
from django.contrib.auth.models import AnonymousUser

from patients.selectors import own_patient
from rehab.models import User
from tests.factories import ClinicAdminFactory, PhysioFactory, make_patient
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


def test_own_patient_is_the_patients_record_with_the_users_clinic_and_no_further_read():
    patient = make_patient()
    user = User.objects.select_related("clinic", "patient").get(pk=patient.user_id)
    with count_queries() as queries:
        found = own_patient(user)
        assert found.clinic.name == patient.clinic.name
    assert found.pk == patient.pk and len(queries) == 0


def _deactivated(patient):
    User.objects.filter(pk=patient.user_id).update(is_active=False)
    return User.objects.get(pk=patient.user_id)


def _made_staff(patient):
    """An account with a patient record that is no longer a patient's: the record is not theirs to open."""
    User.objects.filter(pk=patient.user_id).update(role=User.Role.PHYSIO)
    return User.objects.get(pk=patient.user_id)


@pytest.mark.parametrize(
    ("who", "user_of"),
    [
        ("anonymous", lambda patient: AnonymousUser()),
        ("physiotherapist", lambda patient: PhysioFactory(clinic=patient.clinic)),
        ("clinic admin", lambda patient: ClinicAdminFactory(clinic=patient.clinic)),
        ("deactivated patient", _deactivated),
        ("patient account given a staff role", _made_staff),
    ],
)
def test_own_patient_is_none_for_anyone_but_an_active_patient(who, user_of):
    assert own_patient(user_of(make_patient())) is None
