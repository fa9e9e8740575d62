from datetime import timedelta

import pytest
from django.urls import reverse

from patients.models import Patient, ThresholdChange
from tests.factories import PhysioFactory, make_patient
from tests.helpers import assert_same_query_count, count_queries
from tests.helpers import patient_form_data as form_data


@pytest.mark.django_db
class TestRegisterPatient:
    def test_register_then_detail(self, client, physio, mailoutbox, django_capture_on_commit_callbacks):
        client.force_login(physio)
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(reverse("patients:create"), form_data(physio))
        patient = Patient.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("patients:detail", args=[patient.pk])
        assert len(callbacks) == 1
        page = client.get(response.url).content.decode()
        assert "Tom Becker" in page
        assert "Acute" in page
        assert "Pain threshold: 2/5" in page

    def test_a_date_mistake_is_told_with_the_other_fields_mistakes(self, client, physio):
        future = (physio.clinic.local_today() + timedelta(days=3)).isoformat()
        client.force_login(physio)
        data = form_data(physio, first_name="", onset_date=future)
        errors = client.post(reverse("patients:create"), data).context["form"].errors
        assert set(errors) == {"first_name", "onset_date"}
        assert not Patient.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"onset_date": "+1"}, "onset_date", "cannot be in the future"),
            ({"date_of_birth": "+1"}, "date_of_birth", "cannot be in the future"),
            ({"date_of_birth": "-44200"}, "date_of_birth", "more than 120 years ago"),
            ({"date_of_birth": "not a date"}, "date_of_birth", "Enter a valid date"),
            ({"email": "not-an-email"}, "email", "Enter a valid email address"),
            ({"first_name": ""}, "first_name", "This field is required"),
            ({"physiotherapist": "999999"}, "physiotherapist", "Select a valid choice"),
        ],
    )
    def test_bad_input_shown_beside_field(self, client, physio, overrides, field, message):
        today = physio.clinic.local_today()
        for key, value in list(overrides.items()):
            if key in ("onset_date", "date_of_birth") and value.lstrip("+-").isdigit():
                overrides[key] = (today + timedelta(days=int(value))).isoformat()
        client.force_login(physio)
        response = client.post(reverse("patients:create"), form_data(physio, **overrides))
        assert response.status_code == 200
        form = response.context["form"]
        assert message in " ".join(form.errors[field])
        html = response.content.decode()
        assert f'id="error_1_id_{field}"' in html  # crispy ties the message to the field
        assert not Patient.objects.exists()

    def test_duplicate_email(self, client, physio, patient):
        client.force_login(physio)
        response = client.post(reverse("patients:create"), form_data(physio, email="MARIA@example.com"))
        assert "already exists" in " ".join(response.context["form"].errors["email"])
        assert Patient.objects.count() == 1

    def test_default_physiotherapist_is_me(self, client, physio):
        client.force_login(physio)
        response = client.get(reverse("patients:create"))
        assert response.context["form"].initial["physiotherapist"] == physio


@pytest.mark.django_db
class TestThresholdView:
    def test_change_with_reason(self, client, physio, patient):
        client.force_login(physio)
        url = reverse("patients:threshold", args=[patient.pk])
        response = client.post(url, {"value": "3", "reason": "Progressing"})
        assert response.status_code == 302
        patient.refresh_from_db()
        assert patient.pain_threshold == 3
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert "Progressing" in page and "1 → 3/5" in page

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"value": "3", "reason": ""}, "reason"),
            ({"value": "5", "reason": "x"}, "value"),
            ({"value": "-1", "reason": "x"}, "value"),
            ({"value": "abc", "reason": "x"}, "value"),
        ],
    )
    def test_bad_change(self, client, physio, patient, data, field):
        client.force_login(physio)
        response = client.post(reverse("patients:threshold", args=[patient.pk]), data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert ThresholdChange.objects.filter(patient=patient).count() == 1
        if not data["reason"]:
            assert "Say why the threshold changes" in response.content.decode()

    def test_other_clinic_gets_404_and_nothing_changes(self, client, patient):
        outsider = PhysioFactory()
        client.force_login(outsider)
        response = client.post(reverse("patients:threshold", args=[patient.pk]), {"value": "3", "reason": "x"})
        assert response.status_code == 404
        patient.refresh_from_db()
        assert patient.pain_threshold == 1


@pytest.mark.django_db
def test_edit_patient(client, physio, patient):
    client.force_login(physio)
    data = form_data(physio, first_name="Maria", last_name="Lopez", email="maria.new@example.com")
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.email == "maria.new@example.com"


@pytest.mark.django_db
class TestPatientList:
    @pytest.fixture
    def caseload(self, physio):
        other = PhysioFactory(clinic=physio.clinic, first_name="Sam", last_name="Patel")
        return {
            "acute": make_patient(physio=physio, onset_days=10, first_name="Ann", last_name="Acute"),
            "sub": make_patient(physio=other, onset_days=60, first_name="Sue", last_name="Subacute"),
            "long": make_patient(physio=physio, onset_days=400, first_name="Len", last_name="Longterm"),
            "other_physio": other,
        }

    def names(self, response):
        return [p.user.last_name for p, _phase in response.context["rows"]]

    def test_filters(self, client, physio, caseload):
        client.force_login(physio)
        url = reverse("patients:list")
        assert self.names(client.get(url)) == ["Acute", "Longterm", "Subacute"]
        assert self.names(client.get(url, {"q": "sub"})) == ["Subacute"]
        assert self.names(client.get(url, {"phase": "acute"})) == ["Acute"]
        assert self.names(client.get(url, {"phase": "long_term"})) == ["Longterm"]
        assert self.names(client.get(url, {"physiotherapist": caseload["other_physio"].pk})) == ["Subacute"]

    def test_unknown_filter_value_explained(self, client, physio, caseload):
        client.force_login(physio)
        response = client.get(reverse("patients:list"), {"phase": "chronic"})
        assert response.status_code == 200
        assert "Select a valid choice" in " ".join(response.context["form"].errors["phase"])

    def test_other_clinic_not_listed(self, client, caseload):
        outsider = PhysioFactory()
        make_patient(physio=outsider, last_name="Elsewhere")
        client.force_login(outsider)
        assert self.names(client.get(reverse("patients:list"))) == ["Elsewhere"]

    def test_pagination_and_fixed_query_count(self, client, physio):
        client.force_login(physio)
        for i in range(3):
            make_patient(physio=physio, last_name=f"A{i:02d}")
        client.get(reverse("patients:list"))  # the first request of a session also saves it
        with count_queries() as small:
            client.get(reverse("patients:list"))
        assert len(small) == 10  # the page's 7, its audit row, and the savepoint its transaction is in a test
        for i in range(30):
            make_patient(physio=physio, last_name=f"B{i:02d}")
        with count_queries() as more:
            response = client.get(reverse("patients:list"))
        assert_same_query_count(small, more)
        assert len(response.context["rows"]) == 25
        assert response.context["page"].paginator.num_pages == 2
        page2 = client.get(reverse("patients:list"), {"page": 2})
        assert len(page2.context["rows"]) == 8

    def test_empty_state(self, client, physio):
        client.force_login(physio)
        assert "No patient is in a course of care" in client.get(reverse("patients:list")).content.decode()


@pytest.mark.django_db
def test_patient_page_flag_links_say_which_flag_they_open(client, physio):
    from flags.services import flag_record

    patient = make_patient(physio=physio)
    flag, _ = flag_record(
        patient=patient, reason="pain", rule="Pain over the patient's threshold", explanation="Pain 4/5", values={}
    )
    client.force_login(physio)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    link = f'<a href="{reverse("flags:detail", args=[flag.pk])}"><span class="visually-hidden">'
    raised = flag.opened_at.astimezone(patient.clinic.tzinfo)  # the page shows the clinic's own day
    assert link + f"Pain over threshold flag raised {raised.day} {raised:%b %Y}: </span>Open</a>" in page


def test_the_audit_trail_reads_rows_recorded_under_a_pages_former_name(client, clinic_admin, patient):
    """The trail is never rewritten: a row recorded before a page moved to another app reads as the page now."""
    from rehab.models import AuditEvent

    AuditEvent.objects.create(
        user=clinic_admin,
        clinic=clinic_admin.clinic,
        action="viewed",
        what="patients:flag_detail",
        object_id=7,
        patient_id=patient.pk,
        path="/patients/flags/7/",
        method="GET",
    )
    client.force_login(clinic_admin)
    html = client.get(reverse("patients:audit", args=[patient.pk])).content.decode()
    assert "Flag page" in html and "#7" in html


@pytest.mark.django_db
def test_the_patient_page_reads_courses_of_care_and_threshold_changes_once(client, physio):
    """The page, its threshold review, the outcomes panel, the screening note and the pain chart all ask for the
    same courses of care and threshold changes: each is read once, and each part still shows them."""
    from patients.services import patient_change_threshold

    patient = make_patient(physio=physio, onset_days=60)
    patient_change_threshold(patient=patient, changed_by=physio, value=3, reason="Coping well at two")
    ThresholdChange.objects.filter(patient=patient).update(phase="acute")  # decided when acute: a review is due
    client.force_login(physio)
    with count_queries() as queries:
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "patients_thresholdchange"' in sql for sql in reads) == 1
    assert sum('FROM "patients_episode"' in sql for sql in reads) == 1
    assert "Coping well at two" in page and "→ 3/5" in page  # the history
    assert 'id="threshold-review"' in page and "now in the subacute phase" in page  # from the latest change
    assert "Courses of care" in page  # the outcomes panel's history


def test_the_threshold_form_on_the_patient_page_names_its_help_beside_the_field(client, physio):
    patient = make_patient(physio=physio)
    client.force_login(physio)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    # Marked required as crispy-forms marks the app's other forms.
    assert (
        '<label for="id_value" class="form-label requiredField">New pain threshold<span class="asteriskField">*</span>'
        in page
    )
    assert 'aria-describedby="id_reason_helptext"' in page
    # Bootstrap's classes, so that the fields fit a phone's width (the textarea is 40 columns wide without them).
    assert '<select name="value" class="form-select" id="id_value">' in page
    assert '<textarea name="reason" cols="40" rows="2" class="form-control"' in page
    assert '<div id="id_reason_helptext" class="form-text">Why the threshold changes now' in page
