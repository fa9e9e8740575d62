"""Who is due a reminder now, set-based: a fixed number of queries per clinic time zone in use for each kind, whatever
the number of patients; and what the patient's and the staff's pages show."""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Least

from checkins import rules as checkin_rules
from checkins.models import CheckIn
from flags.models import Flag, FlagReason, FlagStatus
from patients.models import Patient, Pause
from patients.selectors import in_care
from programs.models import FlareUp, Program, ProgramVersion
from programs.selectors import flare_ups_on
from rehab.db import count_of
from rehab.models import Clinic
from rehab.prepared import prepared

from . import rules
from .models import PushSubscription, ReminderSent, ReminderSettings


@dataclass(frozen=True)
class Zone:
    """A clinic time zone in use, and the moment of the run on its clocks."""

    name: str
    today: date
    local_time: time


def zones(*, now: datetime) -> list[Zone]:
    names = Clinic.objects.values_list("time_zone", flat=True).distinct().order_by()
    result = []
    for name in names:
        local = now.astimezone(ZoneInfo(name))
        result.append(Zone(name, local.date(), local.time().replace(tzinfo=None)))
    return result


def push_configured() -> bool:
    return bool(settings.WEB_PUSH_VAPID_PRIVATE_KEY and settings.WEB_PUSH_VAPID_PUBLIC_KEY)


def _wants(kind_field: str, zone: Zone) -> Q:
    """The patient wants this kind of reminder, their time has come today, and a channel reaches them: their own
    settings, or the defaults when they have none."""
    has_email = ~Q(user__email="")
    channel = Q(reminder_settings__email=True) & has_email
    default_channel = has_email
    if push_configured():
        has_subscription = Exists(PushSubscription.objects.filter(patient=OuterRef("pk")))
        channel |= Q(reminder_settings__push=True) & has_subscription
        default_channel |= has_subscription
    own = Q(**{f"reminder_settings__{kind_field}": True, "reminder_settings__time__lte": zone.local_time}) & channel
    if zone.local_time >= rules.DEFAULT_TIME:
        return own | (Q(reminder_settings__isnull=True) & default_channel)
    return own


def _base(zone: Zone):
    """Patients of the zone's clinics in a course of care, with a program in force that has started, not paused
    today."""
    started = ProgramVersion.objects.filter(
        program__patient=OuterRef("pk"),
        program__status=Program.Status.ACTIVE,
        activated_at__isnull=False,
        start_date__lte=zone.today,
    )
    return Patient.objects.order_by().filter(
        in_care(), Exists(started), ~Exists(_paused(zone.today)), clinic__time_zone=zone.name, user__is_active=True
    )


def _plan_in_force(day: date):
    """The flare-up in force on `day` with a plan whose program is still active: its plan is what the patient does."""
    return flare_ups_on(OuterRef("pk"), today=day).filter(
        plan__isnull=False, plan__program__status=Program.Status.ACTIVE
    )


def _paused(day: date):
    return Pause.objects.filter(
        Q(resumed_on__isnull=True) | Q(resumed_on__gt=day),
        patient=OuterRef("pk"),
        starts_on__lte=day,
        ends_on__gte=day,
    )


def due_session_reminders(*, zone: Zone) -> list[int]:
    """Patients of one time zone due today's session reminder (rules.session_reminder_due): one query for the patients
    who want one and have not reported today, with the schedule in force read once each, then rules.planned_today;
    a schedule of a number of sessions a week needs the week's reports, counted in one more query for those only."""
    flare_up_plan = _plan_in_force(zone.today)
    version = ProgramVersion.objects.filter(
        program__patient=OuterRef("pk"),
        program__status=Program.Status.ACTIVE,
        status=ProgramVersion.Status.ACTIVE,
    ).order_by()
    reported_today = CheckIn.objects.filter(patient=OuterRef("pk"), session_date=zone.today)
    sent_today = ReminderSent.objects.filter(patient=OuterRef("pk"), kind=rules.SESSION, local_date=zone.today)
    rows = list(
        _base(zone)
        .filter(_wants("sessions", zone), ~Exists(reported_today), ~Exists(sent_today))
        .annotate(
            weekdays_text=Coalesce(
                Subquery(flare_up_plan.values(text=Cast("plan__weekdays", TextField()))[:1]),
                Subquery(version.values(text=Cast("weekdays", TextField()))[:1]),
            ),
            per_week=Coalesce(
                Subquery(flare_up_plan.values("plan__sessions_per_week")[:1]),
                Subquery(version.values("sessions_per_week")[:1]),
            ),
        )
        .values_list("pk", "weekdays_text", "per_week")
    )
    schedules = {pk: (json.loads(text or "[]"), per_week) for pk, text, per_week in rows}
    counted = [pk for pk, (weekdays, per_week) in schedules.items() if not weekdays and per_week]
    reported = _reported_since(counted, checkin_rules.week_start(zone.today), zone.today) if counted else {}
    return [
        pk
        for pk, (weekdays, per_week) in schedules.items()
        if rules.planned_today(
            today=zone.today, weekdays=weekdays, sessions_per_week=per_week, reported_this_week=reported.get(pk, 0)
        )
    ]


def _reported_since(patient_ids: list[int], first: date, last: date) -> dict[int, int]:
    """Days with a check-in from `first` to `last`, by patient: one query."""
    return dict(
        CheckIn.objects.filter(patient_id__in=patient_ids, session_date__gte=first, session_date__lte=last)
        .order_by()
        .values("patient_id")
        .annotate(days=Count("session_date", distinct=True))
        .values_list("patient_id", "days")
    )


def due_nudges(*, zone: Zone) -> list[tuple[int, date]]:
    """Patients of one time zone due the nudge before the rest limit (rules.nudge_due), with the last session their
    rest counts from. The rest is counted as the rest rule counts it (flags.services.sweep): the latest of the last
    check-in, the end of the last pause, the program's first day and a flare-up's first day; a flare-up plan in force
    allows its own longest rest when that is longer than the clinic's. One query reads each candidate's figures once
    (most patients are ruled out by their last check-in alone), rules.nudge_due decides, and one more query each
    leaves out a rest already flagged or nudged."""
    never = Value(date.min)
    tomorrow = zone.today + timedelta(days=1)
    # Whoever is nudged today has rested at least one whole day.
    latest_possible = zone.today - timedelta(days=2)
    last_checkin = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-session_date").values("session_date")[:1]
    last_pause = (
        Pause.objects.filter(patient=OuterRef("pk"), starts_on__lte=zone.today)
        .exclude(resumed_on__lte=F("starts_on"))
        .order_by()
        .values("patient")
        .annotate(last=Max(Least("ends_on", Coalesce("resumed_on", "ends_on"))))
        .values("last")
    )
    program_start = (
        ProgramVersion.objects.filter(
            program__patient=OuterRef("pk"), program__status=Program.Status.ACTIVE, activated_at__isnull=False
        )
        .order_by()
        .values("program__patient")
        .annotate(start=Min("start_date"))
        .values("start")
    )
    last_flare_up = (
        FlareUp.objects.filter(
            patient=OuterRef("pk"),
            plan__isnull=False,
            plan__program__status=Program.Status.ACTIVE,
            starts_on__lte=zone.today,
        )
        .order_by("-starts_on")
        .values("starts_on")[:1]
    )
    open_rest_flag = Flag.objects.filter(patient=OuterRef("pk"), reason=FlagReason.REST).exclude(
        status=FlagStatus.RESOLVED
    )
    rows = (
        _base(zone)
        .filter(_wants("nudges", zone), ~Exists(open_rest_flag), ~Exists(_paused(tomorrow)))
        .alias(last_checkin=Coalesce(Subquery(last_checkin), never))
        .filter(last_checkin__lte=latest_possible)
        .values_list(
            "pk",
            Coalesce(Subquery(last_checkin), never),
            Coalesce(Subquery(last_pause), never),
            Subquery(program_start),
            Coalesce(Subquery(last_flare_up), never),
            "clinic__rest_days_allowed",
            Subquery(_plan_in_force(zone.today).values("plan_rest_days")[:1]),
            Subquery(_plan_in_force(tomorrow).values("plan_rest_days")[:1]),
        )
    )
    due = {}
    for pk, checkin, pause, start, flare_up, clinic_allows, plan_today, plan_tomorrow in rows:
        last_session = max(checkin, pause, start, flare_up)
        if rules.nudge_due(
            last_session=last_session,
            today=zone.today,
            allowed_today=max(clinic_allows, plan_today or 0),
            allowed_tomorrow=max(clinic_allows, plan_tomorrow or 0),
        ):
            due[pk] = last_session
    if not due:
        return []
    # A rest flag raised on this rest, even one resolved since: the nudge comes before the flag or not at all.
    flagged = Flag.objects.filter(patient_id__in=list(due), reason=FlagReason.REST, rest_since__isnull=False)
    for patient_id, since in flagged.values_list("patient_id", "rest_since"):
        if since >= due.get(patient_id, date.max):
            del due[patient_id]
    nudged = ReminderSent.objects.filter(patient_id__in=list(due), kind=rules.NUDGE).filter(
        Q(local_date=zone.today) | Q(rest_since__in=set(due.values()))
    )
    for patient_id, day, since in nudged.values_list("patient_id", "local_date", "rest_since"):
        if day == zone.today or since == due.get(patient_id):
            due.pop(patient_id, None)
    return sorted(due.items())


# --- Pages ------------------------------------------------------------------------------------


def settings_for(patient) -> ReminderSettings:
    """The patient's reminder settings, or the defaults (unsaved) when they have never changed them."""
    try:
        return ReminderSettings.objects.get(patient=patient)
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(patient=patient)


def push_subscriptions(patient) -> int:
    return PushSubscription.objects.filter(patient=patient).count()


@dataclass
class RemindersOverview:
    """What the staff's patient page shows of a patient's reminders."""

    settings: ReminderSettings  # the defaults, unsaved, when they have never changed them
    last: ReminderSent | None  # only its kind and when it went
    devices: int  # browsers with the patient's notifications on


@prepared
def _overview(*, patient_id: int) -> QuerySet[Patient]:
    last = ReminderSent.objects.filter(patient=OuterRef("pk")).order_by("-sent_at", "-pk")
    return (
        Patient.objects.filter(pk=patient_id)
        .select_related("reminder_settings")
        .only("pk", *(f"reminder_settings__{field.attname}" for field in ReminderSettings._meta.concrete_fields))
        .annotate(
            last_kind=Subquery(last.values("kind")[:1]),
            last_sent_at=Subquery(last.values("sent_at")[:1]),
            devices=count_of(PushSubscription.objects.filter(patient=OuterRef("pk")), by="patient"),
        )
    )


def reminders_overview(patient) -> RemindersOverview:
    """A patient's reminder settings (as settings_for has them), the last reminder sent and their devices (as
    push_subscriptions counts them), in one query."""
    (found,) = _overview(patient_id=patient.pk)
    try:
        row = found.reminder_settings
    except ReminderSettings.DoesNotExist:
        row = ReminderSettings(patient=patient)
    sent = ReminderSent(patient=patient, kind=found.last_kind, sent_at=found.last_sent_at) if found.last_kind else None
    return RemindersOverview(settings=row, last=sent, devices=found.devices)
