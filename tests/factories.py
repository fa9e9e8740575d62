"""Test data, built through the real services wherever a service exists."""

from datetime import timedelta

import factory
from factory.django import DjangoModelFactory

from patients.models import Patient
from patients.services import patient_register
from rehab.models import Clinic, User

PASSWORD = "a-long-test-password-1"


class ClinicFactory(DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    time_zone = "Europe/London"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@clinic.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.PHYSIO
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PhysioFactory(UserFactory):
    role = User.Role.PHYSIO


class ClinicAdminFactory(UserFactory):
    role = User.Role.CLINIC_ADMIN


def make_patient(
    *,
    clinic: Clinic | None = None,
    physio: User | None = None,
    onset_days: int = 100,
    first_name: str = "Pat",
    last_name: str | None = None,
    email: str | None = None,
    age_years: int = 40,
    password: str | None = PASSWORD,
) -> Patient:
    """Register a patient through the service, as a physiotherapist would."""
    physio = physio or PhysioFactory(clinic=clinic or ClinicFactory())
    clinic = physio.clinic
    today = clinic.local_today()
    seq = User.objects.count()
    patient = patient_register(
        clinic=clinic,
        registered_by=physio,
        first_name=first_name,
        last_name=last_name or f"Patient{seq}",
        email=email or f"patient{seq}-{clinic.pk}@example.com",
        date_of_birth=today - timedelta(days=365 * age_years),
        onset_date=today - timedelta(days=onset_days),
        condition="Lower-back pain after lifting.",
        physiotherapist=physio,
    )
    if password:
        patient.user.set_password(password)
        patient.user.save(update_fields=["password"])
    return patient
