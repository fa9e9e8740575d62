"""Who is due a reminder now, set-based: one query per clinic time zone in use for each kind, whatever the number of
patients; and what the patient's and the staff's pages show."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least

from checkins.models import CheckIn
from flags.models import Flag, FlagReason, FlagStatus
from flags.services.sweep import DaysBetween
from patients.models import Patient, Pause
from patients.selectors import in_care
from programs.models import FlareUp, Program, ProgramVersion
from rehab.models import Clinic

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
    return FlareUp.objects.filter(
        patient=OuterRef("pk"),
        plan__isnull=False,
        plan__program__status=Program.Status.ACTIVE,
        starts_on__lte=day,
        last_day__gte=day,
    ).order_by("-started_at", "-pk")


def _paused(day: date):
    return Pause.objects.filter(
        Q(resumed_on__isnull=True) | Q(resumed_on__gt=day),
        patient=OuterRef("pk"),
        starts_on__lte=day,
        ends_on__gte=day,
    )


def due_session_reminders(*, zone: Zone) -> list[int]:
    """Patients of one time zone due today's session reminder (rules.session_reminder_due), in one query."""
    flare_up_plan = _plan_in_force(zone.today)
    version = ProgramVersion.objects.filter(
        program__patient=OuterRef("pk"),
        program__status=Program.Status.ACTIVE,
        status=ProgramVersion.Status.ACTIVE,
    )
    weekdays = Coalesce(
        Subquery(flare_up_plan.values(text=Cast("plan__weekdays", TextField()))[:1]),
        Subquery(version.values(text=Cast("weekdays", TextField()))[:1]),
    )
    per_week = Coalesce(
        Subquery(flare_up_plan.values("plan__sessions_per_week")[:1]),
        Subquery(version.values("sessions_per_week")[:1]),
        Value(0),
    )
    reported_this_week = (
        CheckIn.objects.filter(
            patient=OuterRef("pk"), session_date__gte=rules.week_start(zone.today), session_date__lte=zone.today
        )
        .order_by()
        .values("patient")
        .annotate(days=Count("session_date", distinct=True))
        .values("days")
    )
    reported_today = CheckIn.objects.filter(patient=OuterRef("pk"), session_date=zone.today)
    sent_today = ReminderSent.objects.filter(patient=OuterRef("pk"), kind=rules.SESSION, local_date=zone.today)
    return list(
        _base(zone)
        .filter(_wants("sessions", zone), ~Exists(reported_today), ~Exists(sent_today))
        .alias(weekdays=weekdays, per_week=per_week)
        .filter(
            Q(weekdays__contains=str(zone.today.weekday()))
            | Q(weekdays="[]", per_week__gt=Coalesce(Subquery(reported_this_week), 0))
        )
        .values_list("pk", flat=True)
    )


def due_nudges(*, zone: Zone) -> list[tuple[int, date]]:
    """Patients of one time zone due the nudge before the rest limit (rules.nudge_due), with the last session their
    rest counts from, in one query. The rest is counted as the rest rule counts it (flags.services.sweep): the
    latest of the last check-in, the end of the last pause, the program's first day and a flare-up's first day; a
    flare-up plan in force allows its own longest rest when that is longer than the clinic's."""
    never = Value(date.min)
    tomorrow = zone.today + timedelta(days=1)
    # Whoever is nudged today has rested at least one whole day: most patients are ruled out by this alone.
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

    def allowed(day: date):
        rests = _plan_in_force(day).values("plan_rest_days")[:1]
        return Greatest(F("clinic__rest_days_allowed"), Coalesce(Subquery(rests), 0), output_field=IntegerField())

    open_rest_flag = Flag.objects.filter(patient=OuterRef("pk"), reason=FlagReason.REST).exclude(
        status=FlagStatus.RESOLVED
    )
    # A rest flag raised on this rest, even one resolved since: the nudge comes before the flag or not at all.
    flagged_rest = Flag.objects.filter(
        patient=OuterRef("pk"), reason=FlagReason.REST, rest_since__gte=OuterRef("last_session")
    )
    nudged = ReminderSent.objects.filter(patient=OuterRef("pk"), kind=rules.NUDGE).filter(
        Q(local_date=zone.today) | Q(rest_since=OuterRef("last_session"))
    )
    return list(
        _base(zone)
        .filter(_wants("nudges", zone), ~Exists(open_rest_flag), ~Exists(_paused(tomorrow)))
        .alias(last_checkin=Coalesce(Subquery(last_checkin), never))
        .filter(last_checkin__lte=latest_possible)
        .annotate(
            last_session=Greatest(
                "last_checkin",
                Coalesce(Subquery(last_pause), never),
                Subquery(program_start),
                Coalesce(Subquery(last_flare_up), never),
                output_field=DateField(),
            ),
        )
        # Whole rest days by tomorrow: today's, if today passes without a session.
        .alias(rested_by_tomorrow=DaysBetween(F("last_session"), Value(zone.today)))
        .filter(
            last_session__lt=zone.today,
            rested_by_tomorrow__lte=allowed(zone.today) + Value(1),
            rested_by_tomorrow__gt=allowed(tomorrow),
        )
        .filter(~Exists(flagged_rest), ~Exists(nudged))
        .values_list("pk", "last_session")
    )


# --- Pages ------------------------------------------------------------------------------------


def settings_for(patient) -> ReminderSettings:
    """The patient's reminder settings, or the defaults (unsaved) when they have never changed them."""
    try:
        return ReminderSettings.objects.get(patient=patient)
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(patient=patient, **rules.DEFAULTS)


def last_sent(patient) -> ReminderSent | None:
    return ReminderSent.objects.filter(patient=patient).order_by("-sent_at", "-pk").first()


def push_subscriptions(patient) -> int:
    return PushSubscription.objects.filter(patient=patient).count()
