"""Easing off after a flag (docs/clinical-rules.md, rule 17): the flag page's prepared easier version, and the link
from a flag resolved with "program changed" to the version it led to, shown both ways."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from flags import services
from flags.models import Flag, FlagOutcome, FlagStatus
from programs import selectors as program_selectors
from programs import services as program_services
from programs.models import ProgramVersion
from rehab.models import Clinic
from tests.factories import PhysioFactory
from tests.helpers import evaluate, send_checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def pain_flag(active):
    (flag,) = evaluate(send_checkin(active, max_pain=3))
    assert flag.reason == "pain"
    return flag


class TestEaseOff:
    def test_the_flag_page_offers_an_easier_version(self, client, physio, pain_flag):
        client.force_login(physio)
        html = client.get(reverse("flags:detail", args=[pain_flag.pk])).content.decode()
        assert "Prepare an easier version" in html and "dose goes down by 25%" in html

    def test_prepared_with_easier_variants_or_the_dose_down_by_the_clinics_share(self, client, physio, pain_flag):
        client.force_login(physio)
        response = client.post(reverse("flags:ease_off", args=[pain_flag.pk]))
        draft = ProgramVersion.objects.get(status=ProgramVersion.Status.DRAFT)
        assert response.url == reverse("programs:builder", args=[draft.pk])
        assert draft.prepared == ProgramVersion.Prepared.EASE_OFF
        items = [(i.exercise.key, i.sets, i.reps, i.hold_seconds) for i in draft.items.order_by("position")]
        # The dead bug's easier variant (pelvic tilts, with a 5 s hold) would be more work by the progression rule's
        # count, and the clamshell has none: both stay, 25% fewer repetitions (8 to 6, 12 to 9).
        assert items == [("dead-bug", 3, 6, None), ("clamshell", 2, 9, None)]
        assert draft.change_note.startswith("Prepared easier version: after the flag “Pain over threshold” raised")
        assert not program_selectors.progression_for(draft).needs_confirmation

    def test_the_share_is_the_clinics_setting(self, physio, pain_flag):
        Clinic.objects.filter(pk=physio.clinic_id).update(ease_off_percent=50)
        pain_flag.patient.clinic.refresh_from_db()
        draft = services.flag_prepare_ease_off(flag=Flag.objects.get(pk=pain_flag.pk), by=physio)
        assert draft.items.get(exercise__key="clamshell").reps == 6

    def test_only_after_a_pain_sharp_pain_or_worsening_flag(self, physio, active):
        flag, _ = services.flag_record(
            patient=active.program.patient, reason="rest", rule="r", explanation="e", values={}
        )
        with pytest.raises(ValidationError, match="after a pain, sharp-pain or worsening flag"):
            services.flag_prepare_ease_off(flag=flag, by=physio)
        assert not ProgramVersion.objects.filter(status=ProgramVersion.Status.DRAFT).exists()

    def test_not_over_a_revision_being_built(self, client, physio, pain_flag, active):
        program_services.program_revise(program=active.program, created_by=physio)
        client.force_login(physio)
        response = client.post(reverse("flags:ease_off", args=[pain_flag.pk]), follow=True)
        assert "already being built" in response.content.decode()
        assert ProgramVersion.objects.filter(status=ProgramVersion.Status.DRAFT).count() == 1

    def test_a_clinic_admin_cannot_prepare_one(self, client, clinic_admin, pain_flag):
        client.force_login(clinic_admin)
        assert client.post(reverse("flags:ease_off", args=[pain_flag.pk])).status_code == 403


class TestProgramChangedLink:
    def eased(self, physio, flag):
        draft = services.flag_prepare_ease_off(flag=flag, by=physio)
        return program_services.program_activate(version=draft, activated_by=physio)

    def test_resolving_links_the_version_it_led_to_and_both_pages_show_it(self, client, physio, pain_flag):
        version = self.eased(physio, pain_flag)
        client.force_login(physio)
        response = client.post(
            reverse("flags:resolve", args=[pain_flag.pk]), {"outcome": "program_changed", "note": "Eased off."}
        )
        assert response.status_code == 302
        flag = Flag.objects.get(pk=pain_flag.pk)
        assert (flag.status, flag.outcome, flag.changed_to_id) == (FlagStatus.RESOLVED, "program_changed", version.pk)
        assert flag.events.get(kind="resolved").values == {"outcome": "program_changed", "changed_to": version.pk}
        # The flag page points to the version...
        html = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
        assert f'href="{reverse("programs:version", args=[version.pk])}">version 2 of' in html
        # ...and the program's history and the version's page point back to the flag.
        flag_link = reverse("flags:detail", args=[flag.pk])
        for page in (
            reverse("programs:patient", args=[flag.patient_id]),
            reverse("programs:version", args=[version.pk]),
        ):
            html = client.get(page).content.decode()
            assert f'Made after <a href="{flag_link}">the flag “Pain over threshold” of' in html, page

    def test_the_version_can_be_chosen_on_the_flag_page(self, client, physio, pain_flag, active):
        eased = self.eased(physio, pain_flag)
        plan = program_services.flare_plan_prepare(program=active.program, created_by=physio)
        program_services.flare_plan_keep(version=plan, by=physio)
        client.force_login(physio)
        form = client.get(reverse("flags:detail", args=[pain_flag.pk])).context["resolve_form"]
        assert list(form.fields["changed_to"].queryset) == [plan, eased]  # newest first, the old version left out
        client.post(
            reverse("flags:resolve", args=[pain_flag.pk]), {"outcome": "program_changed", "changed_to": eased.pk}
        )
        assert Flag.objects.get(pk=pain_flag.pk).changed_to == eased

    def test_program_changed_needs_a_new_version(self, client, physio, pain_flag):
        client.force_login(physio)
        response = client.post(reverse("flags:resolve", args=[pain_flag.pk]), {"outcome": "program_changed"})
        assert response.status_code == 200
        assert "No new version has been made since this flag was raised" in response.content.decode()
        assert Flag.objects.get(pk=pain_flag.pk).status == FlagStatus.OPEN

    def test_a_draft_or_another_patients_version_is_refused(self, physio, pain_flag, active):
        draft = services.flag_prepare_ease_off(flag=pain_flag, by=physio)
        with pytest.raises(ValidationError, match="is, or was, in force"):
            services.flag_resolve(flag=pain_flag, by=physio, outcome=FlagOutcome.PROGRAM_CHANGED, changed_to=draft)
        assert Flag.objects.get(pk=pain_flag.pk).status == FlagStatus.OPEN

    def test_other_outcomes_link_nothing(self, physio, pain_flag):
        version = self.eased(physio, pain_flag)
        services.flag_resolve(flag=pain_flag, by=physio, outcome="contacted_patient", changed_to=version)
        assert Flag.objects.get(pk=pain_flag.pk).changed_to is None

    def test_the_database_refuses_a_link_without_program_changed(self, physio, pain_flag):
        from django.db import IntegrityError, transaction

        version = self.eased(physio, pain_flag)
        with pytest.raises(IntegrityError), transaction.atomic():
            Flag.objects.filter(pk=pain_flag.pk).update(changed_to=version)

    def test_another_clinics_staff_do_not_see_the_link(self, client, physio, pain_flag):
        version = self.eased(physio, pain_flag)
        services.flag_resolve(flag=pain_flag, by=physio, outcome=FlagOutcome.PROGRAM_CHANGED)
        from flags.panels import version_flags

        class Request:
            user = PhysioFactory(clinic__name="Elsewhere")

        assert version_flags(request=Request, versions=[version]) == {}
