"""Warning symptoms are always heard (docs/clinical-rules.md, rule 14): a symptom report without a session, and a
check-in form sent back for another look with a warning symptom ticked."""

import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, SymptomReport
from flags import services as flag_services
from flags.models import Flag, FlagEvent, FlagReason
from tests.helpers import checkin_form_data as form_data

pytestmark = pytest.mark.django_db


def send_alerts():
    """What the alert tasks (or the sweep after them) send."""
    for pk in Flag.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        flag_services.flag_send_alert(flag_id=pk)


def evaluate_all():
    for report in SymptomReport.objects.filter(evaluated_at__isnull=True).order_by("pk"):
        flag_services.symptom_report_evaluate(report_id=report.pk)
    for checkin in CheckIn.objects.filter(evaluated_at__isnull=True).order_by("pk"):
        flag_services.checkin_evaluate(checkin_id=checkin.pk)


class TestService:
    def test_nothing_ticked_and_no_note_is_refused_and_stores_nothing(self, patient):
        with pytest.raises(ValidationError) as refused:
            services.symptom_report_create(patient=patient, idempotency_key=uuid.uuid4(), note="   ")
        assert refused.value.message_dict == {"symptoms": ["Tick what you noticed, or describe it in the note."]}
        assert SymptomReport.objects.count() == 0

    def test_the_database_refuses_an_empty_report_too(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            SymptomReport.objects.create(patient=patient, idempotency_key=uuid.uuid4())

    def test_once_per_form(self, patient, django_capture_on_commit_callbacks):
        key = uuid.uuid4()
        with django_capture_on_commit_callbacks() as callbacks:
            first, created = services.symptom_report_create(patient=patient, idempotency_key=key, leg_weakness=True)
            again, created_again = services.symptom_report_create(patient=patient, idempotency_key=key, sharp_pain=True)
        assert (created, created_again, again.pk) == (True, False, first.pk)
        assert len(callbacks) == 1  # its evaluation, queued once

    @pytest.mark.parametrize(
        ("kwargs", "reasons", "urgent"),
        [
            ({"bladder_bowel": True}, ["warning_symptoms"], True),
            ({"sharp_pain": True, "note": "Stabbing pain getting out of the car."}, ["sharp_pain"], False),
            ({"note": "Tingling in my left foot since yesterday."}, ["new_symptom"], False),
            ({"saddle_numbness": True, "sharp_pain": True}, ["sharp_pain", "warning_symptoms"], True),
        ],
    )
    def test_raises_the_same_flags_as_a_check_in(self, patient, kwargs, reasons, urgent):
        report, _ = services.symptom_report_create(patient=patient, idempotency_key=uuid.uuid4(), **kwargs)
        flags = flag_services.symptom_report_evaluate(report_id=report.pk)
        assert sorted(f.reason for f in flags) == reasons
        assert any(f.urgent for f in flags) is urgent
        assert all(f.events.get().symptom_report_id == report.pk for f in flags)
        if "note" in kwargs:
            assert all(f.details["values"]["note"] == kwargs["note"] for f in flags)

    def test_evaluated_again_changes_nothing(self, patient, physio):
        report, _ = services.symptom_report_create(patient=patient, idempotency_key=uuid.uuid4(), leg_weakness=True)
        flag_services.symptom_report_evaluate(report_id=report.pk)
        flag_services.flag_resolve(flag=Flag.objects.get(), by=physio, outcome="referred")
        flag_services.symptom_report_evaluate(report_id=report.pk)
        assert Flag.objects.count() == 1 and FlagEvent.objects.filter(kind="raised").count() == 1

    def test_a_lost_evaluation_is_found_by_the_sweep(self, patient):
        services.symptom_report_create(patient=patient, idempotency_key=uuid.uuid4(), bladder_bowel=True)
        result = flag_services.flags_sweep(now=timezone.now() + timezone.timedelta(minutes=5))
        assert result["evaluated"] == 1 and Flag.objects.get().reason == FlagReason.WARNING_SYMPTOMS


class TestPage:
    url = reverse("checkins:symptom_report")

    def test_bad_input_is_told_beside_the_field_and_stores_nothing(self, client, patient):
        client.force_login(patient.user)
        response = client.post(self.url, {"idempotency_key": str(uuid.uuid4()), "note": ""})
        page = response.content.decode()
        assert response.status_code == 200
        assert 'id="symptoms-error">Tick what you noticed, or describe it in the note.' in page
        assert 'aria-describedby="symptoms-error"' in page
        assert SymptomReport.objects.count() == 0

    def test_a_warning_symptom_shows_the_urgent_advice(self, client, patient):
        client.force_login(patient.user)
        data = {"idempotency_key": str(uuid.uuid4()), "symptoms": ["saddle_numbness"], "note": "Since this morning."}
        response = client.post(self.url, data, follow=True)
        page = response.content.decode()
        assert "Get urgent medical help now" in page and "numbness between the legs" in page
        assert SymptomReport.objects.get().saddle_numbness
        assert CheckIn.objects.count() == 0  # never a session

    def test_a_flare_of_sharp_pain_is_told_to_go_gently(self, client, patient):
        client.force_login(patient.user)
        data = {"idempotency_key": str(uuid.uuid4()), "sharp_pain": "on"}
        page = client.post(self.url, data, follow=True).content.decode()
        assert "a flare of sharp or intense pain" in page and "Get urgent medical help" not in page

    @pytest.mark.parametrize(
        "name", ["checkins:today", "checkins:history", "checkins:create", "checkins:symptom_report"]
    )
    def test_the_entry_is_on_every_patient_page(self, client, active, name):
        client.force_login(active.program.patient.user)
        page = client.get(reverse(name)).content.decode()
        assert f'href="{self.url}"' in page and "Tell the clinic about a new symptom" in page

    def test_staff_pages_do_not_offer_it(self, client, physio):
        client.force_login(physio)
        assert "Tell the clinic about a new symptom" not in client.get(reverse("flags:dashboard")).content.decode()


class TestCheckInFormWithAWarningSymptom:
    url = reverse("checkins:create")

    def test_symptom_ticked_and_pain_left_blank(self, client, active):
        """The flag, the advice, the other answers kept, and nothing else stored."""
        client.force_login(active.program.patient.user)
        data = form_data(active, max_pain=None, symptoms=["bladder_bowel"], sharp_pain="yes", note="Felt odd.")
        response = client.post(self.url, data)
        page = response.content.decode()
        assert response.status_code == 200
        assert page.index("Get urgent medical help now") < page.index('<h1 class="h3">Report a session')
        assert "Choose how strong your pain was at its worst" in page  # the rest still needs an answer
        assert 'value="yes" checked' in page and "Felt odd." in page and 'value="bladder_bowel" checked' in page
        assert CheckIn.objects.count() == 0
        report = SymptomReport.objects.get()
        assert (report.bladder_bowel, report.form_key) == (True, uuid.UUID(data["idempotency_key"]))
        evaluate_all()
        assert Flag.objects.get().reason == FlagReason.WARNING_SYMPTOMS

    def test_sent_again_and_then_completed_nothing_is_alerted_twice(self, client, active):
        client.force_login(active.program.patient.user)
        data = form_data(active, max_pain=None, symptoms=["leg_weakness"])
        client.post(self.url, data)
        evaluate_all()
        send_alerts()
        client.post(self.url, data)  # the same form again, still incomplete
        assert SymptomReport.objects.count() == 1
        data["max_pain"] = "1"
        response = client.post(self.url, data, follow=True)
        assert "Get urgent medical help now" in response.content.decode()
        evaluate_all()
        send_alerts()
        flag = Flag.objects.get()
        assert list(flag.events.values_list("kind", flat=True)) == ["raised", "notified", "evidence"]
        assert len(mail.outbox) == 1 and flag.status == "open" and flag.escalated_at is None

    def test_a_symptom_added_before_completing_is_alerted(self, client, active):
        client.force_login(active.program.patient.user)
        data = form_data(active, max_pain=None, symptoms=["leg_weakness"])
        client.post(self.url, data)
        evaluate_all()
        send_alerts()
        data.update(max_pain="1", symptoms=["leg_weakness", "bladder_bowel"])
        client.post(self.url, data)
        evaluate_all()
        send_alerts()
        assert len(mail.outbox) == 2 and "warning symptoms again" in mail.outbox[1].subject

    def test_a_contradictory_answer_is_heard_all_the_same(self, client, active):
        client.force_login(active.program.patient.user)
        response = client.post(self.url, form_data(active, symptoms=["saddle_numbness", "none"]))
        assert "Get urgent medical help now" in response.content.decode()
        assert SymptomReport.objects.get().saddle_numbness and CheckIn.objects.count() == 0

    def test_no_warning_symptom_no_report(self, client, active):
        client.force_login(active.program.patient.user)
        response = client.post(self.url, form_data(active, max_pain=None))
        assert "Get urgent medical help" not in response.content.decode()
        assert SymptomReport.objects.count() == 0

    def test_a_correction_form_sent_back_is_heard_too_and_alerts_once(self, client, active):
        from tests.helpers import send_checkin

        checkin = send_checkin(active, max_pain=1)
        evaluate_all()
        client.force_login(active.program.patient.user)
        url = reverse("checkins:correct", args=[checkin.pk])
        data = form_data(active, max_pain=None, symptoms=["bladder_bowel"], session_date=None)
        data["idempotency_key"] = str(checkin.idempotency_key)
        response = client.post(url, data)
        assert "Get urgent medical help now" in response.content.decode()
        assert SymptomReport.objects.get().form_key == checkin.idempotency_key
        evaluate_all()
        send_alerts()
        data["max_pain"] = "1"
        client.post(url, data)
        evaluate_all()
        send_alerts()
        assert len(mail.outbox) == 1 and Flag.objects.get().reason == FlagReason.WARNING_SYMPTOMS
