"""The periodic sweep: check-ins whose evaluation was lost, patients resting too long (every clinic at once,
set-based), flare-ups nobody was told about, and alerts that never went out."""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from checkins.models import CheckIn, SymptomReport
from patients.models import Patient, Pause
from patients.selectors import in_care
from programs.models import FlareUp, Program, ProgramVersion
from rehab import db
from rehab.db import id_slices
from rehab.models import Clinic

from .. import rules
from ..models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus
from .alerts import flag_send_alert
from .evaluation import checkin_evaluate, checkins_evaluate, symptom_report_evaluate
from .flare_ups import flare_up_flag, told

logger = logging.getLogger(__name__)

UNEVALUATED_GRACE = timedelta(minutes=2)  # check-ins younger than this are left to their queued task
UNEVALUATED_BATCH = 500
EVALUATE_CHUNK = 100  # check-ins evaluated in one transaction by the sweep
MISSED_FLARE_UPS_WITHIN = timedelta(days=7)  # how far back the sweep looks for a flare-up nobody was told about


def _todays(now) -> dict[str, date]:
    """Today's date in each clinic's time zone: one entry per time zone in use, not per clinic."""
    zones = Clinic.objects.values_list("time_zone", flat=True).distinct().order_by()
    return {time_zone: now.astimezone(ZoneInfo(time_zone)).date() for time_zone in zones}


def _clinic_today(todays: dict[str, date], prefix: str = "clinic__") -> Case:
    """Each row's clinic's "today", as a CASE over the time zones in use: the query's cost does not grow with the
    number of clinics."""
    return Case(
        *[When(**{f"{prefix}time_zone": time_zone}, then=Value(day)) for time_zone, day in todays.items()],
        output_field=DateField(),
    )


class DaysBetween(Func):
    """Whole days from one date to a later one, in SQL (PostgreSQL subtracts dates to days; SQLite, the demo's
    database, counts Julian days)."""

    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _rest_candidates(*, now):
    """Patients of every clinic who have rested too long, in one SQL query.

    Each clinic's "today" depends on its time zone and its cutoff on its rest setting too; both are
    computed here per (time zone, rest setting) pair and handed to the database as CASE expressions, so
    the query's cost does not grow with the number of clinics or time zones.
    """
    groups = list(Clinic.objects.values_list("time_zone", "rest_days_allowed").distinct().order_by())
    if not groups:  # no clinic yet
        return []
    todays = {time_zone: now.astimezone(ZoneInfo(time_zone)).date() for time_zone, _ in groups}
    today = _clinic_today(todays)
    cutoffs = {
        (time_zone, allowed): rules.rest_cutoff(today=todays[time_zone], rest_days_allowed=allowed)
        for time_zone, allowed in groups
    }

    def per_group(value_of, field) -> Case:
        return Case(
            *[
                When(
                    clinic__time_zone=time_zone, clinic__rest_days_allowed=allowed, then=Value(value_of(time_zone, day))
                )
                for (time_zone, allowed), day in cutoffs.items()
            ],
            output_field=field,
        )

    cutoff = per_group(lambda _tz, day: day, DateField())
    # The first moment after the cutoff day, in the clinic's own time zone.
    after_cutoff = per_group(
        lambda tz, day: datetime.combine(day + timedelta(days=1), time.min, ZoneInfo(tz)), DateTimeField()
    )
    active_program = Program.objects.filter(patient=OuterRef("pk"), status=Program.Status.ACTIVE)
    program_start = (
        ProgramVersion.objects.filter(
            program__patient=OuterRef("pk"), program__status=Program.Status.ACTIVE, activated_at__isnull=False
        )
        .order_by()
        .values("program__patient")
        .annotate(start=Min("start_date"))
        .values("start")
    )
    # The newest check-in through the (patient, session date) index: one index entry, not every check-in.
    last_checkin = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-session_date").values("session_date")[:1]
    # A pause restarts the count: its last day (or the day the program resumed) counts as a session.
    last_pause = (
        Pause.objects.filter(patient=OuterRef("pk"), starts_on__lte=OuterRef("today"))
        .exclude(resumed_on__lte=F("starts_on"))  # cancelled before it began: not a pause at all
        .order_by()
        .values("patient")
        .annotate(last=Max(Least("ends_on", Coalesce("resumed_on", "ends_on"))))
        .values("last")
    )
    paused_today = Pause.objects.filter(
        Q(resumed_on__isnull=True) | Q(resumed_on__gt=OuterRef("today")),
        patient=OuterRef("pk"),
        starts_on__lte=OuterRef("today"),
        ends_on__gte=OuterRef("today"),
    )
    # While a flare-up with a plan lasts, the rest rule follows the plan's schedule (rule 18): its first day counts as
    # a session, as a program's start does, and the rests its schedule plans are allowed. A flare-up plan whose
    # program has ended since is in force no more.
    flare_ups = FlareUp.objects.filter(
        patient=OuterRef("pk"),
        plan__isnull=False,
        plan__program__status=Program.Status.ACTIVE,
        starts_on__lte=OuterRef("today"),
    )
    last_flare_up = flare_ups.order_by("-starts_on").values("starts_on")[:1]
    flare_up_rests = flare_ups.filter(last_day__gte=OuterRef("today")).order_by("-starts_on").values("plan_rest_days")
    open_rest_flag = Flag.objects.filter(patient=OuterRef("pk"), reason=FlagReason.REST).exclude(
        status=FlagStatus.RESOLVED
    )
    # A rest flag staff resolved after the cutoff day counts like a session: they have been in touch, so the
    # patient is flagged again only if the rest goes on for more than the allowed days after that. A flag a
    # check-in closed does not: the check-in's own session date already counts, however late it was sent.
    resolved_lately = Flag.objects.filter(
        patient=OuterRef("pk"),
        reason=FlagReason.REST,
        resolved_at__gte=OuterRef("after_cutoff"),
        resolved_by__isnull=False,
    )
    never = Value(date.min)  # stands in for "no check-in" or "no pause": GREATEST ignores it on every database
    return (
        Patient.objects.order_by()
        .annotate(today=today, cutoff=cutoff, after_cutoff=after_cutoff)
        # A discharged patient is never swept: the discharge ended their program, and the course of care is tested
        # here too, so that the rule says what it means.
        .filter(Exists(active_program), ~Exists(open_rest_flag), ~Exists(paused_today), in_care())
        # The last session is the latest of the last check-in, the end of the last pause and the program's start
        # (check-ins and pauses of an older program do not count). It is on or before the cutoff when each of
        # the three is: tested one by one, the cheapest first, most patients (who checked in recently) are ruled
        # out by the check-in alone. A program with no start, or one not started yet, never passes: the cutoff
        # is before today.
        .alias(
            last_checkin=Coalesce(Subquery(last_checkin), never),
            last_pause=Coalesce(Subquery(last_pause), never),
            start=Subquery(program_start),
            last_flare_up=Coalesce(Subquery(last_flare_up), never),
        )
        .filter(
            last_checkin__lte=F("cutoff"),
            last_pause__lte=F("cutoff"),
            start__lte=F("cutoff"),
            last_flare_up__lte=F("cutoff"),
        )
        .annotate(
            last_session=Greatest("last_checkin", "last_pause", "start", "last_flare_up", output_field=DateField()),
            allowed=Greatest(
                F("clinic__rest_days_allowed"), Coalesce(Subquery(flare_up_rests[:1]), 0), output_field=IntegerField()
            ),
        )
        .alias(rested=DaysBetween(F("last_session"), F("today")) - Value(1))
        # The clinic's cutoff has ruled out everyone else; a longer rest a flare-up plan allows is the last test.
        .filter(Q(allowed=F("clinic__rest_days_allowed")) | Q(rested__gt=F("allowed")))
        .filter(~Exists(resolved_lately))
        .values_list("pk", "last_session", "today", "allowed", "clinic__ack_hours")
    )


def flags_sweep_rest(*, now=None) -> int:
    """Resting too long, for every clinic, set-based: a fixed number of queries, whatever the clinics and patients."""
    now = now or timezone.now()
    findings = {}
    for patient_id, last_session, today, allowed, ack_hours in _rest_candidates(now=now):
        finding = rules.rest_finding(last_session=last_session, today=today, paused=False, rest_days_allowed=allowed)
        findings[patient_id] = (finding, ack_hours)
    if not findings:
        return 0
    # A flag that another sweep raised at the same moment is skipped by the partial unique index.
    Flag.objects.bulk_create(
        [
            Flag(
                patient_id=patient_id,
                reason=FlagReason.REST,
                details={"rule": finding.rule, "explanation": finding.explanation, "values": finding.values},
                opened_at=now,
                last_evidence_at=now,
                ack_due_at=now + timedelta(hours=ack_hours),
                rest_since=date.fromisoformat(finding.values["last_session"]),
                rest_days=finding.values["rest_days"],
            )
            for patient_id, (finding, ack_hours) in findings.items()
        ],
        ignore_conflicts=True,
        batch_size=db.BULK_BATCH,
    )
    mine = [
        row
        for part in id_slices(findings)
        for row in Flag.objects.filter(
            reason=FlagReason.REST, opened_at=now, patient_id__in=part, status=FlagStatus.OPEN
        ).values_list("pk", "patient_id")
    ]
    events = [
        FlagEvent(
            flag_id=flag_id,
            kind=FlagEventKind.RAISED,
            at=now,
            values={"explanation": findings[patient_id][0].explanation, **findings[patient_id][0].values},
        )
        for flag_id, patient_id in mine
    ]
    FlagEvent.objects.bulk_create(events, batch_size=db.BULK_BATCH)
    return len(events)


def flags_count_rest_days(*, now=None) -> int:
    """Keep each open rest flag's count of whole days without a session current: one UPDATE for every open rest
    flag of every clinic, writing only the counts that changed. Returns the flags whose count changed."""
    now = now or timezone.now()
    todays = _todays(now)
    if not todays:
        return 0
    patient_today = Patient.objects.filter(pk=OuterRef("patient_id")).annotate(today=_clinic_today(todays))
    days = Greatest(
        DaysBetween(F("rest_since"), Subquery(patient_today.values("today")[:1])) - Value(1),
        Value(0),
        output_field=IntegerField(),
    )
    return (
        Flag.objects.filter(reason=FlagReason.REST, rest_since__isnull=False)
        .exclude(status=FlagStatus.RESOLVED)
        .exclude(rest_days=days)
        .update(rest_days=days)
    )


def flags_evaluate_missed(*, now=None) -> int:
    """Evaluate check-ins and symptom reports whose queued evaluation never ran (broker down, worker lost)."""
    now = now or timezone.now()
    ids = list(
        CheckIn.objects.filter(evaluated_at__isnull=True, submitted_at__lte=now - UNEVALUATED_GRACE)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:UNEVALUATED_BATCH]
    )
    done = 0
    for chunk in id_slices(ids, EVALUATE_CHUNK):
        try:
            done += checkins_evaluate(checkin_ids=chunk, now=now)
            continue
        except Exception:
            logger.exception("Could not evaluate check-ins %s together; trying them one at a time", chunk)
        for checkin_id in chunk:  # one bad check-in must not hold back the others
            try:
                checkin_evaluate(checkin_id=checkin_id, now=now)
                done += 1
            except Exception:
                logger.exception("Could not evaluate check-in %s; the next sweep tries again", checkin_id)
    reports = SymptomReport.objects.filter(evaluated_at__isnull=True, reported_at__lte=now - UNEVALUATED_GRACE)
    for report_id in reports.order_by("reported_at").values_list("pk", flat=True)[:UNEVALUATED_BATCH]:
        try:
            symptom_report_evaluate(report_id=report_id, now=now)
            done += 1
        except Exception:
            logger.exception("Could not evaluate symptom report %s; the next sweep tries again", report_id)
    return done


def flags_flag_missed_flare_ups(*, now=None) -> int:
    """Tell the physiotherapists about flare-ups of the last week whose task never ran (broker down, worker lost):
    one query finds them."""
    now = now or timezone.now()
    missed = (
        FlareUp.objects.filter(started_at__gte=now - MISSED_FLARE_UPS_WITHIN, started_at__lte=now - UNEVALUATED_GRACE)
        .filter(~Exists(told(OuterRef("pk"))), in_care(OuterRef("patient")))
        .order_by("started_at")
        .values_list("pk", flat=True)
    )
    done = 0
    for flare_up_id in missed[:UNEVALUATED_BATCH]:
        try:
            done += flare_up_flag(flare_up_id=flare_up_id, now=now) is not None
        except Exception:
            logger.exception("Could not flag flare-up %s; the next sweep tries again", flare_up_id)
    return done


def flags_send_missed_alerts(*, now=None) -> int:
    """Send the alerts whose queued task never ran or gave up (broker down, mail server down)."""
    now = now or timezone.now()
    pending = Flag.objects.filter(
        reason__in=rules.IMMEDIATE_REASONS, notified_at__isnull=True, last_evidence_at__lte=now - UNEVALUATED_GRACE
    ).exclude(status=FlagStatus.RESOLVED)
    sent = 0
    for flag_id in pending.values_list("pk", flat=True)[:UNEVALUATED_BATCH]:
        try:
            sent += flag_send_alert(flag_id=flag_id)
        except Exception:
            logger.exception("Could not send the alert for flag %s; the next sweep tries again", flag_id)
    return sent


def flags_sweep(*, now=None) -> dict[str, int]:
    """The periodic sweep: missed evaluations first (they may close rest flags) and flare-ups nobody was told about,
    then resting too long and the day counts of the rest flags still open, then any alert that never went out."""
    now = now or timezone.now()
    evaluated = flags_evaluate_missed(now=now)
    flare_ups = flags_flag_missed_flare_ups(now=now)
    rest = flags_sweep_rest(now=now)
    counted = flags_count_rest_days(now=now)
    return {
        "evaluated": evaluated,
        "flare_ups": flare_ups,
        "rest_flags": rest,
        "rest_days_counted": counted,
        "alerts": flags_send_missed_alerts(now=now),
    }
