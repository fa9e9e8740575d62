"""Today as cards (the figure, the dose in large type, the steps folded behind "How to do it", a report button at the
top and at the end, the clinic's phone number) and the patient's own adherence in plain words."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from checkins import rules, selectors
from checkins.templatetags.checkin_tags import pain_words
from tests.helpers import assert_same_query_count, count_queries, send_checkin

MONDAY = date(2026, 3, 2)


class TestAdherenceWords:
    def test_keeping_to_the_plan(self):
        text = rules.adherence_words(reported=5, planned=6, percent=83, since=None)
        assert text == (
            "Over the last two weeks, you reported 5 of the 6 sessions in your plan: you are keeping to your plan. "
            "Well done."
        )

    def test_some_sessions_missed(self):
        text = rules.adherence_words(reported=3, planned=6, percent=50, since=None)
        assert text == (
            "Over the last two weeks, you reported 3 of the 6 sessions in your plan. Every session counts: try to fit "
            "in the ones your plan asks for."
        )

    def test_few_sessions_says_the_plan_can_change_and_never_blames(self):
        text = rules.adherence_words(reported=1, planned=6, percent=17, since=None)
        assert "tell your physiotherapist: the plan can change to suit you" in text
        assert "fail" not in text.lower() and "should" not in text.lower()

    def test_a_program_younger_than_the_window_counts_from_its_start(self):
        text = rules.adherence_words(reported=1, planned=1, percent=100, since=MONDAY)
        assert text.startswith("Since your program started on Monday 2 March, you reported 1 of the 1 session in")

    def test_nothing_planned_says_nothing(self):
        assert rules.adherence_words(reported=0, planned=0, percent=None, since=None) is None

    def test_thresholds_are_the_named_ones(self):
        just_well = rules.adherence_words(reported=4, planned=5, percent=rules.ADHERENCE_WELL, since=None)
        just_under = rules.adherence_words(reported=4, planned=5, percent=rules.ADHERENCE_WELL - 1, since=None)
        assert "Well done" in just_well and "Well done" not in just_under
        assert "Every session counts" in rules.adherence_words(
            reported=1, planned=2, percent=rules.ADHERENCE_SOME, since=None
        )
        assert "the plan can change" in rules.adherence_words(
            reported=1, planned=2, percent=rules.ADHERENCE_SOME - 1, since=None
        )


def test_pain_words_under_each_number():
    assert [pain_words(v) for v in (0, "3", 5)] == ["None", "Moderate", "Worst"]
    assert pain_words("x") == "" and pain_words(9) == ""


@pytest.mark.django_db
class TestTodayCards:
    def test_each_exercise_a_card_with_its_figure_large_dose_and_folded_steps(self, client, active):
        item = active.items.select_related("exercise").order_by("position").first()
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert html.count('class="card mb-3 exercise-card"') == 2
        card = html[html.index(f"1. {item.exercise.name}") :]
        card = card[: card.index("</li>")]
        assert "fig-stage" in card  # the drawing
        assert f'<p class="dose-big mb-0"><span aria-hidden="true">{item.dose.words}</span>' in card
        assert f'<span class="visually-hidden">{item.describe_dose()}</span>' in card  # in words for a screen reader
        assert '<details class="how-to">' in card and "<summary>How to do it</summary>" in card
        assert item.exercise.steps[0] in card
        assert card.index("fig-stage") < card.index("dose-big") < card.index("How to do it")

    def test_a_report_button_at_the_top_and_at_the_end(self, client, active):
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        top, end = html.index('id="report-top"'), html.index('id="report-end"')
        assert top < html.index("exercise-card") < end
        assert html.count(f'href="{reverse("checkins:create")}"') >= 3  # the menu's link too

    def test_no_report_button_at_the_end_before_the_program_starts(self, client, active):
        type(active).objects.filter(pk=active.pk).update(
            start_date=active.program.patient.clinic.local_today() + timedelta(days=3)
        )
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert 'id="report-end"' not in html and 'id="report-top"' not in html

    def test_the_clinic_phone_on_today_and_on_the_handout(self, client, active):
        clinic = active.program.patient.clinic
        clinic.phone = "020 7946 0321"
        clinic.save()
        client.force_login(active.program.patient.user)
        today = client.get(reverse("checkins:today")).content.decode()
        handout = client.get(reverse("programs:handout", args=[active.pk])).content.decode()
        link = '<a href="tel:02079460321" class="text-nowrap">020 7946 0321</a>'
        assert link in today
        assert "Questions? Call the clinic on " + link in handout

    def test_no_phone_no_sentence(self, client, active):
        client.force_login(active.program.patient.user)
        handout = client.get(reverse("programs:handout", args=[active.pk])).content.decode()
        assert "Questions? Call the clinic" not in handout


@pytest.mark.django_db
class TestOwnAdherence:
    def test_today_says_the_sessions_reported_against_those_planned(self, client, active):
        patient = active.program.patient
        send_checkin(active, days_ago=0)
        send_checkin(active, days_ago=2)
        (figures,) = selectors.adherence(
            patient=patient, version=active, today=patient.clinic.local_today(), windows=(rules.ADHERENCE_WINDOW_DAYS,)
        )
        client.force_login(patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert figures["reported"] == 2
        # The program has been in force ten days, fewer than the window's fourteen: counted from its start.
        start = active.start_date
        expected = rules.adherence_words(
            reported=2, planned=figures["planned"], percent=figures["percent"], since=start
        )
        assert f'<p class="mb-2" id="my-adherence">{expected}</p>' in html
        assert html.index('id="my-adherence"') > html.index('id="progress-h"')  # in the progress panel

    def test_a_program_older_than_the_window_says_the_last_two_weeks(self, client, active):
        type(active).objects.filter(pk=active.pk).update(start_date=active.start_date - timedelta(days=30))
        send_checkin(active, days_ago=1)
        client.force_login(active.program.patient.user)
        html = client.get(reverse("checkins:today")).content.decode()
        assert '<p class="mb-2" id="my-adherence">Over the last two weeks, you reported 1 of the ' in html

    def test_the_adherence_reads_as_many_queries_for_few_and_many_check_ins(self, client, active):
        patient = active.program.patient
        client.force_login(patient.user)
        send_checkin(active, days_ago=0)
        client.get(reverse("checkins:today"))  # the first visit also saves the session
        with count_queries() as few:
            client.get(reverse("checkins:today"))
        for days_ago in range(1, 7):
            send_checkin(active, days_ago=days_ago)
        with count_queries() as many:
            client.get(reverse("checkins:today"))
        assert_same_query_count(few, many, what="Today")
