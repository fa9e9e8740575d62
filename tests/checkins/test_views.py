import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, CheckInCorrection
from programs import services as program_services
from tests.factories import make_patient
from tests.helpers import assert_same_query_count, count_queries, send_checkin
from tests.helpers import checkin_form_data as form_data


@pytest.mark.django_db
class TestCheckInPage:
    def test_says_when_today_is_reported_already(self, client, active):
        client.force_login(active.program.patient.user)
        url = reverse("checkins:create")
        assert 'id="reported-today"' not in client.get(url).content.decode()
        send_checkin(active)
        assert "You have already reported a session today." in client.get(url).content.decode()

    def test_report_saved_and_queued_on_commit(self, client, active, django_capture_on_commit_callbacks):
        client.force_login(active.program.patient.user)
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(reverse("checkins:create"), form_data(active))
        saved = CheckIn.objects.get()
        assert response.url == reverse("checkins:detail", args=[saved.pk])
        assert (saved.max_pain, saved.pain_now, saved.note) == (3, 1, "Felt stiff at first.")
        assert sorted(saved.results.values_list("outcome", flat=True)) == ["done", "done"]
        assert len(callbacks) == 1
        assert saved.evaluated_at is None

    def test_form_shows_every_exercise_and_pain_words(self, client, active):
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:create")).content.decode()
        for value, words in ((0, "None"), (1, "Aware of it"), (3, "Moderate"), (5, "Worst")):
            # The number large, its words under it, the whole label a tappable choice.
            assert f'<span class="pain-n">{value}</span>\n        <span class="pain-w">{words}</span>' in html
        for words in ("Dead bug", "Clamshell"):
            assert words in html
        assert "None of these" in html

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"max_pain": "6"}, "Select a valid choice"),
            ({"max_pain": "-1"}, "Select a valid choice"),
            ({"max_pain": None}, "Choose how strong your pain was at its worst"),
            ({"pain_now": None}, "Choose how strong your pain is now"),
            ({"session_date": "+1"}, "cannot be in the future"),
            ({"session_date": "-8"}, "up to 7 days back"),
            ({"session_date": "-11"}, "up to 7 days back"),
            ({"note": "x" * 2001}, "at most 2000 characters"),
            ({"symptoms": None}, "Tick any that apply"),
            ({"symptoms": ["none", "leg_weakness"]}, "ticked a symptom and"),
            ({"sharp_pain": None}, "Answer yes or no"),
        ],
    )
    def test_bad_input_nothing_saved(self, client, active, overrides, message):
        today = active.program.patient.clinic.local_today()
        date = overrides.get("session_date")
        if date and date[0] in "+-":
            overrides["session_date"] = (today + timedelta(days=int(date))).isoformat()
        client.force_login(active.program.patient.user)
        response = client.post(reverse("checkins:create"), form_data(active, **overrides))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not CheckIn.objects.exists()

    def test_every_problem_is_reported_in_one_round(self, client, active):
        client.force_login(active.program.patient.user)
        data = {k: v for k, v in form_data(active, max_pain=None).items() if not k.startswith("exercise_")}
        html = client.post(reverse("checkins:create"), data).content.decode()
        assert "Say how each exercise went" in html and "Choose how strong your pain was" in html

    def test_date_before_program_start(self, client, active):
        active.start_date = active.program.patient.clinic.local_today() - timedelta(days=2)
        active.save()
        client.force_login(active.program.patient.user)
        day = active.start_date - timedelta(days=1)
        response = client.post(reverse("checkins:create"), form_data(active, session_date=day.isoformat()))
        assert "Your program started on" in response.content.decode()
        assert not CheckIn.objects.exists()

    def test_no_exercise_answered(self, client, active):
        client.force_login(active.program.patient.user)
        data = {k: v for k, v in form_data(active).items() if not k.startswith("exercise_")}
        html = client.post(reverse("checkins:create"), data).content.decode()
        assert 'id="exercises-error"' in html and "Say how each exercise went" in html
        assert not CheckIn.objects.exists()

    def test_another_patients_program_refused(self, client, active, physio):
        other = make_patient(physio=physio)
        client.force_login(other.user)
        # The other patient has no program: nothing to report on.
        assert client.post(reverse("checkins:create"), form_data(active)).status_code == 302
        # With a program of their own, posting the first patient's version id is refused.
        from tests.helpers import add_exercises

        own = program_services.program_create(
            patient=other, created_by=physio, title="Own", start_date=other.clinic.local_today(), weekdays=[0, 2, 4]
        ).versions.get()
        add_exercises(own, {i.exercise.key: i.exercise for i in active.items.all()}, "dead-bug")
        program_services.program_activate(version=own, activated_by=physio)
        data = form_data(active) | {f"exercise_{own.items.get().pk}": "done"}  # own answers, someone else's program
        response = client.post(reverse("checkins:create"), data)
        assert response.status_code == 200
        assert "not your current program" in response.content.decode()
        assert not CheckIn.objects.exists()

    def test_post_reads_the_patient_program_and_exercises_once(self, client, active):
        client.force_login(active.program.patient.user)
        data = form_data(active)
        with count_queries() as captured:
            response = client.post(reverse("checkins:create"), data)
        assert response.status_code == 302
        reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]

        def reads_from(table):
            return [sql for sql in reads if sql.split(" WHERE ")[0].split(" FROM ")[1].startswith(f'"{table}"')]

        # The audit trail and the view share one read of the patient; the program's first day comes with the
        # version, and the report is checked against the exercises the page listed.
        assert len(reads_from("patients_patient")) == 1
        assert len(reads_from("programs_programversion")) == 1
        assert len(reads_from("programs_programexercise")) == 1
        assert not [sql for sql in reads if sql.startswith('SELECT MIN("programs_programversion"."start_date")')]
        # Whether a flare-up is on is asked with the version; the report is written without being looked for first,
        # in one savepoint of the request's transaction.
        assert not reads_from("programs_flareup") and not reads_from("checkins_checkin")
        sqls = [q["sql"] for q in captured.captured_queries]
        opened = next(i for i, sql in enumerate(sqls) if sql.startswith("SAVEPOINT"))  # the request's (BEGIN, live)
        audited = next(i for i, sql in enumerate(sqls) if sql.startswith('INSERT INTO "rehab_auditevent"'))
        assert [sql.split()[0] for sql in sqls[opened + 1 : audited] if sql.startswith(("SAVEPOINT", "RELEASE"))] == [
            "SAVEPOINT",
            "RELEASE",
        ]

    def test_missing_csrf_token_is_403(self, active):
        client = Client(enforce_csrf_checks=True)
        client.force_login(active.program.patient.user)
        assert client.post(reverse("checkins:create"), form_data(active)).status_code == 403
        assert not CheckIn.objects.exists()

    def test_double_submit_stores_one_report(self, client, active):
        client.force_login(active.program.patient.user)
        data = form_data(active)
        first = client.post(reverse("checkins:create"), data)
        second = client.post(reverse("checkins:create"), data)
        assert CheckIn.objects.count() == 1
        assert first.url == second.url

    def test_warning_symptom_shows_urgent_advice_first(self, client, active):
        client.force_login(active.program.patient.user)
        response = client.post(reverse("checkins:create"), form_data(active, symptoms=["saddle_numbness"]), follow=True)
        html = response.content.decode()
        assert CheckIn.objects.get().saddle_numbness
        main = html[html.index('<main id="main"') :]
        assert main.index("Get urgent medical help now") < main.index("numbness between the legs")
        assert "emergency" in main

    @pytest.mark.parametrize("phone", ["020 7946 0321", ""])
    def test_clinic_phone_beside_the_advice_when_the_clinic_gave_one(self, client, active, phone):
        clinic = active.program.patient.clinic
        clinic.phone = phone
        clinic.save()
        client.force_login(active.program.patient.user)
        over = client.post(reverse("checkins:create"), form_data(active, max_pain="5"), follow=True)
        urgent = client.post(reverse("checkins:create"), form_data(active, symptoms=["leg_weakness"]), follow=True)
        today = client.get(reverse("checkins:today"))
        link = '<a href="tel:02079460321" class="text-nowrap">020 7946 0321</a>'
        assert ("if you are worried, call the clinic on " + link in over.content.decode()) is bool(phone)
        assert ("You can reach the clinic on " + link in urgent.content.decode()) is bool(phone)
        assert (f"Call {clinic.name} on {link}" in today.content.decode()) is bool(phone)
        assert "tel:" not in over.content.decode() + urgent.content.decode() + today.content.decode() or phone

    def test_broker_down_report_saved_page_succeeds(
        self, client, active, private_broker, django_capture_on_commit_callbacks, caplog
    ):
        private_broker.stop()
        client.force_login(active.program.patient.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("checkins:create"), form_data(active), follow=True)
        assert response.status_code == 200
        assert "your report is saved" in response.content.decode()
        saved = CheckIn.objects.get()
        assert saved.evaluated_at is None  # the sweep will evaluate it
        assert "Connection refused" in caplog.text  # the queueing really failed


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_store_one_report(active):
    key = uuid.uuid4()
    results = []

    def submit():
        try:
            results.append(send_checkin(active, key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert CheckIn.objects.count() == 1
    assert len({r.pk for r in results}) == 1


@pytest.mark.django_db
class TestCorrection:
    def test_correction_keeps_original_and_staff_see_it(self, client, active, physio):
        saved = send_checkin(active, max_pain=4, pain_now=2)
        client.force_login(active.program.patient.user)
        data = form_data(active, max_pain="2", pain_now="1", note="I misread the scale")
        data.pop("session_date")
        response = client.post(reverse("checkins:correct", args=[saved.pk]), data)
        assert response.status_code == 302
        saved.refresh_from_db()
        assert (saved.max_pain, saved.corrected_at is not None, saved.evaluated_at) == (2, True, None)
        (correction,) = CheckInCorrection.objects.filter(checkin=saved)
        assert correction.previous["max_pain"] == 4 and correction.previous["pain_now"] == 2
        client.force_login(physio)
        page = client.get(reverse("checkins:patient", args=[saved.patient_id])).content.decode()
        assert "Before: highest pain 4, now 2, sharp pain no. " in page or "sharp pain no.</div>" in page
        client.force_login(active.program.patient.user)
        for note in ("Felt fine.", "Third time lucky"):  # each correction keeps the note it replaced
            client.post(reverse("checkins:correct", args=[saved.pk]), data | {"note": note})
        client.force_login(physio)
        page = client.get(reverse("checkins:patient", args=[saved.patient_id])).content.decode()
        assert "note “I misread the scale”." in page  # a full stop after a note without one
        assert "note “Felt fine.”" in page and "“Felt fine.”." not in page  # none after one that has it

    def test_no_correction_after_24_hours(self, client, active):
        saved = send_checkin(active)
        CheckIn.objects.filter(pk=saved.pk).update(submitted_at=timezone.now() - timedelta(hours=25))
        client.force_login(active.program.patient.user)
        response = client.get(reverse("checkins:correct", args=[saved.pk]))
        assert response.status_code == 302
        with pytest.raises(Exception, match="within 24 hours"):
            services.checkin_correct(checkin=saved, outcomes={}, max_pain=0, pain_now=0, sharp_pain=False)
        assert not CheckInCorrection.objects.exists()


@pytest.mark.django_db
class TestPatientPages:
    def test_today_shows_program_and_planned_day(self, client, active):
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert "Dead bug" in html and "Report a session" in html
        today = active.program.patient.clinic.local_today()
        expected = "Today is a session day" if today.weekday() in (0, 2, 4) else "Today is a rest day"
        assert expected in html

    def test_paused_program_says_until_when(self, client, active, physio):
        from patients.services import pause_create

        patient = active.program.patient
        today = patient.clinic.local_today()
        pause_create(
            patient=patient, created_by=physio, starts_on=today, ends_on=today + timedelta(days=5), reason="Holiday"
        )
        client.force_login(patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert "Your program is paused until" in html

    def test_history_chart_data_and_list(self, client, active):
        send_checkin(active, days_ago=2, max_pain=1)
        send_checkin(active, days_ago=0, max_pain=3)
        client.force_login(active.program.patient.user)
        response = client.get(reverse("checkins:history"))
        series = response.context["series"]
        assert [p["pain"] for p in series] == [1, 3]
        assert all(p["threshold"] == 1 for p in series)
        assert 'id="pain-series"' in response.content.decode()

    def test_history_query_count_is_fixed(self, client, active):
        client.force_login(active.program.patient.user)
        send_checkin(active, days_ago=1)
        client.get(reverse("checkins:history"))  # the first request of a session also saves it
        with count_queries() as few:
            client.get(reverse("checkins:history"))
        for days in range(2, 7):
            send_checkin(active, days_ago=days)
        with count_queries() as more:
            client.get(reverse("checkins:history"))
        assert_same_query_count(few, more)

    def test_staff_patient_page_shows_chart_adherence_and_reports(self, client, active, physio):
        send_checkin(active, days_ago=3)
        send_checkin(active, days_ago=1, max_pain=2)
        client.force_login(physio)
        with count_queries() as queries:
            response = client.get(reverse("patients:detail", args=[active.program.patient_id]))
        html = response.content.decode()
        assert "Adherence, last 14 days" in html and "Adherence, last 28 days" in html
        assert html.count("2 sessions reported") == 2  # over 14 and 28 days
        # The adherence figures count the days of the pain series: the reports are read twice (every report's
        # pain, the latest five), not a third time for their days.
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        assert sum('FROM "checkins_checkin"' in sql for sql in reads) == 2
        assert 'id="pain-series"' in html
        assert "Highest pain <strong>2/5</strong>" in html
