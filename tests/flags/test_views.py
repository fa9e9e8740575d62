from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from flags import services
from flags.models import Flag, FlagEvent, FlagReason, FlagStatus
from patients import services as patient_services
from tests.factories import ClinicAdminFactory, ClinicFactory, PhysioFactory, make_patient
from tests.helpers import assert_same_query_count, count_queries, send_checkin

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def raise_flag(patient, reason=FlagReason.PAIN, *, urgent=False, opened_days_ago=0, checkin_id=None):
    flag, _ = services.flag_record(
        patient=patient,
        reason=reason,
        urgent=urgent,
        rule=f"Rule for {reason}",
        explanation=f"{reason} fired",
        values={"max_pain": 4},
        checkin_id=checkin_id,
        now=timezone.now() - timedelta(days=opened_days_ago),
    )
    return flag


@pytest.fixture
def admin(clinic):
    return ClinicAdminFactory(clinic=clinic, email="admin@northside.example")


class TestLifecycle:
    def test_open_acknowledge_resolve(self, patient, physio):
        flag = raise_flag(patient)
        services.flag_acknowledge(flag=flag, by=physio)
        services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient", note="Called; eased off bridges")
        flag.refresh_from_db()
        assert (flag.status, flag.acknowledged_by, flag.resolved_by, flag.outcome) == (
            FlagStatus.RESOLVED,
            physio,
            physio,
            "contacted_patient",
        )
        assert list(flag.events.values_list("kind", flat=True)) == ["raised", "acknowledged", "resolved"]

    def test_resolving_an_open_flag_acknowledges_it(self, patient, physio):
        flag = services.flag_resolve(flag=raise_flag(patient), by=physio, outcome="no_action")
        assert flag.acknowledged_at is not None and flag.acknowledged_by == physio

    @pytest.mark.parametrize(
        ("steps", "action", "message"),
        [
            (["ack"], "ack", "already acknowledged"),
            (["resolve"], "ack", "already resolved"),
            (["resolve"], "resolve", "already resolved"),
        ],
    )
    def test_invalid_transitions_change_nothing(self, patient, physio, steps, action, message):
        flag = raise_flag(patient)
        for step in steps:
            if step == "ack":
                services.flag_acknowledge(flag=flag, by=physio)
            else:
                services.flag_resolve(flag=flag, by=physio, outcome="no_action")
        before = list(flag.events.values_list("kind", flat=True))
        with pytest.raises(ValidationError, match=message):
            if action == "ack":
                services.flag_acknowledge(flag=flag, by=physio)
            else:
                services.flag_resolve(flag=flag, by=physio, outcome="referred")
        assert list(flag.events.values_list("kind", flat=True)) == before

    @pytest.mark.parametrize("outcome", ["", "patient_reported", "made_up"])
    def test_resolve_needs_a_staff_outcome(self, patient, physio, outcome):
        flag = raise_flag(patient)
        with pytest.raises(ValidationError) as exc:
            services.flag_resolve(flag=flag, by=physio, outcome=outcome)
        assert "outcome" in exc.value.message_dict
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN

    def test_database_allows_one_unresolved_flag_per_reason(self, patient):
        flag = raise_flag(patient)
        with pytest.raises(IntegrityError), transaction.atomic():
            Flag.objects.create(patient=patient, reason=flag.reason, ack_due_at=timezone.now())

    def test_database_requires_outcome_when_resolved(self, patient):
        flag = raise_flag(patient)
        with pytest.raises(IntegrityError), transaction.atomic():
            Flag.objects.filter(pk=flag.pk).update(status=FlagStatus.RESOLVED, resolved_at=timezone.now())

    def test_bulk_resolve_rest_flags(self, physio, admin):
        flags = [raise_flag(make_patient(physio=physio), FlagReason.REST) for _ in range(3)]
        services.flag_bulk_resolve(
            flag_ids=[f.pk for f in flags[:2]], by=admin, outcome="contacted_patient", note="Phoned both"
        )
        statuses = [Flag.objects.get(pk=f.pk).status for f in flags]
        assert statuses == [FlagStatus.RESOLVED, FlagStatus.RESOLVED, FlagStatus.OPEN]

    def test_bulk_resolve_refuses_other_reasons_entirely(self, physio, admin):
        rest = raise_flag(make_patient(physio=physio), FlagReason.REST)
        pain = raise_flag(make_patient(physio=physio), FlagReason.PAIN)
        with pytest.raises(ValidationError, match="Only rest flags"):
            services.flag_bulk_resolve(flag_ids=[rest.pk, pain.pk], by=admin, outcome="no_action")
        assert Flag.objects.filter(status=FlagStatus.RESOLVED).count() == 0

    def test_reassign_records_an_event_on_open_flags(self, patient, physio, admin):
        flag = raise_flag(patient)
        sam = PhysioFactory(clinic=physio.clinic, first_name="Sam", last_name="Patel")
        patient_services.patient_reassign(patient=patient, physiotherapist=sam, by=admin, note="Alex on leave")
        patient.refresh_from_db()
        assert patient.physiotherapist == sam
        event = flag.events.get(kind="reassigned")
        assert event.values == {"from": physio.get_full_name(), "to": "Sam Patel"} and event.note == "Alex on leave"
        with pytest.raises(ValidationError, match="already looks after"):
            patient_services.patient_reassign(patient=patient, physiotherapist=sam, by=admin)
        with pytest.raises(ValidationError):
            patient_services.patient_reassign(patient=patient, physiotherapist=PhysioFactory(), by=admin)


class TestQueuePage:
    def test_urgent_first_then_oldest(self, client, admin, physio):
        old = raise_flag(make_patient(physio=physio, last_name="Old"), opened_days_ago=3)
        new = raise_flag(make_patient(physio=physio, last_name="New"), opened_days_ago=1)
        urgent = raise_flag(make_patient(physio=physio, last_name="Urgent"), FlagReason.WARNING_SYMPTOMS, urgent=True)
        client.force_login(admin)
        response = client.get(reverse("flags:queue"), {"rows": "flag"})
        assert [f.pk for f in response.context["page"].object_list] == [urgent.pk, old.pk, new.pk]

    def test_counts_and_overdue(self, client, admin, physio):
        raise_flag(make_patient(physio=physio), opened_days_ago=2)  # due after 24 h: overdue
        raise_flag(make_patient(physio=physio), FlagReason.REST)
        seen = raise_flag(make_patient(physio=physio), opened_days_ago=3)  # overdue once, but acknowledged
        services.flag_acknowledge(flag=seen, by=physio)
        recent = raise_flag(make_patient(physio=physio), FlagReason.SHARP_PAIN)
        services.flag_resolve(flag=recent, by=physio, outcome="no_action")
        old = raise_flag(make_patient(physio=physio), FlagReason.SHARP_PAIN, opened_days_ago=20)
        services.flag_resolve(flag=old, by=physio, outcome="no_action")
        Flag.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=8))
        client.force_login(admin)
        response = client.get(reverse("flags:queue"))
        counts = response.context["counts"]
        assert counts["overdue"] == 1
        reasons = {value: n for value, _label, n in counts["reasons"]}
        assert reasons == {**dict.fromkeys(reasons, 0), "pain": 2, "rest": 1}
        statuses = {value: (label, n) for value, label, n in counts["statuses"]}
        assert statuses["open"][1] == 2 and statuses["acknowledged"][1] == 1
        assert statuses["resolved"] == ("Resolved in the last 7 days", 1)  # not the one resolved 8 days ago
        assert "overdue-row" in response.content.decode()

    def test_bad_date_range_is_explained_beside_the_field(self, client, admin, physio):
        raise_flag(make_patient(physio=physio))
        client.force_login(admin)
        response = client.get(reverse("flags:queue"), {"opened_from": "2026-03-05", "opened_to": "2026-03-01"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="form-control is-invalid" aria-invalid="true" aria-describedby="id_opened_to_error"' in html
        assert '<div id="id_opened_to_error" class="invalid-feedback d-block">' in html
        assert "The end of the range is before its start." in html
        # Nothing is listed (a filter ignored would list flags as if they matched), and the page says why.
        assert list(response.context["page"].object_list) == [] and response.context["patient_rows"] == []
        assert "Nothing is listed until the filters are corrected." in html
        assert "Nothing to work on" not in html and "patient-row-" not in html

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"reason": "rest"}, ["Rest"]),
            ({"status": "resolved"}, ["Done"]),
            ({"status": "all"}, ["Done", "Pain", "Rest"]),
            ({"q": "pai"}, ["Pain"]),
            ({"escalated": "yes"}, []),
            ({"escalated": "no"}, ["Pain", "Rest"]),
        ],
    )
    def test_filters(self, client, admin, physio, params, expected):
        raise_flag(make_patient(physio=physio, last_name="Pain"))
        raise_flag(make_patient(physio=physio, last_name="Rest"), FlagReason.REST)
        done = raise_flag(make_patient(physio=physio, last_name="Done"))
        services.flag_resolve(flag=done, by=physio, outcome="no_action")
        client.force_login(admin)
        response = client.get(reverse("flags:queue"), {**params, "rows": "flag"})
        assert sorted(f.patient.user.last_name for f in response.context["page"].object_list) == expected
        response = client.get(reverse("flags:queue"), params)  # one row per patient: the same patients
        assert sorted(row.patient.user.last_name for row in response.context["patient_rows"]) == expected

    def test_filter_by_physio_and_dates(self, client, admin, physio):
        sam = PhysioFactory(clinic=physio.clinic)
        raise_flag(make_patient(physio=physio, last_name="Mine"), opened_days_ago=5)
        raise_flag(make_patient(physio=sam, last_name="Sams"))
        client.force_login(admin)
        url = reverse("flags:queue")
        names = lambda r: [row.patient.user.last_name for row in r.context["patient_rows"]]  # noqa: E731
        assert names(client.get(url, {"physiotherapist": sam.pk})) == ["Sams"]
        today = timezone.localdate()
        assert names(client.get(url, {"opened_from": (today - timedelta(days=1)).isoformat()})) == ["Sams"]
        assert names(client.get(url, {"opened_to": (today - timedelta(days=2)).isoformat()})) == ["Mine"]

    @pytest.mark.parametrize(
        "params", [{"reason": "boredom"}, {"status": "lost"}, {"physiotherapist": "999999"}, {"opened_from": "soon"}]
    )
    def test_unknown_filter_value_explained(self, client, admin, params):
        client.force_login(admin)
        response = client.get(reverse("flags:queue"), params)
        assert response.status_code == 200
        assert response.context["form"].errors

    def test_empty_states(self, client, admin):
        client.force_login(admin)
        assert "every flag is resolved" in client.get(reverse("flags:queue")).content.decode()
        html = client.get(reverse("flags:queue"), {"reason": "rest"}).content.decode()
        assert "No flag matches these filters" in html

    def test_other_clinics_flags_not_listed(self, client, physio):
        raise_flag(make_patient(physio=physio))
        outsider = ClinicAdminFactory(clinic=ClinicFactory(name="Elsewhere"))
        client.force_login(outsider)
        assert list(client.get(reverse("flags:queue")).context["page"].object_list) == []

    @pytest.mark.parametrize("rows", ["", "flag"])
    def test_query_count_fixed_at_two_sizes(self, client, admin, physio, rows):
        for _ in range(3):
            raise_flag(make_patient(physio=physio))
        client.force_login(admin)
        client.get(reverse("flags:queue"), {"rows": rows})  # the first request of a session also saves it
        with count_queries() as small:
            client.get(reverse("flags:queue"), {"rows": rows})
        for i in range(30):
            patient = make_patient(physio=PhysioFactory(clinic=physio.clinic) if i % 5 == 0 else physio)
            flag = raise_flag(patient, FlagReason.REST if i % 2 else FlagReason.PAIN)
            if i % 3 == 0:
                services.flag_acknowledge(flag=flag, by=physio)
                raise_flag(patient, FlagReason.SHARP_PAIN, urgent=True)  # some patients with two flags
        with count_queries() as large:
            response = client.get(reverse("flags:queue"), {"rows": rows})
        assert len(response.context["page"].object_list) == 25
        assert_same_query_count(small, large)


class TestActionsOverHttp:
    def test_queue_row_says_when_new_evidence_came_in(self, client, admin, patient, active):
        flag = raise_flag(patient, opened_days_ago=1, checkin_id=send_checkin(active, days_ago=1).pk)
        client.force_login(admin)
        assert "New evidence" not in client.get(reverse("flags:queue")).content.decode()
        raise_flag(patient, checkin_id=send_checkin(active).pk)  # a second check-in over the threshold
        html = client.get(reverse("flags:queue")).content.decode()
        assert f'id="flag-{flag.pk}"' in html and "New evidence just now: see the flag." in html

    def test_acknowledge_from_the_queue_returns_the_row_and_counts(self, client, admin, patient):
        flag = raise_flag(patient)
        client.force_login(admin)
        response = client.post(reverse("flags:acknowledge", args=[flag.pk]), {"view": "row"}, **HTMX)
        html = response.content.decode()
        assert f'id="flag-{flag.pk}"' in html and "Acknowledged" in html
        assert 'id="flag-counts" class="flag-counts mb-3" hx-swap-oob="true"' in html
        flag.refresh_from_db()
        assert flag.status == FlagStatus.ACKNOWLEDGED

    def test_resolve_without_outcome_shows_error_changes_nothing(self, client, admin, patient):
        flag = raise_flag(patient)
        client.force_login(admin)
        response = client.post(reverse("flags:resolve", args=[flag.pk]), {"view": "row", "note": "x"}, **HTMX)
        assert "Choose what was done about this flag." in response.content.decode()
        response = client.post(reverse("flags:resolve", args=[flag.pk]), {"note": "x"})
        assert response.status_code == 200 and "Choose what was done about this flag." in response.content.decode()
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN

    def test_acknowledging_a_resolved_flag_is_refused(self, client, admin, patient, physio):
        flag = raise_flag(patient)
        services.flag_resolve(flag=flag, by=physio, outcome="no_action")
        client.force_login(admin)
        response = client.post(reverse("flags:acknowledge", args=[flag.pk]), follow=True)
        assert "already resolved" in response.content.decode()
        assert not flag.events.filter(kind="acknowledged", by=admin).exists()

    def test_other_clinic_gets_404_and_nothing_changes(self, client, patient):
        flag = raise_flag(patient)
        outsider = ClinicAdminFactory(clinic=ClinicFactory(name="Elsewhere"))
        client.force_login(outsider)
        for name in ("flags:acknowledge", "flags:resolve", "flags:detail"):
            method = client.get if name.endswith("detail") else client.post
            assert method(reverse(name, args=[flag.pk]), {"outcome": "no_action"}).status_code == 404
        response = client.post(reverse("flags:bulk_resolve"), {"flags": [flag.pk], "bulk-outcome": "no_action"})
        assert response.status_code == 200 and "That flag is not one you can resolve here." in response.content.decode()
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN and flag.events.count() == 1

    def test_bulk_resolve_from_the_queue(self, client, admin, physio):
        flags = [raise_flag(make_patient(physio=physio), FlagReason.REST) for _ in range(2)]
        client.force_login(admin)
        response = client.post(
            reverse("flags:bulk_resolve"),
            {"flags": [f.pk for f in flags], "bulk-outcome": "contacted_patient", "bulk-note": "Called"},
            follow=True,
        )
        assert "2 rest flags resolved" in response.content.decode()
        assert Flag.objects.filter(status=FlagStatus.RESOLVED, outcome="contacted_patient").count() == 2

    def test_bulk_resolve_without_selection_or_outcome(self, client, admin, physio):
        flag = raise_flag(make_patient(physio=physio), FlagReason.REST)
        client.force_login(admin)
        html = client.post(reverse("flags:bulk_resolve"), {"bulk-outcome": "no_action"}, follow=True)
        assert "Select at least one rest flag" in html.content.decode()
        html = client.post(reverse("flags:bulk_resolve"), {"flags": [flag.pk]}, follow=True)
        assert "Nothing was resolved" in html.content.decode()
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN

    def test_bulk_resolve_with_ids_that_are_not_ids_is_refused_whole_and_the_real_one_stays_ticked(
        self, client, admin, physio
    ):
        flag = raise_flag(make_patient(physio=physio), FlagReason.REST)
        client.force_login(admin)
        response = client.post(
            reverse("flags:bulk_resolve"),
            {"flags": [flag.pk, "\u00b2", "9" * 30, "-1"], "bulk-outcome": "no_action"},
            follow=True,
        )
        html = response.content.decode()
        assert response.status_code == 200 and "Nothing was resolved" in html
        assert html.split(f'id="select-{flag.pk}"')[1].split(">")[0].endswith(" checked")  # still ticked
        flag.refresh_from_db()
        assert flag.status == FlagStatus.OPEN

    def test_flag_detail_explains_and_marks_the_checkins_behind_it(self, client, physio, patient, active):
        send_checkin(active, days_ago=1)
        behind = send_checkin(active)
        flag = raise_flag(patient, checkin_id=behind.pk)
        client.force_login(physio)
        html = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
        assert "Rule for pain" in html and "pain fired" in html
        assert f'data-marked="{behind.pk}"' in html

    def test_resolved_flag_then_new_evidence_opens_a_new_flag_and_patient_lists_both(self, client, physio, patient):
        first = raise_flag(patient)
        services.flag_resolve(flag=first, by=physio, outcome="no_action")
        second = raise_flag(patient)
        assert second.pk != first.pk
        client.force_login(physio)
        html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert reverse("flags:detail", args=[first.pk]) in html
        assert reverse("flags:detail", args=[second.pk]) in html

    def test_reassign_over_http(self, client, admin, patient, physio):
        flag = raise_flag(patient)
        sam = PhysioFactory(clinic=physio.clinic)
        client.force_login(admin)
        client.post(reverse("flags:reassign", args=[flag.pk]), {"physiotherapist": sam.pk})
        patient.refresh_from_db()
        assert patient.physiotherapist == sam
        assert FlagEvent.objects.filter(flag=flag, kind="reassigned").exists()


class TestReassignment:
    """A new physiotherapist, from the flag page or from the patient's details, is one reassignment: the same
    event on each flag still being worked."""

    def test_from_the_flag_page(self, client, physio, patient):
        flag = raise_flag(patient)
        other = PhysioFactory(clinic=physio.clinic, first_name="Sam", last_name="Patel")
        client.force_login(physio)
        client.post(reverse("flags:reassign", args=[flag.pk]), {"physiotherapist": other.pk, "note": "Holiday cover"})
        event = flag.events.get(kind="reassigned")
        assert (event.values, event.by, event.note) == (
            {"from": "Alex Morgan", "to": "Sam Patel"},
            physio,
            "Holiday cover",
        )

    def test_from_the_patients_details(self, client, physio, patient):
        flag = raise_flag(patient)
        resolved = raise_flag(patient, FlagReason.REST)
        services.flag_resolve(flag=resolved, by=physio, outcome="no_action")
        other = PhysioFactory(clinic=physio.clinic, first_name="Sam", last_name="Patel")
        client.force_login(physio)
        data = {
            "first_name": "Maria",
            "last_name": "Lopez",
            "email": "maria@example.com",
            "date_of_birth": patient.date_of_birth.isoformat(),
            "onset_date": patient.onset_date.isoformat(),
            "condition": patient.condition,
            "physiotherapist": other.pk,
        }
        assert client.post(reverse("patients:edit", args=[patient.pk]), data).status_code == 302
        event = flag.events.get(kind="reassigned")
        assert (event.values, event.by) == ({"from": "Alex Morgan", "to": "Sam Patel"}, physio)
        assert not resolved.events.filter(kind="reassigned").exists()  # a resolved flag is history
        client.post(reverse("patients:edit", args=[patient.pk]), data)  # saved again: not a reassignment
        assert flag.events.filter(kind="reassigned").count() == 1


def test_links_to_where_flags_and_check_ins_used_to_be_lead_to_them(client, physio, patient):
    flag = raise_flag(patient)
    client.force_login(physio)
    response = client.get(f"/patients/flags/{flag.pk}/")  # the link in an alert sent before the move
    assert (response.status_code, response.url) == (301, reverse("flags:detail", args=[flag.pk]))
    assert client.get("/programs/dashboard/").url == reverse("flags:dashboard")
    assert client.get("/patients/flags/?status=open").url == reverse("flags:queue") + "?status=open"
    assert client.get(f"/programs/patient/{patient.pk}/reports/").url == reverse("checkins:patient", args=[patient.pk])
    for old, name in (("today", "today"), ("history", "history")):
        assert client.get(f"/programs/{old}/").url == reverse(f"checkins:{name}")


def test_a_check_in_form_left_open_across_the_move_is_sent_on_to_its_new_address(client, active):
    client.force_login(active.program.patient.user)
    response = client.post("/programs/check-in/", {"max_pain": "1"})
    assert (response.status_code, response["Location"]) == (308, reverse("checkins:create"))  # 308: sent again as is
    assert client.get("/programs/reports/5/").url == reverse("checkins:detail", args=[5])
    response = client.post("/programs/reports/5/correct/")
    assert (response.status_code, response["Location"]) == (308, reverse("checkins:correct", args=[5]))
