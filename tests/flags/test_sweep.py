import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from flags import services
from flags.models import Flag, FlagEvent, FlagReason, FlagStatus
from patients.services import pause_create
from tests.factories import ClinicFactory, PhysioFactory, bulk_active_patients, make_patient
from tests.helpers import assert_same_query_count, count_queries, evaluate, flag_reasons, send_checkin

pytestmark = pytest.mark.django_db


def set_start(version, start):
    version.start_date = start
    version.save(update_fields=["start_date"])


def at(clinic, day, hour=12, minute=0):
    """An aware moment on `day` at the clinic's local time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(clinic.time_zone))


class TestRestRule:
    @pytest.mark.parametrize(("rest_days", "flagged"), [(0, False), (2, False), (3, True), (6, True)])
    def test_whole_rest_days(self, active, rest_days, flagged):
        patient = active.program.patient
        today = patient.clinic.local_today()
        saved = send_checkin(active, days_ago=0)
        evaluate(saved)
        now = at(patient.clinic, today + timedelta(days=rest_days + 1))
        assert services.flags_sweep_rest(now=now) == int(flagged)
        assert (flag_reasons(patient) == ["rest"]) is flagged

    def test_program_start_counts_as_last_session(self, active):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today)
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=3))) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=4))) == 1
        flag = Flag.objects.get()
        assert flag.details["values"] == {"last_session": today.isoformat(), "rest_days": 3, "allowed": 2}

    def test_program_not_started_yet(self, active):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today + timedelta(days=10))
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=5))) == 0

    def test_pause_suppresses_and_restarts_the_count(self, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today)
        pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today + timedelta(days=1),
            ends_on=today + timedelta(days=10),
            reason="Holiday",
        )
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=8))) == 0
        # The pause's last day counts as a session: three whole days after it, the flag comes.
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=13))) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, today + timedelta(days=14))) == 1

    def test_clinic_setting_changes_the_rule(self, active):
        patient = active.program.patient
        clinic = patient.clinic
        clinic.rest_days_allowed = 3
        clinic.save()
        today = clinic.local_today()
        set_start(active, today)
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=4))) == 0  # 3 rest days allowed
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=5))) == 1

    def test_clinic_time_zone_decides_the_day(self, physio, library):
        """Just after midnight in Auckland it is already the next day there, still the day before in UTC."""
        from programs.services import program_activate, program_add_exercise, program_create

        clinic = physio.clinic
        clinic.time_zone = "Pacific/Auckland"
        clinic.save()
        patient = make_patient(physio=physio)
        version = program_create(
            patient=patient, created_by=physio, title="P", start_date=clinic.local_today(), weekdays=[0, 2, 4]
        ).versions.get()
        program_add_exercise(version=version, exercise=library["dead-bug"])
        program_activate(version=version, activated_by=physio)
        set_start(version, datetime(2026, 11, 16).date())
        Flag.objects.all().delete()
        before_midnight = at(clinic, datetime(2026, 11, 19).date(), hour=23, minute=59)  # 3 rest days not over
        assert services.flags_sweep_rest(now=before_midnight) == 0
        just_after = at(clinic, datetime(2026, 11, 20).date(), hour=0, minute=5)  # Tue, Wed, Thu complete
        assert just_after.astimezone(ZoneInfo("UTC")).date() == datetime(2026, 11, 19).date()
        assert services.flags_sweep_rest(now=just_after) == 1

    @pytest.mark.parametrize(
        ("time_zone", "resolved_hour"),
        [("Europe/London", 13), ("Australia/Sydney", 9), ("America/New_York", 20)],  # the UTC date differs
    )
    def test_resolving_a_rest_flag_counts_like_a_session(self, active, physio, time_zone, resolved_hour):
        """Staff resolved it (they phoned the patient): the rest flag comes back only if the rest goes on for
        more than the allowed days after that day, counted in the clinic's own days; not at the next sweep."""
        patient = active.program.patient
        clinic = patient.clinic
        clinic.time_zone = time_zone
        clinic.save()
        today = clinic.local_today()
        set_start(active, today - timedelta(days=10))
        assert services.flags_sweep_rest(now=at(clinic, today)) == 1
        flag = Flag.objects.get(reason=FlagReason.REST)
        services.flag_resolve(flag=flag, by=physio, outcome="contacted_patient", note="Back on it tomorrow")
        Flag.objects.filter(pk=flag.pk).update(resolved_at=at(clinic, today, hour=resolved_hour))
        for days, hour, minute in ((0, 23, 0), (1, 12, 0), (3, 23, 55)):  # 0, 1 and 2 whole days since
            moment = at(clinic, today + timedelta(days=days), hour=hour, minute=minute)
            assert services.flags_sweep_rest(now=moment) == 0
        assert services.flags_sweep_rest(now=at(clinic, today + timedelta(days=4), hour=0, minute=5)) == 1
        again = Flag.objects.exclude(pk=flag.pk).get(reason=FlagReason.REST)
        assert again.details["values"]["rest_days"] == 13  # still counted from the last session

    def test_a_late_report_that_closes_a_rest_flag_does_not_hold_off_the_next(self, active):
        """A report sent today for a session four days ago closes the open rest flag, but the rest since that
        session goes on: unlike a flag staff resolved, the next sweep raises it again."""
        patient = active.program.patient
        clinic = patient.clinic
        today = clinic.local_today()
        set_start(active, today - timedelta(days=10))
        assert services.flags_sweep_rest(now=at(clinic, today, hour=9)) == 1
        first = Flag.objects.get(reason=FlagReason.REST)
        evaluate(send_checkin(active, days_ago=4))
        first.refresh_from_db()
        assert (first.status, first.outcome, first.resolved_by) == (FlagStatus.RESOLVED, "patient_reported", None)
        assert services.flags_sweep_rest(now=at(clinic, today, hour=10)) == 1
        again = Flag.objects.exclude(pk=first.pk).get(reason=FlagReason.REST)
        assert again.details["values"]["rest_days"] == 3  # whole days since that session

    def test_sweep_twice_raises_one_flag(self, active):
        today = active.program.patient.clinic.local_today()
        now = at(active.program.patient.clinic, today + timedelta(days=10))
        assert services.flags_sweep_rest(now=now) == 1
        assert services.flags_sweep_rest(now=now + timedelta(minutes=15)) == 0
        assert Flag.objects.count() == 1 and FlagEvent.objects.count() == 1


def make_active_patients(physio, library, count):
    bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=count)


def test_sweep_query_count_does_not_grow_with_patients(physio, library):
    now = timezone.now()
    make_active_patients(physio, library, 10)
    with count_queries() as small:
        assert services.flags_sweep(now=now)["rest_flags"] == 10
    Flag.objects.all().delete()
    make_active_patients(physio, library, 190)
    with count_queries() as large:
        assert services.flags_sweep(now=now)["rest_flags"] == 200
    assert_same_query_count(small, large)


def test_one_sweep_applies_each_clinics_day_and_setting(library):
    """Clinics in three time zones and two rest settings, swept at one moment: each patient is judged by
    their own clinic's local day and rest setting, and adding clinics adds no queries."""
    from programs.models import ProgramVersion

    now = datetime(2026, 11, 20, 11, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 21st in Auckland
    start = datetime(2026, 11, 17).date()  # whole rest days: 18, 19, 20 (and 21 has not ended anywhere)
    settings = [("Pacific/Auckland", 2), ("America/Los_Angeles", 2), ("Europe/London", 3)]
    expected, queries = set(), []
    for time_zone, allowed in settings:
        physio = PhysioFactory(clinic=ClinicFactory(time_zone=time_zone, rest_days_allowed=allowed))
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=2)
        ProgramVersion.objects.filter(program__patient__in=patients).update(start_date=start)
        today = now.astimezone(ZoneInfo(time_zone)).date()
        if (today - start).days - 1 > allowed:
            expected.update(p.pk for p in patients)
        Flag.objects.all().delete()
        with count_queries() as captured:
            services.flags_sweep_rest(now=now)
        queries.append(len(captured))
    Flag.objects.all().delete()
    services.flags_sweep_rest(now=now)
    flagged = set(Flag.objects.filter(reason=FlagReason.REST).values_list("patient_id", flat=True))
    assert flagged == expected and len(expected) == 2  # Auckland's only: 3 whole days there, 2 in LA
    assert queries[0] == queries[1] == queries[2]


def test_sweep_with_no_clinic_yet_does_nothing(db):
    assert services.flags_sweep(now=timezone.now()) == {
        "evaluated": 0,
        "flare_ups": 0,
        "rest_flags": 0,
        "rest_days_counted": 0,
        "alerts": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_each_flag_once(physio, shipped_library):
    from programs.models import Exercise

    make_active_patients(physio, {"dead-bug": Exercise.objects.get(clinic=None, key="dead-bug")}, 20)
    now = timezone.now()
    barrier = threading.Barrier(2)
    errors = []

    def sweep(moment):
        try:
            barrier.wait()
            services.flags_sweep_rest(now=moment)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(now + timedelta(microseconds=i),)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Flag.objects.filter(reason="rest").count() == 20
    assert FlagEvent.objects.filter(kind="raised").count() == 20


class TestSweepEdges:
    def test_new_program_does_not_inherit_old_reports_or_pauses(self, active, physio, library):
        """Reports and a pause of an earlier program must not make a new program's first day a rest flag."""
        from programs.services import program_activate, program_add_exercise, program_create

        patient = active.program.patient
        today = patient.clinic.local_today()
        evaluate(send_checkin(active, days_ago=5))
        pause_create(patient=patient, created_by=physio, starts_on=today, ends_on=today, reason="Ill")
        later = today + timedelta(days=30)
        new = program_create(
            patient=patient, created_by=physio, title="Block 2", start_date=later, weekdays=[0, 2, 4]
        ).versions.get()
        program_add_exercise(version=new, exercise=library["bird-dog"])
        program_activate(version=new, activated_by=physio, progression_reason="Second block")
        Flag.objects.all().delete()
        assert services.flags_sweep_rest(now=at(patient.clinic, later)) == 0
        assert services.flags_sweep_rest(now=at(patient.clinic, later + timedelta(days=4))) == 1

    def test_cancelled_pause_is_not_a_session(self, active, physio):
        patient = active.program.patient
        today = patient.clinic.local_today()
        set_start(active, today - timedelta(days=10))
        pause = pause_create(
            patient=patient,
            created_by=physio,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=5),
            reason="Holiday",
        )
        Flag.objects.all().delete()
        pause.resumed_on = pause.starts_on  # cancelled before it began
        pause.save()
        assert services.flags_sweep_rest(now=at(patient.clinic, today)) == 1

    def test_rest_flags_of_many_patients_close_together_in_a_fixed_number_of_queries(self, physio, library):
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=12)
        assert services.flags_sweep_rest(now=timezone.now() + timedelta(days=30)) == 12
        today = patients[0].clinic.local_today()
        few = {p.pk: (1000 + p.pk, today) for p in patients[:2]}
        many = {p.pk: (1000 + p.pk, today) for p in patients[2:]}
        with count_queries() as small:
            assert len(services.flags_close_rest(ends_rest=few)) == 2
        with count_queries() as large:
            closed = services.flags_close_rest(ends_rest=many)
        assert_same_query_count(small, large)
        assert len(closed) == 10
        flag = Flag.objects.get(patient=patients[5])
        assert (flag.status, flag.outcome, flag.resolved_by) == ("resolved", "patient_reported", None)
        assert f"(report {1000 + patients[5].pk})" in flag.resolution_note
        assert list(flag.events.values_list("kind", flat=True).order_by("pk")) == ["raised", "resolved"]
        assert services.flags_close_rest(ends_rest=many) == []  # closed already: nothing to do

    def test_closing_many_rest_flags_writes_them_in_batches(self, physio, library, monkeypatch):
        monkeypatch.setattr("rehab.db.BULK_BATCH", 2)
        patients = bulk_active_patients(physio=physio, exercise=library["dead-bug"], count=5)
        assert services.flags_sweep_rest(now=timezone.now() + timedelta(days=30)) == 5
        today = patients[0].clinic.local_today()
        with count_queries() as queries:
            closed = services.flags_close_rest(ends_rest={p.pk: (1000 + p.pk, today) for p in patients})
        assert len(closed) == 5 and not Flag.objects.exclude(status="resolved").exists()
        statements = [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]
        assert (statements.count("UPDATE"), statements.count("INSERT")) == (3, 3)  # 2 + 2 + 1 rows each

    def test_closing_rest_flags_refuses_more_patients_than_one_statement_takes(self, monkeypatch):
        monkeypatch.setattr("rehab.db.ID_SLICE", 2)
        today = timezone.now().date()
        with pytest.raises(ValueError, match="at most 2 patients"):
            services.flags_close_rest(ends_rest={1: (1, today), 2: (2, today), 3: (3, today)})

    def test_closing_an_already_closed_rest_flag_is_harmless(self, active):
        patient = active.program.patient
        services.flags_sweep_rest(now=timezone.now() + timedelta(days=30))
        saved = send_checkin(active)
        assert services.flags_close_rest(ends_rest={patient.pk: (saved.pk, saved.session_date)})
        assert services.flags_close_rest(ends_rest={patient.pk: (saved.pk, saved.session_date)}) == []

    def test_sweep_sends_alerts_whose_task_was_lost(self, active):
        evaluate(send_checkin(active, max_pain=4))  # its alert task was never delivered
        flag = Flag.objects.get()
        assert services.flags_sweep(now=timezone.now())["alerts"] == 0  # within the grace period
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=5))["alerts"] == 1
        assert services.flags_sweep(now=timezone.now() + timedelta(minutes=20))["alerts"] == 0
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [flag.patient.physiotherapist.email]
