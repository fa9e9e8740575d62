"""The flag rules applied to check-ins: each check-in once it is saved (a task queued on commit), and in batches
by the sweep for any whose task was lost. Evaluating a check-in again changes nothing that one evaluation did not.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checkins import rules as checkin_rules
from checkins.models import CheckIn
from checkins.services import FIELDS as CHECKIN_FIELDS
from rehab.enqueue import enqueue_on_commit

from .. import rules
from ..models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus
from .lifecycle import flag_record, flags_close_rest, flags_note_correction

ALERT_TASK = "flags.tasks.send_flag_alert"


def _queue_alerts(flags: list[Flag]) -> None:
    """Queue the alert of each flag that has evidence no alert has told yet, once per flag."""
    for pk in sorted({f.pk for f in flags if f.reason in rules.IMMEDIATE_REASONS and f.notified_at is None}):
        enqueue_on_commit(ALERT_TASK, pk)


def _record_findings(checkin: CheckIn, *, recent_pains: list[int], now) -> list[Flag]:
    """The rules about one check-in: raise flags or add the check-in as evidence to the open ones."""
    patient = checkin.patient
    findings = rules.checkin_findings(
        max_pain=checkin.max_pain,
        sharp_pain=checkin.sharp_pain,
        symptoms={name: getattr(checkin, name) for name in checkin_rules.WARNING_SYMPTOM_FIELDS},
        threshold=patient.pain_threshold,
        recent_pains=recent_pains,
        session_date=checkin.session_date,
    )
    # A corrected check-in is evaluated again. Where staff already resolved the flag it raised, it is flagged
    # again only if the correction made it worse.
    handled = {}
    if checkin.corrected_at is not None:
        handled = dict(  # per reason, the values of the latest resolved flag this check-in raised or added to
            FlagEvent.objects.filter(
                checkin_id=checkin.pk,
                kind__in=[FlagEventKind.RAISED, FlagEventKind.EVIDENCE],
                flag__status=FlagStatus.RESOLVED,
            )
            .order_by("pk")
            .values_list("flag__reason", "values")
        )
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
            checkin_id=checkin.pk,
            now=now,
        )
        flags.append(flag)
    return flags


def _note_corrections(checkin: CheckIn) -> list[Flag]:
    """Say on the flags a check-in raised what each of its corrections changed, once per correction; returns the
    flags told."""
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
            new_symptoms=any(after.get(name) and not before.get(name) for name in checkin_rules.WARNING_SYMPTOM_FIELDS),
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
    flag. Idempotent."""
    now = now or timezone.now()
    checkin = (
        CheckIn.objects.select_for_update(of=("self",)).select_related("patient__clinic").filter(pk=checkin_id).first()
    )
    if checkin is None:
        return []
    told = _note_corrections(checkin)
    flags = _record_findings(checkin, recent_pains=_recent_pains(checkin), now=now)
    _queue_alerts(told + flags)
    flags_close_rest(ends_rest={checkin.patient_id: (checkin.pk, checkin.session_date)}, now=now)
    checkin.evaluated_at = now
    checkin.save(update_fields=["evaluated_at"])
    return flags


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
    open_rest = set(
        Flag.objects.filter(patient_id__in=patient_ids, reason=FlagReason.REST)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("patient_id", flat=True)
    )
    ends_rest = {}  # patient -> their first check-in here, which ends their open rest flag
    for checkin in checkins:
        upto = (checkin.session_date, checkin.submitted_at)
        recent = [pain for key, pain in history[checkin.patient_id] if key <= upto][-rules.WORSENING_RUN :]
        told = _note_corrections(checkin)
        _queue_alerts(told + _record_findings(checkin, recent_pains=recent, now=now))
        if checkin.patient_id in open_rest:
            ends_rest.setdefault(checkin.patient_id, (checkin.pk, checkin.session_date))
    if ends_rest:
        flags_close_rest(ends_rest=ends_rest, now=now)
    CheckIn.objects.filter(pk__in=[checkin.pk for checkin in checkins]).update(evaluated_at=now)
    return len(checkins)
