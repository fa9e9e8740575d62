"""The patient's Today page: their progress (sessions this week against the plan, how their pain during sessions has
moved, in plain words) and the flare-up button, which works without JavaScript."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from checkins import rules
from checkins.models import CheckIn
from flags.models import Flag
from programs import services as program_services
from programs.models import FlareUp
from tests.helpers import send_checkin

WEDNESDAY = date(2026, 3, 4)


class TestWeek:
    def test_sessions_from_monday_to_today(self):
        days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 5)]
        assert rules.week_start(WEDNESDAY) == date(2026, 3, 2)
        assert rules.sessions_this_week(session_days=days, today=WEDNESDAY) == 2  # Sunday is last week's


class TestPainTrend:
    def pains(self, earlier, later):
        """Highest pains in the two weeks before the last two, then in the last two (oldest first)."""
        return [(WEDNESDAY - timedelta(days=27 - i), p) for i, p in enumerate(earlier)] + [
            (WEDNESDAY - timedelta(days=13 - i), p) for i, p in enumerate(later)
        ]

    def test_easing(self):
        text = rules.pain_trend(pains=self.pains([3, 3, 2], [2, 1, 1]), today=WEDNESDAY)
        assert text == (
            "Your pain during sessions has been easing: at its highest it averaged 2.7 out of 5 in the two weeks "
            "before, and 1.3 in the last two weeks."
        )

    def test_about_the_same_within_half_a_point(self):
        text = rules.pain_trend(pains=self.pains([2, 2, 1], [2, 1, 2]), today=WEDNESDAY)
        assert text.startswith("Your pain during sessions has stayed about the same") and "1.7 out of 5" in text

    def test_higher_lately_says_go_gently_never_push_on(self):
        text = rules.pain_trend(pains=self.pains([1, 1, 1], [2, 2, 1]), today=WEDNESDAY)
        assert text.startswith("Your pain during sessions has been higher in the last two weeks")
        assert "Take your sessions gently, stay within your limit" in text and "tell your physiotherapist" in text
        assert "push" not in text.lower()

    def test_too_few_sessions_or_only_one_half(self):
        assert rules.pain_trend(pains=[], today=WEDNESDAY) == "You have not reported a session in the last four weeks."
        assert rules.pain_trend(pains=self.pains([], [1, 2, 3]), today=WEDNESDAY).startswith("After a few more")
        assert rules.pain_trend(pains=self.pains([], [1, 2, 2, 2]), today=WEDNESDAY) == (
            "The highest pain of your sessions has averaged 1.8 out of 5 lately."
        )

    def test_only_the_last_four_weeks(self):
        old = [(WEDNESDAY - timedelta(days=28), 5)] * 4
        assert rules.pain_trend(pains=old, today=WEDNESDAY) == "You have not reported a session in the last four weeks."


@pytest.mark.django_db
class TestTodayPage:
    def test_progress_this_week_and_the_pain_trend(self, client, active):
        patient = active.program.patient
        send_checkin(active, days_ago=0, max_pain=1)
        client.force_login(patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert "This week: <strong>1 of the 3 sessions</strong> in your plan done." in html
        assert "After a few more sessions we can tell you how your pain during sessions is moving." in html
        assert "no need to push through pain" in html

    def test_the_progress_reads_the_check_ins_once_and_the_pauses(self, active, django_assert_num_queries):
        from checkins.selectors import own_progress
        from programs.selectors import active_version_for

        patient = active.program.patient
        for days_ago in range(5):
            send_checkin(active, days_ago=days_ago)
        version = active_version_for(patient)  # as Today has it: with its program's first day
        old = send_checkin(active, days_ago=6, max_pain=4)
        old.session_date -= timedelta(days=14)  # 20 days ago: read for the pain trend, outside the adherence window
        old.save(update_fields=["session_date"])
        with django_assert_num_queries(2):
            progress = own_progress(patient=patient, version=version, today=patient.clinic.local_today())
        assert progress["reported_today"] and progress["adherence_figures"]["reported"] == 5

    def test_today_reads_the_check_ins_once(self, client, active):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        send_checkin(active, days_ago=1)
        client.force_login(active.program.patient.user)
        client.get(reverse("checkins:today"))  # the first visit also saves the session
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("checkins:today")).content.decode()
        reads = [q["sql"] for q in queries.captured_queries if 'FROM "checkins_checkin"' in q["sql"]]
        assert len(reads) == 1, reads
        assert "you reported 1 of the" in html and 'id="report-top"' in html

    def test_the_flare_up_button_is_a_plain_form(self, client, active):
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert f'<form method="post" action="{reverse("checkins:flare_up_start")}"' in html
        assert "I'm having a flare-up</button>" in html

    def test_with_a_plan_the_patient_sees_it_with_the_advice(self, client, active, physio):
        draft = program_services.flare_plan_prepare(program=active.program, created_by=physio)
        plan = program_services.flare_plan_keep(version=draft, by=physio)
        patient = active.program.patient
        client.force_login(patient.user)
        response = client.post(reverse("checkins:flare_up_start"), follow=True)
        html = response.content.decode()
        assert response.context["version"].pk == plan.pk
        assert "You are on your flare-up plan until" in html and "Your physiotherapist has been told." in html
        assert "Moving gently helps" in html and "Get urgent medical help now" in html
        assert "I feel ready for my usual program" in html
        assert f'action="{reverse("checkins:flare_up_start")}"' not in html  # no second button while it lasts
        # A second tap (a form sent twice) changes nothing.
        again = client.post(reverse("checkins:flare_up_start"), follow=True)
        assert "Your flare-up is already noted" in again.content.decode()
        assert FlareUp.objects.count() == 1

    def test_with_no_plan_the_clinic_is_told_and_its_phone_offered(self, client, active, clinic):
        clinic.phone = "020 7946 0321"
        clinic.save(update_fields=["phone"])
        patient = active.program.patient
        client.force_login(patient.user)
        response = client.post(reverse("checkins:flare_up_start"), follow=True)
        html = response.content.decode()
        assert "Your physiotherapist has been told about your flare-up." in html
        assert "No flare-up plan has been prepared for you yet" in html
        assert '<a href="tel:02079460321" class="text-nowrap">020 7946 0321</a>' in html
        assert response.context["version"].pk == active.pk
        flare_up = FlareUp.objects.get()
        from flags.services import flare_up_flag

        flare_up_flag(flare_up_id=flare_up.pk)
        assert Flag.objects.get().reason == "flare_up"

    def test_with_no_program_a_clear_message_and_nothing_stored(self, client, patient):
        client.force_login(patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert "I'm having a flare-up" not in html
        response = client.post(reverse("checkins:flare_up_start"), follow=True)
        assert "You have no exercise program in force yet" in response.content.decode()
        assert FlareUp.objects.count() == 0 and CheckIn.objects.count() == 0

    def test_the_printable_version_of_the_plan_while_it_lasts(self, client, active, physio):
        draft = program_services.flare_plan_prepare(program=active.program, created_by=physio)
        plan = program_services.flare_plan_keep(version=draft, by=physio)
        patient = active.program.patient
        client.force_login(patient.user)
        assert client.get(reverse("programs:handout", args=[plan.pk])).status_code == 404
        program_services.flare_up_start(patient=patient)
        assert client.get(reverse("programs:handout", args=[plan.pk])).status_code == 200
        assert client.get(reverse("programs:handout", args=[active.pk])).status_code == 404
