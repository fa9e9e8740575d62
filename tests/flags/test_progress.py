"""Ready to progress (docs/clinical-rules.md, rule 17): the dashboard's set-based list, each criterion at its
boundary, and the step up prepared from it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from checkins import selectors as checkin_selectors
from checkins.models import CheckIn
from flags import services
from flags.progress import progress_verdict_for, ready_to_progress
from patients.models import ThresholdChange
from patients.services import patient_change_threshold, pause_create
from programs import selectors as program_selectors
from programs import services as program_services
from programs.models import ProgramVersion
from rehab.models import Clinic
from tests.factories import PhysioFactory, make_patient
from tests.helpers import add_exercises, assert_same_query_count, count_queries, send_checkin

pytestmark = pytest.mark.django_db


def on_program(
    patient, physio, library, *, days_on=20, weekdays=(), sessions_per_week=5, keys=("dead-bug", "clamshell")
):
    """A program in force for `days_on` days (its first and only version), five sessions a week by default."""
    today = patient.clinic.local_today()
    program = program_services.program_create(
        patient=patient,
        created_by=physio,
        title="Back program",
        start_date=today,
        weekdays=list(weekdays),
        sessions_per_week=None if weekdays else sessions_per_week,
    )
    version = program.versions.get()
    add_exercises(version, library, *keys)
    program_services.program_activate(version=version, activated_by=physio)
    ProgramVersion.objects.filter(pk=version.pk).update(start_date=today - timedelta(days=days_on))
    version.refresh_from_db()
    return version


def session(version, days_ago, *, max_pain=1, sharp=False):
    """A check-in sent through the service, then dated `days_ago` (the service takes a week back at most)."""
    saved = send_checkin(version, days_ago=0, max_pain=max_pain, sharp_pain=sharp)
    today = version.program.patient.clinic.local_today()
    CheckIn.objects.filter(pk=saved.pk).update(session_date=today - timedelta(days=days_ago))
    return saved


def ready_ids(physio):
    return [version.program.patient_id for version, _verdict in ready_to_progress(physio=physio)]


@pytest.fixture
def ready(patient, physio, library):
    """Maria, ready to progress: 20 days on her version, 8 sessions in the last two weeks of the 10 planned (80%),
    every highest pain at her threshold (1/5), no sharp pain, no flag."""
    version = on_program(patient, physio, library)
    for days_ago in (0, 1, 3, 5, 6, 8, 10, 12):
        session(version, days_ago)
    return version


class TestReadyToProgress:
    def test_a_patient_who_meets_every_criterion_is_listed_with_the_evidence(self, client, physio, ready):
        assert ready_ids(physio) == [ready.program.patient_id]
        ((_version, verdict),) = ready_to_progress(physio=physio)
        assert verdict.ready
        assert verdict.evidence == (
            "8 sessions on version 1; 20 days on it; every highest pain at or under the threshold (highest 1/5, "
            "threshold 1/5); no sharp pain; adherence 80% over 14 days; no open flag"
        )
        client.force_login(physio)
        html = client.get(reverse("flags:dashboard")).content.decode()
        assert "Ready to progress" in html and "8 sessions on version 1; 20 days on it" in html
        assert reverse("flags:step_up", args=[ready.program.patient_id]) in html

    @pytest.mark.parametrize(("sessions", "listed"), [(5, False), (6, True)])
    def test_sessions_on_the_version(self, patient, physio, library, sessions, listed):
        version = on_program(patient, physio, library, sessions_per_week=2)  # 4 planned in two weeks
        for days_ago in range(sessions):
            session(version, days_ago * 2)
        assert (ready_ids(physio) == [patient.pk]) is listed

    @pytest.mark.parametrize(("days_on", "listed"), [(13, False), (14, True)])
    def test_days_on_the_version(self, patient, physio, library, days_on, listed):
        version = on_program(patient, physio, library, days_on=days_on)
        for days_ago in range(10):
            session(version, days_ago)
        assert (ready_ids(physio) == [patient.pk]) is listed
        _version, verdict = progress_verdict_for(patient=patient)
        assert verdict.ready is listed
        if not listed:
            assert verdict.unmet == "13 days on it (14 needed)"

    @pytest.mark.parametrize(("pain", "listed"), [(1, True), (2, False)])
    def test_highest_pain_at_the_threshold_or_one_over(self, ready, pain, listed):
        session(ready, 2, max_pain=pain)
        assert (ready_ids(ready.program.created_by) == [ready.program.patient_id]) is listed

    def test_pain_is_judged_against_the_threshold_in_force_on_the_sessions_day(self, ready, physio):
        patient = ready.program.patient
        ThresholdChange.objects.filter(patient=patient).update(changed_at=timezone.now() - timedelta(days=30))
        change = patient_change_threshold(patient=patient, changed_by=physio, value=2, reason="Tolerating more")
        ThresholdChange.objects.filter(pk=change.pk).update(changed_at=timezone.now() - timedelta(days=4))
        session(ready, 2, max_pain=2)  # after the change: at the threshold of its day
        assert ready_ids(physio) == [patient.pk]
        session(ready, 7, max_pain=2)  # before it: over the threshold of its day, though not over today's
        assert ready_ids(physio) == []
        _version, verdict = progress_verdict_for(patient=patient)
        assert verdict.unmet == "pain over the threshold in 1 session"

    def test_sharp_pain(self, ready, physio):
        session(ready, 2, sharp=True)
        assert ready_ids(physio) == []
        assert progress_verdict_for(patient=ready.program.patient)[1].unmet == "sharp pain in 1 session"

    @pytest.mark.parametrize(("days", "listed"), [(8, True), (7, False)])
    def test_adherence_over_two_weeks(self, patient, physio, library, days, listed):
        version = on_program(patient, physio, library)  # 5 a week: 10 planned in 14 days
        for days_ago in range(days):
            session(version, days_ago)
        assert (ready_ids(physio) == [patient.pk]) is listed
        _version, verdict = progress_verdict_for(patient=patient)
        assert ("adherence 70% over 14 days (80% needed)" in verdict.unmet) is not listed

    def test_adherence_leaves_out_paused_days_as_the_patient_page_does(self, patient, physio, library):
        version = on_program(patient, physio, library, weekdays=range(7))  # every day: 14 planned
        today = patient.clinic.local_today()
        pause_create(
            patient=patient, created_by=physio, starts_on=today, ends_on=today + timedelta(days=3), reason="Holiday"
        )
        from patients.models import Pause

        Pause.objects.filter(patient=patient).update(
            starts_on=today - timedelta(days=7), ends_on=today - timedelta(days=4)
        )
        for days_ago in (0, 1, 2, 3, 8, 9, 10, 11):  # 8 of the 10 days not paused
            session(version, days_ago)
        (short,) = checkin_selectors.adherence(patient=patient, version=version, today=today, windows=(14,))
        assert (short["reported"], short["planned"], short["percent"]) == (8, 10, 80)
        assert ready_ids(physio) == [patient.pk]
        assert "adherence 80% over 14 days" in progress_verdict_for(patient=patient)[1].evidence

    @pytest.mark.parametrize(("days", "listed"), [(6, True), (5, False)])
    def test_a_program_younger_than_the_window_is_judged_from_its_first_day(
        self, patient, physio, library, days, listed
    ):
        Clinic.objects.filter(pk=physio.clinic_id).update(progress_min_days=7, progress_min_sessions=5)
        physio.clinic.refresh_from_db()
        version = on_program(patient, physio, library, days_on=9)  # ten days of five a week: 50/7 planned
        for days_ago in range(days):
            session(version, days_ago)
        today = patient.clinic.local_today()
        (short,) = checkin_selectors.adherence(patient=patient, version=version, today=today, windows=(14,))
        assert short["planned"] == 7  # rounded, as the patient page shows it
        assert (ready_ids(physio) == [patient.pk]) is listed
        assert progress_verdict_for(patient=patient)[1].ready is listed

    def test_an_open_flag(self, ready, physio):
        patient = ready.program.patient
        flag, _ = services.flag_record(patient=patient, reason="rest", rule="r", explanation="e", values={})
        assert ready_ids(physio) == []
        assert progress_verdict_for(patient=patient)[1].unmet == "1 open flag"
        services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient")
        assert ready_ids(physio) == [patient.pk]

    def test_a_flare_up_now(self, ready, physio):
        patient = ready.program.patient
        flare_up, _ = program_services.flare_up_start(patient=patient)
        services.flag_resolve(flag=services.flare_up_flag(flare_up_id=flare_up.pk), by=physio, outcome="no_action")
        assert ready_ids(physio) == []
        assert progress_verdict_for(patient=patient)[1].unmet == "in a flare-up now"

    def test_the_criteria_are_the_clinics_settings(self, ready, physio):
        Clinic.objects.filter(pk=physio.clinic_id).update(progress_min_sessions=9)
        physio.clinic.refresh_from_db()
        assert ready_ids(physio) == []
        Clinic.objects.filter(pk=physio.clinic_id).update(progress_min_sessions=8, progress_min_adherence=81)
        physio.clinic.refresh_from_db()
        assert ready_ids(physio) == []
        Clinic.objects.filter(pk=physio.clinic_id).update(progress_min_adherence=80)
        physio.clinic.refresh_from_db()
        assert ready_ids(physio) == [ready.program.patient_id]

    def test_only_sessions_on_the_version_in_force_count(self, ready, physio):
        patient = ready.program.patient
        revision = program_services.program_revise(program=ready.program, created_by=physio)
        program_services.program_activate(version=revision, activated_by=physio)
        _version, verdict = progress_verdict_for(patient=patient)
        assert verdict.unmet.startswith("0 sessions on version 2 (6 needed); 0 days on it (14 needed)")

    def test_a_discharged_patient_is_not_listed(self, ready, physio):
        from patients.services import episode_discharge

        episode_discharge(patient=ready.program.patient, by=physio, reason="goals_met")
        assert ready_ids(physio) == []
        with pytest.raises(ValidationError, match="has no program in force to step up"):
            services.patient_prepare_step_up(patient=ready.program.patient, by=physio)

    def test_other_physiotherapists_patients_are_not_mine(self, ready, physio):
        other = PhysioFactory(clinic=physio.clinic)
        assert ready_ids(other) == []

    def test_one_query_whatever_the_caseload(self, ready, physio, library, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert len(ready_to_progress(physio=physio)) == 1
        for n in range(4):
            other = make_patient(physio=physio, last_name=f"Other{n}")
            version = on_program(other, physio, library)
            for days_ago in range(9):
                session(version, days_ago)
        with django_assert_num_queries(1):
            assert len(ready_to_progress(physio=physio)) == 5

    def test_dashboard_query_count_with_the_list_at_two_sizes(self, client, ready, physio, library):
        client.force_login(physio)
        client.get(reverse("flags:dashboard"))
        with count_queries() as few:
            client.get(reverse("flags:dashboard"))
        for n in range(5):
            other = make_patient(physio=physio, last_name=f"Other{n}")
            version = on_program(other, physio, library)
            for days_ago in range(9):
                session(version, days_ago)
        with count_queries() as many:
            response = client.get(reverse("flags:dashboard"))
        assert len(response.context["ready"]) == 6
        assert_same_query_count(few, many)


class TestStepUp:
    def test_prepared_within_the_progression_and_difficulty_rules(self, client, ready, physio):
        client.force_login(physio)
        response = client.post(reverse("flags:step_up", args=[ready.program.patient_id]))
        draft = ProgramVersion.objects.get(status=ProgramVersion.Status.DRAFT)
        assert response.url == reverse("programs:builder", args=[draft.pk])
        assert draft.prepared == ProgramVersion.Prepared.STEP_UP and draft.based_on_id == ready.pk
        # The next harder variant of each, one level up, at the same dose: no warning, no reason needed.
        assert [(i.exercise.key, i.exercise.difficulty, i.sets, i.reps) for i in draft.items.order_by("position")] == [
            ("dead-bug-ball", 3, 3, 8),
            ("banded-clamshell", 2, 2, 12),
        ]
        check = program_selectors.progression_for(draft)
        assert not check.needs_confirmation and check.new_volume == check.old_volume
        assert program_selectors.starting_warnings_for(draft) == ()
        # The reason is recorded with the draft, and kept when it is put in force.
        assert draft.change_note.startswith("Prepared step up: ready to progress (8 sessions on version 1; 20 days")
        assert "moves up to" in draft.change_note and "(difficulty 2 to 3), 3 × 8" in draft.change_note
        program_services.program_activate(version=draft, activated_by=physio)
        draft.refresh_from_db()
        assert draft.status == ProgramVersion.Status.ACTIVE and draft.change_note.startswith("Prepared step up")
        assert draft.progression_reason == ""

    def test_nothing_is_put_in_force(self, ready, physio):
        draft = services.patient_prepare_step_up(patient=ready.program.patient, by=physio)
        ready.refresh_from_db()
        assert ready.status == ProgramVersion.Status.ACTIVE and draft.status == ProgramVersion.Status.DRAFT
        assert program_selectors.active_version_for(ready.program.patient).pk == ready.pk

    def test_the_starting_ceiling_keeps_an_acute_patient_below_it(self, physio, library):
        acute = make_patient(physio=physio, onset_days=10)  # acute: ceiling 2
        version = on_program(acute, physio, library)
        for days_ago in range(9):
            session(version, days_ago, max_pain=2)
        draft = services.patient_prepare_step_up(patient=acute, by=physio)
        assert [i.exercise.key for i in draft.items.order_by("position")] == ["dead-bug", "banded-clamshell"]
        assert program_selectors.starting_warnings_for(draft) == ()

    def test_volume_up_to_the_clinics_percentage_when_no_exercise_can_move_up(self, physio, library):
        acute = make_patient(physio=physio, onset_days=10)  # ceiling 2: the dead bug's harder variant is 3
        version = on_program(acute, physio, library, keys=("dead-bug",))  # 3 x 8, five a week: 120 a week
        for days_ago in range(9):
            session(version, days_ago, max_pain=2)
        # One more repetition is 135, over the clinic's 10%: nothing can step up, and nothing is stored.
        with pytest.raises(ValidationError, match="Nothing in this program can step up within the progression rule"):
            services.patient_prepare_step_up(patient=acute, by=physio)
        assert not ProgramVersion.objects.filter(status=ProgramVersion.Status.DRAFT).exists()
        Clinic.objects.filter(pk=physio.clinic_id).update(progression_percent=25)
        acute.clinic.refresh_from_db()
        draft = services.patient_prepare_step_up(patient=acute, by=physio)
        (item,) = draft.items.all()
        assert (item.exercise.key, item.sets, item.reps) == ("dead-bug", 3, 10)  # 150 a week: exactly 25% more
        check = program_selectors.progression_for(draft)
        assert (check.old_volume.repetitions, check.new_volume.repetitions, check.needs_confirmation) == (
            120,
            150,
            False,
        )
        assert "Weekly volume: repetitions a week: 120 to 150, +25%." in draft.change_note
        assert "Dead bug: 3 × 8 to 3 × 10" in draft.change_note

    def test_refused_when_a_check_in_arrived_meanwhile(self, client, ready, physio):
        client.force_login(physio)
        page = client.get(reverse("flags:dashboard"))
        assert [v.program.patient_id for v, _ in page.context["ready"]] == [ready.program.patient_id]
        session(ready, 0, max_pain=3)  # over the threshold, not even evaluated yet
        before = ProgramVersion.objects.count()
        response = client.post(
            reverse("flags:step_up", args=[ready.program.patient_id]), {"next": reverse("flags:dashboard")}, follow=True
        )
        assert "no longer meets the criteria for a step up: pain over the threshold in 1 session" in (
            response.content.decode()
        )
        assert ProgramVersion.objects.count() == before

    def test_refused_when_a_revision_is_being_built(self, ready, physio):
        program_services.program_revise(program=ready.program, created_by=physio)
        with pytest.raises(ValidationError, match="already being built"):
            services.patient_prepare_step_up(patient=ready.program.patient, by=physio)
        assert ProgramVersion.objects.filter(status=ProgramVersion.Status.DRAFT).count() == 1

    def test_another_physiotherapists_patient_is_not_found(self, client, ready):
        other = PhysioFactory(clinic__name="Elsewhere")
        client.force_login(other)
        assert client.post(reverse("flags:step_up", args=[ready.program.patient_id])).status_code == 404
