from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import services
from patients.models import Patient, ThresholdChange
from rehab.models import User
from tests.factories import ClinicFactory, PhysioFactory, make_patient


def register_kwargs(physio, **overrides):
    today = physio.clinic.local_today()
    kwargs = {
        "clinic": physio.clinic,
        "registered_by": physio,
        "first_name": "Tom",
        "last_name": "Becker",
        "email": "Tom.Becker@Example.com",
        "date_of_birth": today - timedelta(days=365 * 33),
        "onset_date": today - timedelta(days=60),
        "condition": "Low-back pain after a long drive.",
        "physiotherapist": physio,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.mark.django_db
class TestPatientRegister:
    def test_creates_account_patient_and_default_threshold(self, physio, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            patient = services.patient_register(**register_kwargs(physio))
        assert patient.user.role == User.Role.PATIENT
        assert patient.user.email == "tom.becker@example.com"
        assert patient.user.clinic == physio.clinic
        assert not patient.user.has_usable_password()
        assert patient.pain_threshold == 1  # subacute: 60 days since onset
        (change,) = patient.threshold_changes.all()
        assert (change.previous_value, change.value, change.changed_by) == (None, 1, physio)
        assert "subacute" in change.reason
        assert len(callbacks) == 1  # the set-password email, queued only once the transaction commits

    @pytest.mark.parametrize(("onset_days", "threshold"), [(10, 2), (41, 2), (42, 1), (179, 1), (400, 2)])
    def test_default_threshold_follows_phase(self, physio, onset_days, threshold):
        today = physio.clinic.local_today()
        patient = services.patient_register(**register_kwargs(physio, onset_date=today - timedelta(days=onset_days)))
        assert patient.pain_threshold == threshold

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"onset_date": 1}, "onset_date", "cannot be in the future"),
            ({"date_of_birth": 1}, "date_of_birth", "cannot be in the future"),
            ({"date_of_birth": -(365 * 121)}, "date_of_birth", "more than 120 years ago"),
        ],
    )
    def test_bad_dates_store_nothing(self, physio, overrides, field, message):
        today = physio.clinic.local_today()
        kwargs = register_kwargs(physio, **{k: today + timedelta(days=v) for k, v in overrides.items()})
        with pytest.raises(ValidationError) as exc:
            services.patient_register(**kwargs)
        assert message in exc.value.message_dict[field][0]
        assert not Patient.objects.exists()
        assert not User.objects.filter(role=User.Role.PATIENT).exists()

    def test_duplicate_email_any_case(self, physio):
        services.patient_register(**register_kwargs(physio))
        with pytest.raises(ValidationError) as exc:
            services.patient_register(**register_kwargs(physio, email="TOM.BECKER@example.com", first_name="Other"))
        assert "already exists" in exc.value.message_dict["email"][0]
        assert Patient.objects.count() == 1

    def test_physio_of_another_clinic_refused(self, physio):
        outsider = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
        with pytest.raises(ValidationError) as exc:
            services.patient_register(**register_kwargs(physio, physiotherapist=outsider))
        assert "physiotherapist" in exc.value.message_dict
        assert not Patient.objects.exists()


@pytest.mark.django_db
class TestThresholdChange:
    def test_change_keeps_history(self, patient, physio):
        services.patient_change_threshold(patient=patient, changed_by=physio, value=3, reason="Tolerating load well")
        services.patient_change_threshold(patient=patient, changed_by=physio, value=2, reason="Flare-up this week")
        patient.refresh_from_db()
        assert patient.pain_threshold == 2
        history = list(patient.threshold_changes.values_list("previous_value", "value", "reason"))
        assert history == [
            (3, 2, "Flare-up this week"),
            (1, 3, "Tolerating load well"),
            (None, 1, history[2][2]),
        ]

    @pytest.mark.parametrize(
        ("value", "reason", "field"),
        [(5, "Too high", "value"), (-1, "Too low", "value"), (3, "", "reason"), (3, "   ", "reason")],
    )
    def test_bad_change_refused(self, patient, physio, value, reason, field):
        with pytest.raises(ValidationError) as exc:
            services.patient_change_threshold(patient=patient, changed_by=physio, value=value, reason=reason)
        assert field in exc.value.message_dict
        patient.refresh_from_db()
        assert patient.pain_threshold == 1
        assert patient.threshold_changes.count() == 1


@pytest.mark.django_db
class TestDatabaseConstraints:
    """The database itself refuses out-of-range values, whatever the code does."""

    def test_threshold_range(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(pain_threshold=5)

    def test_threshold_change_needs_reason(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            ThresholdChange.objects.create(patient=patient, value=2, reason="")

    def test_onset_not_before_birth(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(onset_date=patient.date_of_birth - timedelta(days=1))

    def test_email_unique_ignoring_case(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(email=patient.user.email.upper(), role=User.Role.PATIENT, clinic=patient.clinic)

    def test_full_clean_reports_constraint(self, patient):
        patient.pain_threshold = 9
        with pytest.raises(ValidationError) as exc:
            patient.full_clean()
        assert "pain_threshold" in exc.value.message_dict


@pytest.mark.django_db
def test_update_changes_details_not_threshold(patient, physio):
    other = PhysioFactory(clinic=physio.clinic)
    services.patient_update(
        by=physio,
        patient=patient,
        first_name="Maria",
        last_name="Lopez-Diaz",
        email="maria.ld@example.com",
        date_of_birth=patient.date_of_birth,
        onset_date=patient.onset_date - timedelta(days=200),
        condition="Updated",
        physiotherapist=other,
    )
    patient.refresh_from_db()
    assert (patient.user.last_name, patient.user.email, patient.physiotherapist) == (
        "Lopez-Diaz",
        "maria.ld@example.com",
        other,
    )
    assert patient.pain_threshold == 1


@pytest.mark.django_db
def test_update_refuses_email_of_another_account(patient, physio):
    other = make_patient(physio=physio, email="taken@example.com")
    with pytest.raises(ValidationError) as exc:
        services.patient_update(
            by=physio,
            patient=patient,
            first_name="M",
            last_name="L",
            email="Taken@example.com",
            date_of_birth=patient.date_of_birth,
            onset_date=patient.onset_date,
            condition="x",
            physiotherapist=physio,
        )
    assert "email" in exc.value.message_dict
    assert other.user.email == "taken@example.com"
    patient.user.refresh_from_db()
    assert patient.user.email == "maria@example.com"
