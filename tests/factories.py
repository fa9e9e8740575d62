"""Test data, built through the real services wherever a service exists."""

from datetime import timedelta

import factory
from django.utils import timezone
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


def bulk_active_patients(*, physio: User, exercise, count: int, start_days_ago: int = 20) -> list[Patient]:
    """Many patients in a course of care with an active one-exercise program, inserted in bulk (for tests at
    scale)."""
    from patients.models import Episode
    from programs.models import Program, ProgramExercise, ProgramVersion

    clinic = physio.clinic
    today = clinic.local_today()
    now = timezone.now()
    offset = User.objects.count()
    users = User.objects.bulk_create(
        User(
            email=f"bulk{offset + i}@example.com",
            role=User.Role.PATIENT,
            clinic=clinic,
            first_name="Bulk",
            last_name=f"Patient{offset + i}",
            password="!",
        )
        for i in range(count)
    )
    patients = Patient.objects.bulk_create(
        Patient(
            user=u,
            clinic=clinic,
            physiotherapist=physio,
            date_of_birth=today - timedelta(days=365 * 40),
            onset_date=today - timedelta(days=100),
            condition="Back pain",
            pain_threshold=1,
        )
        for u in users
    )
    Episode.objects.bulk_create(
        Episode(patient=p, clinic=clinic, referral_date=p.onset_date, condition=p.condition, onset_date=p.onset_date)
        for p in patients
    )
    programs = Program.objects.bulk_create(
        Program(patient=p, title="P", status=Program.Status.ACTIVE, created_by=physio) for p in patients
    )
    versions = ProgramVersion.objects.bulk_create(
        ProgramVersion(
            program=pr,
            number=1,
            status=ProgramVersion.Status.ACTIVE,
            weekdays=[0, 2, 4],
            start_date=today - timedelta(days=start_days_ago),
            created_by=physio,
            activated_by=physio,
            activated_at=now,
        )
        for pr in programs
    )
    ProgramExercise.objects.bulk_create(
        ProgramExercise(version=v, exercise=exercise, position=1, sets=2, reps=10, rest_seconds=30) for v in versions
    )
    return patients
