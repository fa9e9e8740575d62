"""Courses of care: registration opens one, a discharge ends it (and with it the program, the flags, the sweep and
escalations for the patient), a new referral opens another with its own onset, phase and threshold."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from checkins.services import checkin_submit
from flags import services as flag_services
from flags.models import Flag, FlagEvent, FlagOutcome, FlagStatus
from patients import services
from patients.models import Episode, ThresholdChange
from patients.selectors import DISCHARGED, EVERYONE, patient_list
from programs.models import Program, ProgramVersion
from programs.services import program_activate, program_create, program_revise
from tests.factories import PhysioFactory, make_patient
from tests.helpers import add_exercises, evaluate, send_checkin

pytestmark = pytest.mark.django_db


def at(clinic, day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(clinic.time_zone))


def discharge(patient, physio, reason="goals_met", **kwargs):
    return services.episode_discharge(patient=patient, by=physio, reason=reason, **kwargs)


class TestRegistration:
    def test_registering_opens_a_course_of_care(self, patient, physio):
        episode = patient.episodes.get()
        today = patient.clinic.local_today()
        assert episode.is_open and episode.referral_date == today and episode.opened_by == physio
        assert (episode.onset_date, episode.condition, episode.clinic_id) == (
            patient.onset_date,
            patient.condition,
            patient.clinic_id,
        )

    @staticmethod
    def register(physio, **referral):
        today = physio.clinic.local_today()
        return services.patient_register(
            clinic=physio.clinic,
            registered_by=physio,
            first_name="Ann",
            last_name="Lee",
            email="ann@example.com",
            date_of_birth=today - timedelta(days=365 * 50),
            onset_date=today - timedelta(days=30),
            condition="Back pain",
            physiotherapist=physio,
            **referral,
        )

    def test_with_a_referral_and_its_referrer(self, physio):
        today = physio.clinic.local_today()
        patient = self.register(physio, referral_date=today - timedelta(days=5), referrer="Dr Ann Smith, Riverside GP")
        episode = patient.episodes.get()
        assert (episode.referral_date, episode.referrer) == (today - timedelta(days=5), "Dr Ann Smith, Riverside GP")

    @pytest.mark.parametrize(
        ("referral", "message"), [(1, "cannot be in the future"), (-40, "cannot be before the injury's onset")]
    )
    def test_a_referral_date_that_makes_no_sense_is_refused(self, physio, referral, message):
        today = physio.clinic.local_today()
        with pytest.raises(ValidationError, match=message):
            self.register(physio, referral_date=today + timedelta(days=referral))
        assert not Episode.objects.exists()

    def test_editing_the_condition_edits_the_course_of_care(self, patient, physio):
        today = patient.clinic.local_today()
        services.patient_update(
            patient=patient,
            by=physio,
            first_name="Maria",
            last_name="Lopez",
            email=patient.user.email,
            date_of_birth=patient.date_of_birth,
            onset_date=today - timedelta(days=20),
            condition="Sciatica, left leg",
            physiotherapist=physio,
        )
        episode = patient.episodes.get()
        assert (episode.onset_date, episode.condition) == (today - timedelta(days=20), "Sciatica, left leg")

    def test_the_database_keeps_one_open_course_of_care(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            Episode.objects.create(
                patient=patient,
                clinic=patient.clinic,
                referral_date=patient.onset_date,
                condition="x",
                onset_date=patient.onset_date,
            )


class TestDischarge:
    def test_discharge_ends_the_course_of_care(self, active, physio):
        patient = active.program.patient
        episode = discharge(patient, physio, note="Back to running.", advice="Keep going twice a week.")
        assert not episode.is_open
        assert episode.discharged_on == patient.clinic.local_today()
        assert (episode.discharge_reason, episode.discharge_note) == ("goals_met", "Back to running.")
        assert episode.self_management_advice == "Keep going twice a week."
        assert episode.physiotherapist == patient.physiotherapist and episode.discharged_by == physio

    def test_the_default_advice_is_kept_when_none_is_given(self, patient, physio):
        assert "Keep doing the exercises" in discharge(patient, physio).self_management_advice

    def test_the_program_ends_and_its_last_version_stays_readable(self, active, physio):
        patient = active.program.patient
        discharge(patient, physio)
        program = Program.objects.get(pk=active.program_id)
        active.refresh_from_db()
        assert program.status == Program.Status.ENDED and program.ended_at is not None
        assert active.status == ProgramVersion.Status.SUPERSEDED

    def test_open_flags_close_as_discharged_and_stay_in_the_history(self, active, physio):
        patient = active.program.patient
        evaluate(send_checkin(active, max_pain=4, sharp_pain=True))
        assert Flag.objects.filter(patient=patient, status=FlagStatus.OPEN).count() == 2
        discharge(patient, physio, reason="self_managing")
        flags = list(Flag.objects.filter(patient=patient))
        assert len(flags) == 2
        assert {(f.status, f.outcome, f.resolved_by_id) for f in flags} == {
            (FlagStatus.RESOLVED, FlagOutcome.DISCHARGED, physio.pk)
        }
        assert all(f.resolution_note == "Closed at discharge: self-managing." for f in flags)
        assert FlagEvent.objects.filter(flag__in=flags, kind="resolved", values__outcome="discharged").count() == 2

    @pytest.mark.parametrize(
        ("kwargs", "field", "message"),
        [
            ({"reason": ""}, "reason", "Choose why the patient is discharged."),
            ({"reason": "bored"}, "reason", "Choose why the patient is discharged."),
            ({"discharged_on": 1}, "discharged_on", "cannot be in the future"),
            ({"discharged_on": -1}, "discharged_on", "discharge on or after it"),
            ({"note": "x" * 2001}, "note", "under 2,000 characters"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_changes(self, active, physio, kwargs, field, message):
        patient = active.program.patient
        today = patient.clinic.local_today()
        if "discharged_on" in kwargs:
            kwargs = {"discharged_on": today + timedelta(days=kwargs["discharged_on"])}
        kwargs = {"reason": "goals_met", **kwargs}
        with pytest.raises(ValidationError) as caught:
            services.episode_discharge(patient=patient, by=physio, **kwargs)
        assert message in caught.value.message_dict[field][0]
        assert patient.episodes.get().is_open
        assert Program.objects.get(pk=active.program_id).status == Program.Status.ACTIVE

    def test_a_patient_is_discharged_once(self, patient, physio):
        discharge(patient, physio)
        with pytest.raises(ValidationError, match="discharged already"):
            discharge(patient, physio)
        assert patient.episodes.count() == 1

    def test_the_database_wants_a_discharge_complete(self, patient):
        with pytest.raises(IntegrityError), transaction.atomic():
            Episode.objects.filter(patient=patient).update(discharged_at=timezone.now())


class TestNothingRunsAfterDischarge:
    def test_the_sweep_skips_a_discharged_patient_on_the_day_their_rest_flag_would_rise(self, active, physio, library):
        patient = active.program.patient
        clinic = patient.clinic
        today = clinic.local_today()
        other = make_patient(physio=physio)
        program = program_create(patient=other, created_by=physio, title="P", start_date=today, weekdays=[0, 2, 4])
        twin = program.versions.get()
        add_exercises(twin, library, "dead-bug")
        program_activate(version=twin, activated_by=physio)
        for version in (active, twin):
            version.start_date = today
            version.save(update_fields=["start_date"])
        discharge(patient, physio)
        # Three whole days without a session after a start today: the fourth day's sweep flags the twin only.
        assert flag_services.flags_sweep_rest(now=at(clinic, today + timedelta(days=3))) == 0
        assert flag_services.flags_sweep_rest(now=at(clinic, today + timedelta(days=4))) == 1
        assert list(Flag.objects.values_list("patient_id", "reason")) == [(other.pk, "rest")]

    def test_the_sweep_skips_a_discharged_patient_even_with_a_program_in_force(self, active, physio):
        # A program is never in force after a discharge; were one left so by hand, the course of care still decides.
        patient = active.program.patient
        discharge(patient, physio)
        Program.objects.filter(pk=active.program_id).update(status=Program.Status.ACTIVE)
        ProgramVersion.objects.filter(pk=active.pk).update(status=ProgramVersion.Status.ACTIVE)
        now = at(patient.clinic, patient.clinic.local_today() + timedelta(days=30))
        assert flag_services.flags_sweep_rest(now=now) == 0

    def test_no_escalation_for_a_discharged_patient(self, active, physio, clinic_admin, mailoutbox):
        patient = active.program.patient
        evaluate(send_checkin(active, max_pain=4))
        flag = Flag.objects.get(patient=patient)
        discharge(patient, physio)
        # Even a flag raised after the discharge (a check-in sent before it, evaluated late) is not escalated.
        Flag.objects.filter(pk=flag.pk).update(status=FlagStatus.OPEN, outcome="", resolved_at=None)
        later = timezone.now() + timedelta(days=3)
        assert flag_services.flag_escalate_overdue(now=later) == 0
        assert mailoutbox == []

    def test_the_escalation_of_a_patient_in_care_still_goes(self, active, clinic_admin, mailoutbox):
        evaluate(send_checkin(active, max_pain=4))
        assert flag_services.flag_escalate_overdue(now=timezone.now() + timedelta(days=3)) == 1

    def test_a_discharged_patient_can_no_longer_check_in(self, active, physio):
        patient = active.program.patient
        discharge(patient, physio)
        active.refresh_from_db()
        with pytest.raises(ValidationError, match="Your course of care has ended"):
            send_checkin(active)

    def test_no_program_is_built_or_put_in_force_after_a_discharge(self, patient, physio, library):
        today = patient.clinic.local_today()
        program = program_create(patient=patient, created_by=physio, title="P", start_date=today, weekdays=[0, 2])
        draft = program.versions.get()
        add_exercises(draft, library, "dead-bug")
        discharge(patient, physio)
        with pytest.raises(ValidationError, match="is discharged"):
            program_activate(version=draft, activated_by=physio)
        with pytest.raises(ValidationError, match="is discharged"):
            program_create(patient=patient, created_by=physio, title="Q", start_date=today, weekdays=[1])

    def test_nor_paused(self, patient, physio):
        discharge(patient, physio)
        today = patient.clinic.local_today()
        with pytest.raises(ValidationError, match="discharged"):
            services.pause_create(patient=patient, created_by=physio, starts_on=today, ends_on=today, reason="Flu")


class TestNewReferral:
    def refer(self, patient, physio, onset_days=10, **kwargs):
        today = patient.clinic.local_today()
        return services.episode_open(
            patient=patient,
            by=physio,
            referral_date=kwargs.pop("referral_date", today),
            referrer=kwargs.pop("referrer", "Dr Okafor"),
            condition=kwargs.pop("condition", "New strain lifting a box."),
            onset_date=today - timedelta(days=onset_days),
        )

    def test_a_new_course_of_care_with_its_own_onset_phase_and_threshold(self, patient, physio):
        # The first course of care: subacute, threshold 1.
        assert patient.pain_threshold == 1
        first = patient.episodes.get()
        discharge(patient, physio)
        second = self.refer(patient, physio, onset_days=10)
        patient.refresh_from_db()
        today = patient.clinic.local_today()
        assert patient.onset_date == today - timedelta(days=10)
        assert patient.phase().value == "acute"
        assert patient.pain_threshold == 2
        change = ThresholdChange.objects.filter(patient=patient).order_by("-changed_at", "-pk").first()
        assert (change.previous_value, change.value) == (1, 2)
        assert change.reason.startswith("New course of care")
        assert second.is_open and (second.referrer, second.condition) == ("Dr Okafor", "New strain lifting a box.")
        first.refresh_from_db()
        assert not first.is_open and first.condition == "Lower-back pain after lifting."  # the earlier one as it was

    def test_refused_while_a_course_of_care_is_open(self, patient, physio):
        with pytest.raises(ValidationError, match="already in a course of care"):
            self.refer(patient, physio)
        assert patient.episodes.count() == 1

    @pytest.mark.parametrize(
        ("kwargs", "field", "message"),
        [
            ({"referral_date": 1}, "referral_date", "cannot be in the future"),
            ({"onset_days": -2}, "onset_date", "cannot be in the future"),
            ({"condition": "  "}, "condition", "Describe the condition"),
        ],
    )
    def test_bad_input(self, patient, physio, kwargs, field, message):
        discharge(patient, physio)
        if "referral_date" in kwargs:
            kwargs["referral_date"] = patient.clinic.local_today() + timedelta(days=kwargs["referral_date"])
        with pytest.raises(ValidationError) as caught:
            self.refer(patient, physio, **kwargs)
        assert message in caught.value.message_dict[field][0]
        assert patient.episodes.count() == 1

    def test_a_new_referral_comes_after_the_last_discharge(self, patient, physio):
        discharge(patient, physio)
        yesterday = patient.clinic.local_today() - timedelta(days=1)
        with pytest.raises(ValidationError, match="a new referral comes on or after it"):
            self.refer(patient, physio, referral_date=yesterday)


class TestLists:
    def test_the_list_shows_patients_in_care_unless_asked_for_the_discharged(self, physio):
        staying, leaving = (
            make_patient(physio=physio, last_name="Staying"),
            make_patient(physio=physio, last_name="Gone"),
        )
        discharge(leaving, physio)
        assert list(patient_list(user=physio)) == [staying]
        assert list(patient_list(user=physio, episodes=DISCHARGED)) == [leaving]
        assert set(patient_list(user=physio, episodes=EVERYONE)) == {staying, leaving}

    def test_the_list_page_and_the_dashboard_filter(self, client, physio):
        _staying, leaving = (
            make_patient(physio=physio, last_name="Staying"),
            make_patient(physio=physio, last_name="Gone"),
        )
        discharge(leaving, physio)
        client.force_login(physio)
        page = client.get(reverse("patients:list")).content.decode()
        assert "Staying" in page and "Gone" not in page
        page = client.get(reverse("patients:list"), {"episodes": "discharged"}).content.decode()
        assert "Gone" in page and "Staying" not in page

        def caseload(**query):
            page = client.get(reverse("flags:dashboard"), query).content.decode()
            return page.split('id="caseload-h"')[1].split('id="noprog-h"')[0]

        assert "Staying" in caseload() and "Gone" not in caseload()
        assert "Gone" in caseload(episodes="discharged") and "Staying" not in caseload(episodes="discharged")


class TestPages:
    def test_discharge_page_then_new_referral_page(self, client, active, physio):
        patient = active.program.patient
        client.force_login(physio)
        url = reverse("patients:discharge", args=[patient.pk])
        assert "Discharge the patient" in client.get(url).content.decode()
        page = client.post(url, {"discharged_on": patient.clinic.local_today().isoformat()})
        assert "Choose why the patient is discharged." in page.content.decode()
        assert patient.episodes.get().is_open
        response = client.post(
            url, {"reason": "goals_met", "discharged_on": patient.clinic.local_today().isoformat(), "note": "Well."}
        )
        assert response.status_code == 302
        detail = client.get(response.url).content.decode()
        assert "Discharged on" in detail and "New referral" in detail
        refer = reverse("patients:refer", args=[patient.pk])
        today = patient.clinic.local_today()
        response = client.post(
            refer,
            {
                "referral_date": today.isoformat(),
                "referrer": "Self-referral",
                "condition": "Back again after gardening.",
                "onset_date": (today - timedelta(days=3)).isoformat(),
            },
        )
        assert response.status_code == 302
        assert patient.episodes.filter(discharged_at__isnull=True).get().referrer == "Self-referral"

    def test_the_discharge_page_of_a_discharged_patient_says_so(self, client, patient, physio):
        discharge(patient, physio)
        client.force_login(physio)
        url = reverse("patients:discharge", args=[patient.pk])
        page = client.post(url, {"reason": "goals_met", "discharged_on": patient.clinic.local_today().isoformat()})
        assert page.status_code == 200 and "discharged already" in page.content.decode()
        assert patient.episodes.count() == 1

    def test_an_admin_cannot_discharge(self, client, patient, clinic_admin):
        client.force_login(clinic_admin)
        assert client.get(reverse("patients:discharge", args=[patient.pk])).status_code == 403

    def test_another_physio_of_the_clinic_may_discharge(self, client, patient):
        colleague = PhysioFactory(clinic=patient.clinic)
        client.force_login(colleague)
        response = client.post(
            reverse("patients:discharge", args=[patient.pk]),
            {"reason": "referred_on", "discharged_on": patient.clinic.local_today().isoformat()},
        )
        assert response.status_code == 302 and not patient.episodes.get().is_open


class TestThePatientAfterwards:
    def test_today_shows_the_last_program_and_the_advice_and_no_check_in(self, client, active, physio):
        patient = active.program.patient
        discharge(patient, physio, advice="Walk every day and do the bridges.")
        client.force_login(patient.user)
        page = client.get(reverse("checkins:today")).content.decode()
        assert "Your course of care ended on" in page
        assert "Walk every day and do the bridges." in page
        assert "Your program to carry on with" in page and "Dead bug" in page
        assert f'class="btn btn-primary btn-lg w-100 mb-3" href="{reverse("checkins:create")}"' not in page

    def test_the_check_in_page_refuses_with_a_clear_message(self, client, active, physio):
        patient = active.program.patient
        discharge(patient, physio)
        client.force_login(patient.user)
        response = client.get(reverse("checkins:create"), follow=True)
        assert "Your course of care has ended, so there are no more sessions to report." in response.content.decode()

    def test_history_and_the_last_programs_handout_stay_readable(self, client, active, physio):
        patient = active.program.patient
        send_checkin(active, max_pain=1)
        discharge(patient, physio)
        client.force_login(patient.user)
        assert client.get(reverse("checkins:history")).status_code == 200
        assert client.get(reverse("programs:handout", args=[active.pk])).status_code == 200

    def test_an_older_version_stays_closed_to_the_patient(self, client, active, physio, library):
        patient = active.program.patient
        draft = program_revise(program=active.program, created_by=physio)
        program_activate(version=draft, activated_by=physio)
        discharge(patient, physio)
        client.force_login(patient.user)
        assert client.get(reverse("programs:handout", args=[active.pk])).status_code == 404
        assert client.get(reverse("programs:handout", args=[draft.pk])).status_code == 200

    def test_a_stale_check_in_form_is_refused_by_the_service(self, active, physio):
        patient = active.program.patient
        discharge(patient, physio)
        active.refresh_from_db()
        with pytest.raises(ValidationError, match="Your course of care has ended"):
            checkin_submit(
                patient=patient,
                version=active,
                idempotency_key=uuid.uuid4(),
                outcomes={item.pk: "done" for item in active.items.all()},
                session_date=patient.clinic.local_today(),
                max_pain=1,
                pain_now=0,
                sharp_pain=False,
            )


class TestReportsAfterDischarge:
    def test_a_new_symptom_page_says_where_to_go_and_stores_nothing(self, client, active, physio):
        from checkins.models import SymptomReport
        from checkins.services import symptom_report_create

        patient = active.program.patient
        discharge(patient, physio)
        client.force_login(patient.user)
        page = client.get(reverse("checkins:symptom_report")).content.decode()
        assert "Get urgent medical help now" in page and "no longer follows reports" in page
        client.post(reverse("checkins:symptom_report"), {"idempotency_key": str(uuid.uuid4()), "note": "Worse"})
        with pytest.raises(ValidationError, match="get urgent medical help now"):
            symptom_report_create(patient=patient, idempotency_key=uuid.uuid4(), leg_weakness=True)
        assert not SymptomReport.objects.exists() and not Flag.objects.filter(patient=patient).exists()

    def test_a_check_in_is_no_longer_corrected(self, client, active, physio):
        from checkins.services import checkin_correct

        patient = active.program.patient
        checkin = send_checkin(active, max_pain=1)
        discharge(patient, physio)
        with pytest.raises(ValidationError, match="can no longer be corrected"):
            checkin_correct(
                checkin=checkin,
                outcomes={item.pk: "done" for item in active.items.all()},
                max_pain=4,
                pain_now=2,
                sharp_pain=True,
            )
        client.force_login(patient.user)
        response = client.get(reverse("checkins:correct", args=[checkin.pk]), follow=True)
        assert "can no longer be corrected" in response.content.decode()
        assert "Correct this report" not in client.get(reverse("checkins:history")).content.decode()
