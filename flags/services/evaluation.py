"""The flag rules applied to reports: each check-in and each symptom report once it is saved (a task queued on
commit), and in batches by the sweep for any whose task was lost.

Evaluating a report again (a re-delivered message, a sweep after a crash, in any order) changes nothing that one
evaluation did not: it adds no second event, reopens no flag staff resolved for it, closes no rest flag it did not
end, and alerts nobody twice.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checkins import rules as checkin_rules
from checkins.models import CheckIn, SymptomReport
from checkins.services import FIELDS as CHECKIN_FIELDS
from patients.models import Patient
from patients.rules import threshold_on
from patients.selectors import threshold_steps
from rehab.enqueue import enqueue_on_commit

from .. import rules
from ..models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus
from .lifecycle import flag_record, flags_close_rest, flags_note_correction, rest_since

ALERT_TASK = "flags.tasks.send_flag_alert"


def queue_alerts(flags: list[Flag]) -> None:
    """Queue the alert of each flag that has evidence no alert has told yet, once per flag."""
    for pk in sorted({f.pk for f in flags if f.reason in rules.IMMEDIATE_REASONS and f.notified_at is None}):
        enqueue_on_commit(ALERT_TASK, pk)


def _handled(source: Q) -> dict[tuple[str, int], dict[str, dict]]:
    """Per report and reason, the values of the latest resolved flag that the report raised or added to: one query
    for the reports `source` selects (FlagEvent's checkin or symptom_report)."""
    handled: dict[tuple[str, int], dict[str, dict]] = defaultdict(dict)
    for checkin_id, report_id, reason, values in (
        FlagEvent.objects.filter(
            source, kind__in=[FlagEventKind.RAISED, FlagEventKind.EVIDENCE], flag__status=FlagStatus.RESOLVED
        )
        .order_by("pk")
        .values_list("checkin_id", "symptom_report_id", "flag__reason", "values")
    ):
        key = ("checkin", checkin_id) if checkin_id is not None else ("symptom_report", report_id)
        handled[key][reason] = values
    return handled


def _told_by_form(form_keys) -> dict:
    """Per check-in form, the warning symptoms its earlier symptom reports already told the clinic (reports sent
    while the rest of the form still needed answers), and those reports' ids: one query."""
    told: dict = defaultdict(lambda: (set(), []))
    for report in SymptomReport.objects.filter(form_key__in=list(form_keys)).order_by("pk"):
        symptoms, ids = told[report.form_key]
        symptoms.update(name for name, yes in report.symptoms.items() if yes)
        ids.append(report.pk)
    return told


def _record(
    findings: list[rules.Finding],
    *,
    patient,
    handled: dict[str, dict],
    told: set[str] = frozenset(),
    now,
    **source,
) -> list[Flag]:
    """Raise flags or add a report as evidence to the open ones. A rule whose flag staff already resolved for this
    report is flagged again only when the report is now worse (a correction raised the pain, or added a warning
    symptom); warning symptoms the same form already told alert nobody again."""
    flags = []
    for finding in findings:
        if finding.reason in handled and not rules.worse_than_handled(handled=handled[finding.reason], finding=finding):
            continue
        flag, _created = flag_record(
            patient=patient,
            reason=finding.reason,
            urgent=finding.urgent,
            rule=finding.rule,
            explanation=finding.explanation,
            values=finding.values,
            alert=not finding.urgent or bool(set(finding.values.get("symptoms", ())) - told),
            now=now,
            **source,
        )
        flags.append(flag)
    return flags


def _checkin_findings(checkin: CheckIn, *, recent_pains: list[int], steps) -> list[rules.Finding]:
    patient = checkin.patient
    return rules.checkin_findings(
        max_pain=checkin.max_pain,
        pain_now=checkin.pain_now,
        sharp_pain=checkin.sharp_pain,
        symptoms=checkin.symptoms,
        # Judged against the threshold in force on the session's day, not today's (rule 15).
        threshold=threshold_on(checkin.session_date, steps, current=patient.pain_threshold),
        recent_pains=recent_pains,
        session_date=checkin.session_date,
    )


def _handled_for_checkin(checkin: CheckIn, handled, told_by_form) -> dict[str, dict]:
    """What staff already resolved for this check-in, or for the symptom reports its own form sent early."""
    mine = dict(handled.get(("checkin", checkin.pk), {}))
    for report_id in told_by_form[checkin.idempotency_key][1]:
        for reason, values in handled.get(("symptom_report", report_id), {}).items():
            mine.setdefault(reason, values)
    return mine


def _note_corrections(checkin: CheckIn, *, told_by_form: set[str] = frozenset()) -> list[Flag]:
    """Say on the flags a check-in raised what each of its corrections changed, once per correction; returns the
    flags told. A warning symptom the correction form already told (a symptom report of that form) alerts nobody
    again."""
    if checkin.corrected_at is None:
        return []
    told = []
    corrections = list(checkin.corrections.order_by("corrected_at", "pk"))
    if not corrections:
        return []
    present = {field: getattr(checkin, field) for field in CHECKIN_FIELDS}
    for correction, after in zip(corrections, [c.previous for c in corrections[1:]] + [present], strict=True):
        before = correction.previous
        current = {**after, "session_date": checkin.session_date}
        symptoms = [name for name in checkin_rules.WARNING_SYMPTOM_FIELDS if after.get(name)]
        told += flags_note_correction(
            patient=checkin.patient,
            checkin_id=checkin.pk,
            correction_id=correction.pk,
            corrected_at=correction.corrected_at,
            explanation=checkin_rules.correction_explanation(previous=before, current=current),
            values={
                "max_pain": after["max_pain"],
                "pain_now": after["pain_now"],
                "sharp_pain": after["sharp_pain"],
                "symptoms": symptoms,
            },
            new_symptoms=any(
                after.get(name) and not before.get(name) and name not in told_by_form
                for name in checkin_rules.WARNING_SYMPTOM_FIELDS
            ),
        )
    return told


def _recent_pains(checkin: CheckIn) -> list[int]:
    """The highest pains of the patient's check-ins up to and including this one, oldest first."""
    earlier_or_same = Q(session_date__lt=checkin.session_date) | Q(
        session_date=checkin.session_date, submitted_at__lte=checkin.submitted_at
    )
    return list(
        CheckIn.objects.filter(earlier_or_same, patient_id=checkin.patient_id)
        .order_by("-session_date", "-submitted_at")
        .values_list("max_pain", flat=True)[: rules.WORSENING_RUN]
    )[::-1]


@transaction.atomic
def checkin_evaluate(*, checkin_id: int, now=None) -> list[Flag]:
    """Apply the flag rules to one check-in: raise or update flags, note its corrections, close an open rest
    flag its session ends. Idempotent."""
    now = now or timezone.now()
    checkin = (
        CheckIn.objects.select_for_update(of=("self",)).select_related("patient__clinic").filter(pk=checkin_id).first()
    )
    if checkin is None:
        return []
    told_by_form = _told_by_form([checkin.idempotency_key])
    told = _note_corrections(checkin, told_by_form=told_by_form[checkin.idempotency_key][0])
    findings = _checkin_findings(
        checkin,
        recent_pains=_recent_pains(checkin),
        steps=threshold_steps(patient_ids=[checkin.patient_id])[checkin.patient_id],
    )
    flags = _record(
        findings,
        patient=checkin.patient,
        handled=_handled_for_checkin(checkin, _handled(_sources(checkin, told_by_form)), told_by_form),
        told=told_by_form[checkin.idempotency_key][0],
        checkin_id=checkin.pk,
        now=now,
    )
    queue_alerts(told + flags)
    flags_close_rest(ends_rest={checkin.patient_id: (checkin.pk, checkin.session_date)}, now=now)
    checkin.evaluated_at = now
    checkin.save(update_fields=["evaluated_at"])
    return flags


def _sources(checkins, told_by_form) -> Q:
    """The events of these check-ins and of the symptom reports their forms sent early."""
    checkins = checkins if isinstance(checkins, list) else [checkins]
    report_ids = [pk for checkin in checkins for pk in told_by_form[checkin.idempotency_key][1]]
    return Q(checkin_id__in=[checkin.pk for checkin in checkins]) | Q(symptom_report_id__in=report_ids)


@transaction.atomic
def checkins_evaluate(*, checkin_ids: list[int], now=None) -> int:
    """checkin_evaluate for many check-ins at once, in a fixed number of queries plus one per flag it touches.

    Check-ins another worker is evaluating right now (locked) or has evaluated already are skipped. Should a live
    evaluation lock the same patient's flags in the other order, PostgreSQL aborts one of the two;
    flags_evaluate_missed then evaluates the batch one check-in at a time.
    """
    now = now or timezone.now()
    checkins = list(
        CheckIn.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("patient__clinic")
        .filter(pk__in=checkin_ids, evaluated_at__isnull=True)
        .order_by("submitted_at", "pk")  # the order their own tasks would have run in
    )
    if not checkins:
        return 0
    patient_ids = {checkin.patient_id for checkin in checkins}
    history = defaultdict(list)  # patient -> [((session date, submitted at), max pain)], oldest first
    for patient_id, session_date, submitted_at, max_pain in (
        CheckIn.objects.filter(patient_id__in=patient_ids)
        .order_by("patient_id", "session_date", "submitted_at")
        .values_list("patient_id", "session_date", "submitted_at", "max_pain")
    ):
        history[patient_id].append(((session_date, submitted_at), max_pain))
    steps = threshold_steps(patient_ids=patient_ids)
    told_by_form = _told_by_form(checkin.idempotency_key for checkin in checkins)
    handled = _handled(_sources(checkins, told_by_form))
    open_rest = {  # patient -> the last session their open rest flag's rest counts from
        flag.patient_id: rest_since(flag)
        for flag in Flag.objects.filter(patient_id__in=patient_ids, reason=FlagReason.REST)
        .exclude(status=FlagStatus.RESOLVED)
        .only("patient", "rest_since", "details")
    }
    ends_rest = {}  # patient -> their first check-in here whose session ends their open rest flag
    for checkin in checkins:
        upto = (checkin.session_date, checkin.submitted_at)
        recent = [pain for key, pain in history[checkin.patient_id] if key <= upto][-rules.WORSENING_RUN :]
        told = _note_corrections(checkin, told_by_form=told_by_form[checkin.idempotency_key][0])
        flags = _record(
            _checkin_findings(checkin, recent_pains=recent, steps=steps[checkin.patient_id]),
            patient=checkin.patient,
            handled=_handled_for_checkin(checkin, handled, told_by_form),
            told=told_by_form[checkin.idempotency_key][0],
            checkin_id=checkin.pk,
            now=now,
        )
        queue_alerts(told + flags)
        if checkin.patient_id in open_rest and rules.ends_rest(
            session_date=checkin.session_date, last_session=open_rest[checkin.patient_id]
        ):
            ends_rest.setdefault(checkin.patient_id, (checkin.pk, checkin.session_date))
    if ends_rest:
        flags_close_rest(ends_rest=ends_rest, now=now)
    CheckIn.objects.filter(pk__in=[checkin.pk for checkin in checkins]).update(evaluated_at=now)
    return len(checkins)


@transaction.atomic
def symptom_report_evaluate(*, report_id: int, now=None) -> list[Flag]:
    """Apply the flag rules to a symptom report sent without a session (rule 14): warning symptoms raise the urgent
    flag, a flare of sharp pain the sharp-pain flag, a note alone a new-symptom flag. It is never a session: it
    closes no rest flag. Idempotent."""
    now = now or timezone.now()
    report = (
        SymptomReport.objects.select_for_update(of=("self",))
        .select_related("patient__clinic")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return []
    patient = report.patient
    told: set[str] = set()
    if report.form_key is not None:  # what earlier reports from the same check-in form told already
        for earlier in SymptomReport.objects.filter(form_key=report.form_key, pk__lt=report.pk):
            told.update(name for name, yes in earlier.symptoms.items() if yes)
    findings = rules.symptom_report_findings(
        symptoms=report.symptoms,
        sharp_pain=report.sharp_pain,
        note=report.note,
        reported_on=timezone.localtime(report.reported_at, patient.clinic.tzinfo).date(),
    )
    flags = _record(
        findings,
        patient=patient,
        handled=_handled(Q(symptom_report_id=report.pk)).get(("symptom_report", report.pk), {}),
        told=told,
        symptom_report_id=report.pk,
        now=now,
    )
    queue_alerts(flags)
    report.evaluated_at = now
    report.save(update_fields=["evaluated_at"])
    return flags


@transaction.atomic
def flag_record_finding(*, patient: Patient, finding: rules.Finding, now=None, flare_up_id: int | None = None) -> Flag:
    """Raise a flag on a finding made outside the check-ins (a follow-up questionnaire worse than the first, found by
    the outcomes app; a flare-up, with its id as the event's source), or add it to the patient's open flag for the
    same reason, and queue its alert. The caller records each finding once (a questionnaire is scored once)."""
    flag, _created = flag_record(
        patient=patient,
        reason=finding.reason,
        urgent=finding.urgent,
        rule=finding.rule,
        explanation=finding.explanation,
        values=finding.values,
        flare_up_id=flare_up_id,
        now=now or timezone.now(),
    )
    queue_alerts([flag])
    return flag
