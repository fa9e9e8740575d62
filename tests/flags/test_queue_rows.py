"""The admin's queue one row per patient (the default) and the actions on a row, which act on every flag it lists;
the counts that follow in-place actions on the queue and the dashboard; a failed bulk resolve keeps the selection."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from flags import services
from flags.models import Flag, FlagReason, FlagStatus
from tests.factories import ClinicAdminFactory, ClinicFactory, make_patient

from .test_views import HTMX, raise_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic):
    return ClinicAdminFactory(clinic=clinic)


def three_flags(patient):
    """One report that raised three flags: pain over the limit, pain getting worse, sharp pain."""
    return [
        raise_flag(patient, FlagReason.PAIN, opened_days_ago=0),
        raise_flag(patient, FlagReason.WORSENING, opened_days_ago=0),
        raise_flag(patient, FlagReason.SHARP_PAIN, opened_days_ago=0),
    ]


class TestOneRowPerPatient:
    def test_one_row_with_every_reason_worst_first(self, client, admin, physio):
        patient = make_patient(physio=physio, last_name="Three")
        pain, worse, sharp = three_flags(patient)
        client.force_login(admin)
        response = client.get(reverse("flags:queue"))
        (row,) = response.context["patient_rows"]
        assert row.patient.pk == patient.pk
        assert [f.pk for f in row.flags] == [sharp.pk, pain.pk, worse.pk]  # sharp pain first, then pain, worse
        html = response.content.decode()
        assert html.count(f'id="patient-row-{patient.pk}"') == 1
        assert "Resolve 3 flags: sharp or intense pain, pain over threshold, pain getting worse" in html
        assert "Acknowledge 3 flags: sharp or intense pain, pain over threshold, pain getting worse" in html

    def test_per_flag_toggle_lists_each_flag_and_keeps_the_filters(self, client, admin, physio):
        patient = make_patient(physio=physio)
        flags = three_flags(patient)
        client.force_login(admin)
        response = client.get(reverse("flags:queue"), {"rows": "flag", "reason": ""})
        assert sorted(f.pk for f in response.context["page"].object_list) == sorted(f.pk for f in flags)
        html = response.content.decode()
        assert 'name="rows" value="flag"' in html  # the filter form keeps the toggle
        assert 'href="?reason=">One row per patient</a>' in html
        assert "patient-row-" not in html

    def test_patients_worst_first(self, client, admin, physio):
        old = make_patient(physio=physio, last_name="Old")
        raise_flag(old, FlagReason.REST, opened_days_ago=0)
        Flag.objects.filter(patient=old).update(opened_at=timezone.now() - timedelta(hours=5))
        overdue = make_patient(physio=physio, last_name="Overdue")
        raise_flag(overdue, opened_days_ago=2)  # due within 24 hours: overdue
        services.flag_acknowledge(flag=raise_flag(old, FlagReason.PAIN, opened_days_ago=3), by=physio)
        urgent = make_patient(physio=physio, last_name="Urgent")
        raise_flag(urgent, FlagReason.WARNING_SYMPTOMS, urgent=True)
        client.force_login(admin)
        rows = client.get(reverse("flags:queue")).context["patient_rows"]
        assert [row.patient.user.last_name for row in rows] == ["Urgent", "Overdue", "Old"]

    def test_resolve_acts_on_the_flags_listed_and_says_so(self, client, admin, physio):
        patient = make_patient(physio=physio)
        flags = three_flags(patient)
        client.force_login(admin)
        response = client.post(
            reverse("flags:patient_resolve", args=[patient.pk]),
            {"flags": [f.pk for f in flags], "outcome": "contacted_patient", "note": "Called", "next": "/flags/"},
            follow=True,
        )
        assert "3 flags resolved: sharp or intense pain, pain over threshold, pain getting worse." in (
            response.content.decode()
        )
        assert set(Flag.objects.filter(patient=patient).values_list("status", "outcome")) == {
            (FlagStatus.RESOLVED, "contacted_patient")
        }

    def test_a_flag_raised_since_the_page_was_shown_is_not_resolved_unseen(self, client, admin, physio):
        patient = make_patient(physio=physio)
        shown = raise_flag(patient, FlagReason.PAIN)
        client.force_login(admin)
        services.flag_resolve(flag=shown, by=physio, outcome="no_action")  # someone else, meanwhile
        newer = raise_flag(patient, FlagReason.SHARP_PAIN)
        response = client.post(
            reverse("flags:patient_resolve", args=[patient.pk]),
            {"flags": [shown.pk], "outcome": "referred"},
            **HTMX,
        )
        html = response.content.decode()
        assert "changed since the page was shown" in html
        newer.refresh_from_db()
        shown.refresh_from_db()
        assert newer.status == FlagStatus.OPEN and shown.outcome == "no_action"
        assert f'id="flag-{newer.pk}"' in html  # the row now lists the new flag

    def test_acknowledge_in_place_updates_row_and_counts(self, client, admin, physio):
        patient = make_patient(physio=physio)
        flags = three_flags(patient)
        client.force_login(admin)
        response = client.post(
            reverse("flags:patient_acknowledge", args=[patient.pk]), {"flags": [f.pk for f in flags]}, **HTMX
        )
        html = response.content.decode()
        assert f'id="patient-row-{patient.pk}"' in html and "Acknowledge" not in html.split("flag-counts")[0]
        assert 'id="flag-counts" class="flag-counts mb-3" hx-swap-oob="true"' in html
        assert response.context["counts"]["statuses"][1][2] == 3  # three acknowledged
        assert set(Flag.objects.filter(patient=patient).values_list("status", flat=True)) == {"acknowledged"}

    def test_resolve_without_outcome_is_explained_in_the_row(self, client, admin, physio):
        patient = make_patient(physio=physio)
        flags = three_flags(patient)
        client.force_login(admin)
        response = client.post(
            reverse("flags:patient_resolve", args=[patient.pk]), {"flags": [f.pk for f in flags]}, **HTMX
        )
        html = response.content.decode()
        assert "Choose what was done about this flag." in html and "<details" in html and " open>" in html
        assert not Flag.objects.filter(patient=patient, status=FlagStatus.RESOLVED).exists()

    def test_another_clinics_patient_or_flags_are_refused(self, client, physio):
        patient = make_patient(physio=physio)
        flags = three_flags(patient)
        outsider = ClinicAdminFactory(clinic=ClinicFactory(name="Elsewhere"))
        client.force_login(outsider)
        for name in ("flags:patient_acknowledge", "flags:patient_resolve"):
            url = reverse(name, args=[patient.pk])
            assert client.post(url, {"flags": [f.pk for f in flags], "outcome": "no_action"}).status_code == 404
        # This clinic's admin naming another patient's flags in a row: refused, nothing changes.
        client.force_login(ClinicAdminFactory(clinic=physio.clinic))
        other = make_patient(physio=physio)
        response = client.post(
            reverse("flags:patient_resolve", args=[other.pk]),
            {"flags": [f.pk for f in flags], "outcome": "no_action"},
            follow=True,
        )
        assert "changed since the page was shown" in response.content.decode()
        assert not Flag.objects.filter(status=FlagStatus.RESOLVED).exists()

    def test_a_physiotherapist_cannot_use_the_admins_row_actions(self, client, physio):
        patient = make_patient(physio=physio)
        (flag,) = [raise_flag(patient)]
        client.force_login(physio)
        assert (
            client.post(reverse("flags:patient_acknowledge", args=[patient.pk]), {"flags": [flag.pk]}).status_code
            == 403
        )


class TestCountsFollowInPlaceActions:
    def test_dashboard_counts_swapped_after_an_inline_resolve(self, client, physio):
        patient = make_patient(physio=physio)
        pain, _worse, _sharp = three_flags(patient)
        client.force_login(physio)
        html = client.get(reverse("flags:dashboard")).content.decode()
        assert '<span class="text-muted small" id="own-flag-count">(3)</span>' in html
        assert f'<span id="open-flags-{patient.pk}"> <span class="badge text-bg-danger">3 open flags</span>' in html
        response = client.post(
            reverse("flags:resolve", args=[pain.pk]), {"view": "dash", "outcome": "no_action"}, **HTMX
        )
        html = response.content.decode()
        assert '<span class="text-muted small" id="own-flag-count" hx-swap-oob="true">(2)</span>' in html
        assert (
            f'<span id="open-flags-{patient.pk}" hx-swap-oob="true"> <span class="badge text-bg-danger">2 open' in html
        )

    def test_dashboard_counts_after_an_inline_acknowledge_are_unchanged_but_sent(self, client, physio):
        patient = make_patient(physio=physio)
        flag = raise_flag(patient)
        client.force_login(physio)
        html = client.post(reverse("flags:acknowledge", args=[flag.pk]), {"view": "dash"}, **HTMX).content.decode()
        assert 'id="own-flag-count" hx-swap-oob="true">(1)</span>' in html  # acknowledged is still open work


class TestFailedBulkResolveKeepsTheSelection:
    def test_boxes_stay_ticked_and_filters_stay(self, client, admin, physio):
        rests = [raise_flag(make_patient(physio=physio), FlagReason.REST) for _ in range(3)]
        client.force_login(admin)
        response = client.post(
            reverse("flags:bulk_resolve"),
            {"flags": [rests[0].pk, rests[2].pk], "bulk-note": "Tried", "next": "/flags/?rows=flag&reason=rest"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Choose the outcome for the selected flags." in html  # beside the field
        for flag, ticked in ((rests[0], True), (rests[1], False), (rests[2], True)):
            box = html.split(f'id="select-{flag.pk}"')[1].split(">")[0]
            assert (" checked" in box) is ticked
        assert response.context["per_flag"] and response.context["form"].cleaned_data["reason"] == "rest"
        assert 'value="Tried"' in html
        assert not Flag.objects.filter(status=FlagStatus.RESOLVED).exists()

    def test_boxes_stay_ticked_in_the_patient_rows(self, client, admin, physio):
        rest = raise_flag(make_patient(physio=physio), FlagReason.REST)
        client.force_login(admin)
        html = client.post(reverse("flags:bulk_resolve"), {"flags": [rest.pk], "next": "/flags/"}).content.decode()
        assert f'id="select-{rest.pk}" aria-label="Select the rest flag of' in html
        assert html.split(f'id="select-{rest.pk}"')[1].split(">")[0].endswith(" checked")


def test_overdue_means_one_thing_for_the_rows_the_tiles_and_the_escalation(admin, physio):
    """A flag nobody acknowledged by its deadline: the same flags marked in the rows (Flag.is_overdue), counted on
    the tiles and ranked first in the queue (flags.models.overdue_at), and escalated."""
    from flags.models import overdue_at
    from flags.selectors import flag_counts, queue_patients

    now = timezone.now()
    patient = make_patient(physio=physio)
    late = Flag.objects.create(patient=patient, reason=FlagReason.PAIN, ack_due_at=now - timedelta(minutes=1))
    on_time = Flag.objects.create(patient=patient, reason=FlagReason.REST, ack_due_at=now + timedelta(minutes=1))
    at_deadline = Flag.objects.create(patient=patient, reason=FlagReason.SHARP_PAIN, ack_due_at=now)
    acknowledged = Flag.objects.create(
        patient=patient,
        reason=FlagReason.WORSENING,
        ack_due_at=now - timedelta(hours=1),
        status=FlagStatus.ACKNOWLEDGED,
        acknowledged_at=now - timedelta(hours=2),
    )
    other = make_patient(physio=physio, first_name="Ola", email="ola@example.com")
    resolved = raise_flag(other, FlagReason.PAIN, opened_days_ago=3)
    Flag.objects.filter(pk=resolved.pk).update(
        status=FlagStatus.RESOLVED, resolved_at=now, outcome="no_action", ack_due_at=now - timedelta(days=2)
    )
    flags = list(Flag.objects.all())
    marked = {flag.pk for flag in flags if flag.is_overdue(now)}
    assert marked == {late.pk} and {on_time.pk, at_deadline.pk, acknowledged.pk}.isdisjoint(marked)
    assert set(Flag.objects.filter(overdue_at(now)).values_list("pk", flat=True)) == marked
    assert flag_counts(user=admin, now=now)["overdue"] == 1
    assert queue_patients(user=admin, now=now).first()["any_overdue"] == 1
    assert services.flag_escalate_overdue(now=now) == 1
    assert list(Flag.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True)) == [late.pk]
