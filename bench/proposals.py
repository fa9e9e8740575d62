"""Evidence for the changes bench/README.md recommends to the rest rule (rule 7) of the sweep.

Not used by the app. `python -m bench.sweep --diagnose` times flags_sweep with each of these swapped in for
the app's function, in the benchmark process only, and checks that the same patients get flagged:

- rest_candidates_lean: programs.services._rest_candidates with the query reshaped (see its docstring);
- flags_sweep_rest_one_query: rule 7 for every clinic in one statement, the floor's, instead of one query per
  (time zone, rest days allowed) group; flags and events are written as flags_sweep_rest writes them;
- evaluate_missed_in_one_transaction: the lost evaluations in one transaction, where each report's own
  atomic block becomes a savepoint (a failing report still rolls back alone): one commit instead of one per
  report.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import DateField, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, Least

ONE_QUERY_SQL = """
SELECT p.id, GREATEST(COALESCE(r.last, s.start), COALESCE(pz.last, s.start), s.start) AS last_session,
       c.time_zone, c.rest_days_allowed, c.ack_hours
FROM patients_patient p
JOIN rehab_clinic c ON c.id = p.clinic_id
CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE c.time_zone)::date AS today) d
JOIN LATERAL (
    SELECT min(v.start_date) AS start
    FROM programs_program pr
    JOIN programs_programversion v ON v.program_id = pr.id
    WHERE pr.patient_id = p.id AND pr.status = 'active' AND v.activated_at IS NOT NULL
) s ON s.start <= d.today
LEFT JOIN LATERAL (
    SELECT r.session_date AS last FROM programs_sessionreport r
    WHERE r.patient_id = p.id ORDER BY r.session_date DESC LIMIT 1
) r ON true
LEFT JOIN LATERAL (
    SELECT max(LEAST(pa.ends_on, COALESCE(pa.resumed_on, pa.ends_on))) AS last
    FROM patients_pause pa
    WHERE pa.patient_id = p.id AND pa.starts_on <= d.today
      AND (pa.resumed_on IS NULL OR pa.resumed_on > pa.starts_on)  -- a pause cancelled before it began is none
) pz ON true
WHERE GREATEST(COALESCE(r.last, s.start), COALESCE(pz.last, s.start), s.start) <= d.today - (c.rest_days_allowed + 2)
  AND NOT EXISTS (
      SELECT 1 FROM patients_pause pa
      WHERE pa.patient_id = p.id AND pa.starts_on <= d.today AND pa.ends_on >= d.today
        AND (pa.resumed_on IS NULL OR pa.resumed_on > d.today)
  )
  AND NOT EXISTS (
      SELECT 1 FROM patients_flag f WHERE f.patient_id = p.id AND f.reason = 'rest' AND f.status <> 'resolved'
  )
"""


def rest_candidates_lean(*, time_zone: str, rest_days_allowed: int, today):
    """The app's _rest_candidates, same arguments and rows, with the query reshaped:

    1. .order_by(): Patient's default ordering (user's last and first name) made every group query join
       rehab_user and sort, for rows nobody reads in order.
    2. The last report as ORDER BY session_date DESC LIMIT 1: one probe of report_patient_date_idx. The
       Max(...) with GROUP BY patient form reads every report of every patient (PostgreSQL's min/max
       optimisation does not apply to a grouped aggregate).
    3. The program start as the first start_date of the active program's activated versions (LIMIT 1, no
       GROUP BY), and no separate Exists(active program): a start implies one. The start subquery is still
       repeated where it is used, but each copy is two index probes.
    """
    from patients.models import Flag, FlagReason, FlagStatus, Patient, Pause
    from programs import rules
    from programs.models import Program, ProgramVersion, SessionReport

    program_start = (
        ProgramVersion.objects.filter(
            program__patient=OuterRef("pk"), program__status=Program.Status.ACTIVE, activated_at__isnull=False
        )
        .order_by("start_date")
        .values("start_date")[:1]
    )
    last_report = SessionReport.objects.filter(patient=OuterRef("pk")).order_by("-session_date").values("session_date")
    last_pause = (
        Pause.objects.filter(patient=OuterRef("pk"), starts_on__lte=today)
        .exclude(resumed_on__lte=F("starts_on"))  # cancelled before it began: not a pause at all
        .order_by()
        .values("patient")
        .annotate(last=Max(Least("ends_on", Coalesce("resumed_on", "ends_on"))))
        .values("last")
    )
    paused_today = Pause.objects.filter(
        Q(resumed_on__isnull=True) | Q(resumed_on__gt=today),
        patient=OuterRef("pk"),
        starts_on__lte=today,
        ends_on__gte=today,
    )
    open_rest_flag = Flag.objects.filter(patient=OuterRef("pk"), reason=FlagReason.REST).exclude(
        status=FlagStatus.RESOLVED
    )
    cutoff = rules.rest_cutoff(today=today, rest_days_allowed=rest_days_allowed)
    return (
        Patient.objects.filter(clinic__time_zone=time_zone, clinic__rest_days_allowed=rest_days_allowed)
        .filter(~Exists(paused_today), ~Exists(open_rest_flag))
        .annotate(start=Subquery(program_start), last_report=Subquery(last_report[:1]), last_pause=Subquery(last_pause))
        .filter(start__lte=today)
        .annotate(
            last_session=Greatest(
                Coalesce("last_report", "start"), Coalesce("last_pause", "start"), "start", output_field=DateField()
            )
        )
        .filter(last_session__lte=cutoff)
        .order_by()
        .values_list("pk", "last_session", "clinic__ack_hours")
    )


def flags_sweep_rest_one_query(*, now=None) -> int:
    """flags_sweep_rest with the candidates of every clinic from one statement; flags and events as the app's."""
    from django.db import connection
    from django.utils import timezone

    from patients.models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus
    from programs import rules

    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(ONE_QUERY_SQL, {"now": now})
        rows = cursor.fetchall()
    if not rows:
        return 0
    findings = {}
    todays = {}
    for patient_id, last_session, time_zone, allowed, ack_hours in rows:
        today = todays.get(time_zone)
        if today is None:
            today = todays[time_zone] = now.astimezone(ZoneInfo(time_zone)).date()
        finding = rules.rest_finding(last_session=last_session, today=today, paused=False, rest_days_allowed=allowed)
        details = {"rule": finding.rule, "explanation": finding.explanation, "values": finding.values}
        findings[patient_id] = (finding, details, ack_hours)
    Flag.objects.bulk_create(
        [
            Flag(
                patient_id=patient_id,
                reason=FlagReason.REST,
                details=details,
                opened_at=now,
                last_evidence_at=now,
                ack_due_at=now + timedelta(hours=ack_hours),
            )
            for patient_id, (_finding, details, ack_hours) in findings.items()
        ],
        ignore_conflicts=True,
    )
    mine = Flag.objects.filter(
        reason=FlagReason.REST, opened_at=now, patient_id__in=list(findings), status=FlagStatus.OPEN
    ).values_list("pk", "patient_id")
    events = [
        FlagEvent(
            flag_id=flag_id,
            kind=FlagEventKind.RAISED,
            at=now,
            values={"explanation": findings[patient_id][0].explanation, **findings[patient_id][0].values},
        )
        for flag_id, patient_id in mine
    ]
    FlagEvent.objects.bulk_create(events)
    return len(events)


def evaluate_missed_in_one_transaction(original):
    """flags_evaluate_missed, run inside one transaction (alerts are queued when it commits)."""
    from django.db import transaction

    def wrapper(**kwargs):
        with transaction.atomic():
            return original(**kwargs)

    return wrapper
