"""rehab.prepared: a query's SQL written once, sent again with new values, the same rows as the queryset gives."""

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient, ThresholdChange
from rehab import prepared as prepared_module
from rehab.models import Clinic
from rehab.prepared import PreparedQuery, keep_as_prefetched, prepared
from tests.factories import ClinicAdminFactory, PhysioFactory, make_patient

pytestmark = pytest.mark.django_db


def counted(build, shape=()):
    """A PreparedQuery of `build` (kept out of the app's registry) that counts how often the query is built."""
    calls = []

    def counting(**kwargs):
        calls.append(kwargs)
        return build(**kwargs)

    counting.__qualname__ = build.__qualname__
    query = PreparedQuery(counting, shape)
    prepared_module.REGISTRY.remove(query)
    return query, calls


def patients_of(*, clinic_id: int, onset_before: date):
    return (
        Patient.objects.filter(clinic_id=clinic_id, onset_date__lt=onset_before)
        .select_related("user", "physiotherapist")
        .annotate(changes=Count("threshold_changes"))
        .order_by("pk")
    )


@pytest.fixture
def two_clinics():
    first, second = PhysioFactory(), PhysioFactory()
    return {
        "first": [make_patient(physio=first, onset_days=days) for days in (10, 40, 90)],
        "second": [make_patient(physio=second, onset_days=days) for days in (5, 60)],
    }


def test_later_calls_send_the_sql_written_the_first_time_and_give_the_querysets_rows(two_clinics, settings):
    settings.PREPARED_QUERIES_CHECK = False  # this test compares with the queryset itself
    query, calls = counted(patients_of)
    today = timezone.localdate()
    for clinic_patients, back in ((two_clinics["first"], 30), (two_clinics["second"], 1), (two_clinics["first"], 95)):
        values = {"clinic_id": clinic_patients[0].clinic_id, "onset_before": today - timedelta(days=back)}
        rows = query(**values)
        expected = list(patients_of(**values))
        assert [p.pk for p in rows] == [p.pk for p in expected]
        assert [(p.user.last_name, p.physiotherapist.pk, p.changes) for p in rows] == [
            (p.user.last_name, p.physiotherapist.pk, p.changes) for p in expected
        ]
    assert len(calls) == 2  # the two sentinel builds of the first call, and no build since
    assert query.compiled(**values) is not None


def test_rows_as_dicts_tuples_and_flat_values_and_prefetched_relations(two_clinics):
    clinic_id = two_clinics["first"][0].clinic_id

    @prepared
    def as_dicts(*, clinic_id: int):
        return Patient.objects.filter(clinic_id=clinic_id).order_by("pk").values("pk", last=F("user__last_name"))

    @prepared
    def as_flat(*, clinic_id: int):
        return Patient.objects.filter(clinic_id=clinic_id).order_by("pk").values_list("pk", flat=True)

    @prepared
    def with_changes(*, clinic_id: int):
        return Patient.objects.filter(clinic_id=clinic_id).order_by("pk").prefetch_related("threshold_changes")

    try:
        ids = [p.pk for p in two_clinics["first"]]
        assert [row["pk"] for row in as_dicts(clinic_id=clinic_id)] == ids
        assert as_flat(clinic_id=clinic_id) == ids
        with CaptureQueriesContext(connection) as queries:
            patients = with_changes(clinic_id=clinic_id)
            assert [len(p.threshold_changes.all()) for p in patients] == [
                ThresholdChange.objects.filter(patient=p).count() for p in patients
            ]
        assert len(queries) - len(patients) == 2  # the query, then one prefetch (the check compiles, sends nothing)
    finally:
        for query in (as_dicts, as_flat, with_changes):
            prepared_module.REGISTRY.remove(query)


def test_a_value_worked_out_from_an_argument_is_not_prepared_and_the_rows_stay_right(two_clinics, caplog):
    def onset_within(*, clinic_id: int, today: date):
        return Patient.objects.filter(clinic_id=clinic_id, onset_date__gte=today - timedelta(days=30)).order_by("pk")

    query, calls = counted(onset_within)
    clinic_id, today = two_clinics["first"][0].clinic_id, timezone.localdate()
    with caplog.at_level(logging.WARNING, logger="rehab.prepared"):
        rows = query(clinic_id=clinic_id, today=today)
    assert [p.pk for p in rows] == [two_clinics["first"][0].pk]
    assert query.compiled(clinic_id=clinic_id, today=today) is None
    assert "worked out from its arguments" in caplog.text
    query(clinic_id=clinic_id, today=today)
    assert len(calls) == 2 + 1 + 1  # not prepared: built on every call


def test_two_arguments_compared_in_python_are_not_taken_for_one_of_them(two_clinics):
    def onset_after_later(*, clinic_id: int, first: date, second: date):
        return Patient.objects.filter(clinic_id=clinic_id, onset_date__gte=max(first, second))

    query, _calls = counted(onset_after_later)
    today = timezone.localdate()
    values = {"clinic_id": two_clinics["first"][0].clinic_id, "first": today, "second": today - timedelta(days=100)}
    assert len(query(**values)) == 0
    assert query.compiled(**values) is None
    assert "worked out" in next(iter(query.not_prepared.values()))


def test_an_argument_that_changes_the_sql_is_prepared_once_per_value_when_named_in_shape(two_clinics):
    def by_onset(*, clinic_id: int, newest_first: bool):
        return Patient.objects.filter(clinic_id=clinic_id).order_by("-onset_date" if newest_first else "onset_date")

    clinic_id = two_clinics["first"][0].clinic_id
    unnamed, _calls = counted(lambda *, clinic_id, order: by_onset(clinic_id=clinic_id, newest_first=order == "new"))
    assert [p.pk for p in unnamed(clinic_id=clinic_id, order="new")] == [p.pk for p in two_clinics["first"]]
    assert [p.pk for p in unnamed(clinic_id=clinic_id, order="old")] == [p.pk for p in two_clinics["first"]][::-1]
    assert unnamed.compiled(clinic_id=clinic_id, order="new") is None  # its argument reaches no parameter

    def by_position(*, clinic_id: int, position: int):
        return Patient.objects.filter(clinic_id=clinic_id).order_by("onset_date")[position : position + 1]

    sliced, _calls = counted(by_position)
    assert len(sliced(clinic_id=clinic_id, position=1)) == 1
    assert "changes with its arguments" in next(iter(sliced.not_prepared.values()))  # LIMIT and OFFSET are in the SQL

    query, _calls = counted(by_onset, shape=("newest_first",))
    newest = [p.pk for p in query(clinic_id=clinic_id, newest_first=True)]
    oldest = [p.pk for p in query(clinic_id=clinic_id, newest_first=False)]
    assert newest == [p.pk for p in two_clinics["first"]] == oldest[::-1]
    assert query.compiled(clinic_id=clinic_id, newest_first=True) is not None
    assert query.compiled(clinic_id=clinic_id, newest_first=False) is not None


def test_tuples_of_values_and_time_zones(two_clinics):
    def changed_on(*, clinic_id: int, days: tuple[date, ...], zone: ZoneInfo):
        return (
            ThresholdChange.objects.filter(patient__clinic_id=clinic_id)
            .annotate(day=TruncDate("changed_at", tzinfo=zone))
            .filter(Q(day=days[0]) | Q(day=days[1]))
            .order_by("pk")
        )

    query, _calls = counted(changed_on, shape=("zone",))
    patient = two_clinics["first"][0]
    change = ThresholdChange.objects.filter(patient=patient).latest("changed_at")
    for zone in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
        day = change.changed_at.astimezone(zone).date()
        values = {"clinic_id": patient.clinic_id, "zone": zone}
        assert change.pk in [c.pk for c in query(**values, days=(day - timedelta(days=3), day))]
        assert change.pk not in [c.pk for c in query(**values, days=(day + timedelta(days=1), day - timedelta(1)))]
    assert query.compiled(clinic_id=patient.clinic_id, zone=zone, days=(day, day)) is not None
    assert query.compiled(clinic_id=patient.clinic_id, zone=zone, days=(day,)) is None  # another length: not asked


def test_the_check_fails_when_the_build_reads_a_value_from_elsewhere(two_clinics, settings):
    clinic_id = two_clinics["first"][0].clinic_id
    reading = {"onset_before": timezone.localdate()}

    def from_elsewhere(*, clinic_id: int):
        return Patient.objects.filter(clinic_id=clinic_id, onset_date__lt=reading["onset_before"])

    query, _calls = counted(from_elsewhere)
    settings.PREPARED_QUERIES_CHECK = True
    assert len(query(clinic_id=clinic_id)) == 3
    reading["onset_before"] -= timedelta(days=50)
    with pytest.raises(AssertionError, match="differs from the query built afresh"):
        query(clinic_id=clinic_id)


@pytest.mark.parametrize("value", [True, 1.5, [1, 2], Clinic(pk=1), ZoneInfo("Europe/London")])
def test_only_plain_values_are_taken(value):
    query, _calls = counted(lambda *, clinic_id: Patient.objects.filter(clinic_id=clinic_id))
    with pytest.raises(TypeError, match="takes ints, strings|goes in a prepared query's shape"):
        query(clinic_id=value)


@pytest.mark.parametrize("value", [(), 2**40, (1, None)])
def test_values_django_writes_its_own_way_are_built_as_usual(two_clinics, value):
    query, calls = counted(lambda *, ids: Patient.objects.filter(pk__in=ids if isinstance(ids, tuple) else [ids]))
    assert query(ids=value) == list(Patient.objects.filter(pk__in=value if isinstance(value, tuple) else [value]))
    assert len(calls) == 1 and not query._compiled


def test_none_gets_sql_of_its_own_whether_the_build_leaves_the_filter_out_or_django_writes_is_null(two_clinics):
    def of_physio(*, clinic_id: int, physio_id: int | None, since: date | None):
        patients = Patient.objects.filter(clinic_id=clinic_id, physiotherapist_id=physio_id).order_by("pk")
        return patients if since is None else patients.filter(onset_date__gte=since)

    query, calls = counted(of_physio)
    first = two_clinics["first"]
    clinic_id, physio_id, today = first[0].clinic_id, first[0].physiotherapist_id, timezone.localdate()
    assert [p.pk for p in query(clinic_id=clinic_id, physio_id=physio_id, since=None)] == [p.pk for p in first]
    assert len(query(clinic_id=clinic_id, physio_id=physio_id, since=today - timedelta(days=50))) == 2
    assert query(clinic_id=clinic_id, physio_id=None, since=None) == []  # IS NULL: nobody without a physiotherapist
    assert [p.pk for p in query(clinic_id=clinic_id, physio_id=physio_id, since=None)] == [p.pk for p in first]
    assert len(query._compiled) == 3 and all(query._compiled.values()) and not query.not_prepared
    assert len(calls) == 3 * 3 + 1  # three shapes prepared (two builds and the check each), then one check


def test_a_build_that_reads_the_active_time_zone_is_not_prepared(two_clinics):
    def changed_on(*, day: date):
        return ThresholdChange.objects.filter(changed_at__date=day)  # the day in the active time zone

    query, _calls = counted(changed_on)
    change = ThresholdChange.objects.filter(patient=two_clinics["first"][0]).first()
    assert change in query(day=timezone.localtime(change.changed_at).date())
    assert "worked out" in next(iter(query.not_prepared.values()))


def test_a_prefetch_with_a_queryset_of_its_own_is_not_prepared(two_clinics):
    from django.db.models import Prefetch

    def with_changes(*, clinic_id: int, since: date):
        changes = ThresholdChange.objects.filter(changed_at__date__gte=since)
        return Patient.objects.filter(clinic_id=clinic_id).prefetch_related(Prefetch("threshold_changes", changes))

    query, _calls = counted(with_changes)
    rows = query(clinic_id=two_clinics["first"][0].clinic_id, since=timezone.localdate() - timedelta(days=400))
    assert all(p.threshold_changes.all() for p in rows)
    assert "Prefetch" in next(iter(query.not_prepared.values()))


def test_a_date_and_a_moment_get_sql_of_their_own(two_clinics):
    def onset_before(*, clinic_id: int, before):
        return Patient.objects.filter(clinic_id=clinic_id, onset_date__lt=before)

    query, _calls = counted(onset_before)
    clinic_id, today = two_clinics["first"][0].clinic_id, timezone.localdate()
    assert len(query(clinic_id=clinic_id, before=today - timedelta(days=30))) == 2
    assert len(query(clinic_id=clinic_id, before=timezone.now() - timedelta(days=30))) == 2
    assert len(query._compiled) == 2


def test_every_prepared_query_of_the_app_that_the_pages_ran_was_prepared(client, physio, active):
    """The staff pages run the app's prepared queries; none may have fallen back to being built on every call (its
    SQL changing with a value, or a value worked out from another)."""
    admin = ClinicAdminFactory(clinic=physio.clinic)
    for user, url in (
        (physio, reverse("flags:dashboard")),
        (physio, reverse("patients:detail", args=[active.program.patient.pk])),
        (admin, reverse("flags:queue")),
        (admin, reverse("outcomes:clinic")),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 200
    ran = [query for query in prepared_module.REGISTRY if query._compiled]
    assert ran
    assert {query.__qualname__: query.not_prepared for query in ran if query.not_prepared} == {}


def test_past_the_most_shapes_a_new_shape_is_built_every_time(two_clinics, monkeypatch):
    monkeypatch.setattr(prepared_module, "MOST_SHAPES", 2)

    def among(*, ids: tuple[int, ...]):
        return Patient.objects.filter(pk__in=ids).order_by("pk")

    query, calls = counted(among)
    patients = [p.pk for p in two_clinics["first"]]
    for length in (1, 2, 3, 3):
        assert [p.pk for p in query(ids=tuple(patients[:length]))] == patients[:length]
    assert len(query._compiled) == 2
    assert len(calls) == 3 + 3 + 1 + 1  # two shapes prepared (two builds, then the check), the third built twice


def test_an_argument_left_out_for_its_default_gets_sql_of_its_own(two_clinics):
    def onset_before(*, clinic_id: int, before: date | None = None):
        patients = Patient.objects.filter(clinic_id=clinic_id).order_by("pk")
        return patients if before is None else patients.filter(onset_date__lt=before)

    query, _calls = counted(onset_before)
    clinic_id, today = two_clinics["first"][0].clinic_id, timezone.localdate()
    assert len(query(clinic_id=clinic_id)) == 3
    assert len(query(clinic_id=clinic_id, before=today - timedelta(days=30))) == 2
    assert len(query(clinic_id=clinic_id)) == 3
    assert len(query._compiled) == 2 and not query.not_prepared


def test_rows_kept_as_prefetched_are_read_without_a_query_and_a_filter_reads_afresh(two_clinics):
    patient = two_clinics["first"][0]
    changes = list(ThresholdChange.objects.filter(patient=patient))
    assert changes
    kept = []  # as if a query had read none of them
    keep_as_prefetched(patient, "threshold_changes", kept)
    with CaptureQueriesContext(connection) as queries:
        assert list(patient.threshold_changes.all()) == kept
    assert len(queries) == 0
    assert set(patient.threshold_changes.filter(pk__gte=0)) == set(changes)  # the patient's own rows, read afresh
    row = ThresholdChange.objects.get(pk=changes[0].pk)  # read on its own: its patient not read
    keep_as_prefetched(patient, "threshold_changes", [row])
    with CaptureQueriesContext(connection) as queries:
        assert row.patient is patient and list(patient.threshold_changes.all()) == [row]
    assert len(queries) == 0
