"""Writes about the exercise library, programs and templates. Keyword-only, validated, transactional."""

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, DateField, DateTimeField, Exists, F, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.text import slugify

from patients import services as patient_services
from patients.models import Flag, FlagEvent, FlagEventKind, FlagReason, FlagStatus, Patient, Pause
from rehab import db
from rehab.db import id_slices
from rehab.models import Clinic, User

from . import rules
from .models import (
    Exercise,
    ExerciseMuscle,
    ExerciseOutcome,
    ExerciseResult,
    MuscleGroup,
    Program,
    ProgramExercise,
    ProgramTemplate,
    ProgramVersion,
    ReportCorrection,
    SessionReport,
    TemplateExercise,
)
from .selectors import progression_for, version_program_start

logger = logging.getLogger(__name__)

# --- Exercise library --------------------------------------------------------------------------


def _check_dose(*, sets, reps, hold_seconds, rest_seconds) -> None:
    errors = rules.dose_errors(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def exercise_create(
    *,
    clinic: Clinic,
    created_by: User,
    name: str,
    category: str,
    difficulty: int,
    equipment: str,
    summary: str,
    instructions: str,
    muscle_groups: list[str],
    sets: int,
    reps: int | None,
    hold_seconds: int | None,
    rest_seconds: int,
    easier: Exercise | None = None,
    harder: Exercise | None = None,
) -> Exercise:
    """Add a clinic's own exercise to the library."""
    _check_dose(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    if not muscle_groups:
        raise ValidationError({"muscle_groups": "Choose at least one muscle group."})
    unknown = set(muscle_groups) - set(MuscleGroup.values)
    if unknown:
        raise ValidationError({"muscle_groups": "Choose muscle groups from the list."})
    for field, variant in (("easier", easier), ("harder", harder)):
        if variant is not None and variant.clinic_id not in (None, clinic.pk):
            raise ValidationError({field: "Choose an exercise from your clinic's library."})
    name = name.strip()
    key = slugify(name)[:80] or "exercise"
    if Exercise.objects.filter(clinic=clinic, key=key).exists():
        key = f"{key[:70]}-{Exercise.objects.filter(clinic=clinic).count() + 1}"
    exercise = Exercise(
        clinic=clinic,
        created_by=created_by,
        key=key,
        name=name,
        category=category,
        difficulty=difficulty,
        equipment=equipment,
        summary=summary.strip(),
        instructions=instructions.strip(),
        sets=sets,
        reps=reps,
        hold_seconds=hold_seconds,
        rest_seconds=rest_seconds,
        easier=easier,
        harder=harder,
    )
    exercise.full_clean()
    exercise.save()
    ExerciseMuscle.objects.bulk_create(
        ExerciseMuscle(exercise=exercise, group=group, primary=i == 0) for i, group in enumerate(muscle_groups)
    )
    return exercise


# --- Programs ----------------------------------------------------------------------------------

COPIED_FIELDS = ("exercise_id", "position", "sets", "reps", "hold_seconds", "rest_seconds", "notes")


def _copy_items(items, model, *, derive: bool = False, **owner) -> None:
    """Copy ordered, dosed exercises between versions and templates; `derive` links each copy to its source."""
    model.objects.bulk_create(
        model(**owner, **{f: getattr(item, f) for f in COPIED_FIELDS}, **({"derived_from": item} if derive else {}))
        for item in items
    )


def _check_schedule(*, weekdays: list[int], sessions_per_week: int | None, start_date: date, today: date) -> None:
    errors = {}
    if weekdays and any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Choose days of the week from the list."
    if not weekdays and not sessions_per_week:
        errors["weekdays"] = "Choose the session days, or a number of sessions a week."
    if weekdays and sessions_per_week:
        errors["sessions_per_week"] = "Give session days or a number of sessions a week, not both."
    if sessions_per_week is not None and not 1 <= sessions_per_week <= 7:
        errors["sessions_per_week"] = "Sessions a week must be between 1 and 7."
    start_error = rules.start_date_error(start_date, today)
    if start_error:
        errors["start_date"] = start_error
    if errors:
        raise ValidationError(errors)


def _require_draft(version: ProgramVersion) -> None:
    if version.status != ProgramVersion.Status.DRAFT:
        raise ValidationError("Only a draft can be changed. Start a revision to change a program in force.")


@transaction.atomic
def program_create(
    *,
    patient: Patient,
    created_by: User,
    title: str,
    start_date: date,
    weekdays: list[int],
    sessions_per_week: int | None = None,
    template: ProgramTemplate | None = None,
) -> Program:
    """Start a new program for a patient as a draft (version 1), optionally from a clinic template."""
    if template is not None and template.clinic_id != patient.clinic_id:
        raise ValidationError({"template": "Choose a template of this clinic."})
    Patient.objects.select_for_update().get(pk=patient.pk)  # one new program at a time per patient
    if Program.objects.filter(patient=patient, status=Program.Status.DRAFT).exists():
        raise ValidationError("This patient already has a program being built: finish or discard it first.")
    if template is not None and not weekdays and not sessions_per_week:
        weekdays, sessions_per_week = list(template.weekdays), template.sessions_per_week
    weekdays = sorted(set(weekdays))
    _check_schedule(
        weekdays=weekdays,
        sessions_per_week=sessions_per_week,
        start_date=start_date,
        today=patient.clinic.local_today(),
    )
    program = Program.objects.create(
        patient=patient, title=title.strip() or "Back exercise program", created_by=created_by
    )
    version = ProgramVersion.objects.create(
        program=program,
        number=1,
        start_date=start_date,
        weekdays=weekdays,
        sessions_per_week=None if weekdays else sessions_per_week,
        created_by=created_by,
        change_note=f"Started from the template '{template.name}'." if template else "",
    )
    if template is not None:
        _copy_items(template.items.all(), ProgramExercise, version=version)
    return program


@transaction.atomic
def program_set_schedule(
    *, version: ProgramVersion, title: str, start_date: date, weekdays: list[int], sessions_per_week: int | None
) -> ProgramVersion:
    _require_draft(version)
    weekdays = sorted(set(weekdays))
    program = version.program
    today = program.patient.clinic.local_today()
    _check_schedule(weekdays=weekdays, sessions_per_week=sessions_per_week, start_date=start_date, today=today)
    version.start_date = start_date
    version.weekdays = weekdays
    version.sessions_per_week = None if weekdays else sessions_per_week
    version.full_clean()
    version.save(update_fields=["start_date", "weekdays", "sessions_per_week"])
    title = title.strip()
    if title and title != program.title:
        program.title = title
        program.save(update_fields=["title"])
    return version


def _lock_draft(version: ProgramVersion) -> ProgramVersion:
    version = ProgramVersion.objects.select_for_update().select_related("program__patient").get(pk=version.pk)
    _require_draft(version)
    return version


def _refuse_twice(version: ProgramVersion, exercise: Exercise) -> None:
    """An exercise appears once in a program: the check-in asks about each item, and a second set of the same
    exercise belongs in its dose."""
    if version.items.filter(exercise=exercise).exists():
        raise ValidationError(f"{exercise.name} is already in this program: change its dose instead.")


@transaction.atomic
def program_add_exercise(*, version: ProgramVersion, exercise: Exercise) -> ProgramExercise:
    """Append an exercise to a draft with the exercise's default dose."""
    version = _lock_draft(version)
    if exercise.clinic_id not in (None, version.program.patient.clinic_id):
        raise ValidationError("Choose an exercise from your clinic's library.")
    _refuse_twice(version, exercise)
    last = version.items.aggregate(last=Max("position"))["last"] or 0
    item = ProgramExercise(
        version=version,
        exercise=exercise,
        position=last + 1,
        sets=exercise.sets,
        reps=exercise.reps,
        hold_seconds=exercise.hold_seconds,
        rest_seconds=exercise.rest_seconds,
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def program_update_item(
    *, item: ProgramExercise, sets: int, reps: int | None, hold_seconds: int | None, rest_seconds: int, notes: str
) -> ProgramExercise:
    _lock_draft(item.version)
    _check_dose(sets=sets, reps=reps, hold_seconds=hold_seconds, rest_seconds=rest_seconds)
    item.sets, item.reps, item.hold_seconds, item.rest_seconds = sets, reps, hold_seconds, rest_seconds
    item.notes = notes.strip()
    item.full_clean()
    item.save(update_fields=["sets", "reps", "hold_seconds", "rest_seconds", "notes"])
    return item


@transaction.atomic
def program_remove_item(*, item: ProgramExercise) -> None:
    version = _lock_draft(item.version)
    position = item.position
    item.delete()
    version.items.filter(position__gt=position).update(position=F("position") - 1)


@transaction.atomic
def program_move_item(*, item: ProgramExercise, direction: str) -> None:
    """Swap an exercise with its neighbour above ("up") or below ("down")."""
    version = _lock_draft(item.version)
    item = version.items.get(pk=item.pk)
    target = item.position - 1 if direction == "up" else item.position + 1
    neighbour = version.items.filter(position=target).first()
    if neighbour is None:
        return  # already first or last
    # The unique (version, position) constraint is checked at commit, so the swap may pass through a duplicate.
    neighbour.position, item.position = item.position, neighbour.position
    ProgramExercise.objects.bulk_update([item, neighbour], ["position"])


@transaction.atomic
def program_swap_variant(*, item: ProgramExercise, direction: str) -> ProgramExercise:
    """Replace an exercise with its easier or harder variant, at the variant's default dose."""
    _lock_draft(item.version)
    variant = item.exercise.easier if direction == "easier" else item.exercise.harder
    if variant is None:
        raise ValidationError(f"{item.exercise.name} has no {direction} variant.")
    _refuse_twice(item.version, variant)
    item.exercise = variant
    item.sets, item.reps, item.hold_seconds, item.rest_seconds = (
        variant.sets,
        variant.reps,
        variant.hold_seconds,
        variant.rest_seconds,
    )
    item.full_clean()
    item.save(update_fields=["exercise", "sets", "reps", "hold_seconds", "rest_seconds"])
    return item


@transaction.atomic
def program_activate(
    *, version: ProgramVersion, activated_by: User, progression_reason: str = "", change_note: str = ""
) -> ProgramVersion:
    """Put a draft version in force. A revision that grows too fast needs a confirmation reason."""
    version = _lock_draft(version)
    program = version.program
    patient = program.patient
    if not version.items.exists():
        raise ValidationError("Add at least one exercise before activating the program.")
    start_error = rules.start_date_error(version.start_date, patient.clinic.local_today()) or version.past_start_error
    if start_error:
        raise ValidationError({"start_date": start_error})
    check = progression_for(version)
    progression_reason = progression_reason.strip()
    if check is not None and check.needs_confirmation and not progression_reason:
        raise ValidationError(
            {"progression_reason": "This revision steps up faster than the progression rule allows: give the reason."}
        )
    now = timezone.now()
    previous = program.versions.select_for_update().filter(status=ProgramVersion.Status.ACTIVE).first()
    if previous is not None:
        previous.status = ProgramVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
    # A patient has one active program: a new one replaces whichever was in force.
    for other in (
        Program.objects.select_for_update().filter(patient=patient, status=Program.Status.ACTIVE).exclude(pk=program.pk)
    ):
        other.status, other.ended_at = Program.Status.ENDED, now
        other.save(update_fields=["status", "ended_at"])
        other.versions.filter(status=ProgramVersion.Status.ACTIVE).update(
            status=ProgramVersion.Status.SUPERSEDED, superseded_at=now
        )
    version.status = ProgramVersion.Status.ACTIVE
    version.activated_by, version.activated_at = activated_by, now
    version.progression_reason = progression_reason if check and check.needs_confirmation else ""
    if change_note.strip():
        version.change_note = change_note.strip()
    version.save(update_fields=["status", "activated_by", "activated_at", "progression_reason", "change_note"])
    if program.status != Program.Status.ACTIVE:
        program.status = Program.Status.ACTIVE
        program.save(update_fields=["status"])
    return version


@transaction.atomic
def program_revise(*, program: Program, created_by: User) -> ProgramVersion:
    """Open a new draft version of an active program, copying the version in force."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    draft = program.versions.filter(status=ProgramVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    current = program.versions.filter(status=ProgramVersion.Status.ACTIVE).first()
    if current is None:
        raise ValidationError("Only a program in force can be revised.")
    number = program.versions.aggregate(n=Max("number"))["n"] + 1
    today = program.patient.clinic.local_today()
    draft = ProgramVersion.objects.create(
        program=program,
        number=number,
        start_date=max(today, current.start_date),
        weekdays=current.weekdays,
        sessions_per_week=current.sessions_per_week,
        based_on=current,
        created_by=created_by,
    )
    _copy_items(current.items.all(), ProgramExercise, derive=True, version=draft)
    return draft


@transaction.atomic
def program_discard_draft(*, version: ProgramVersion) -> Program | None:
    """Throw away a draft. A program that was never activated goes with it; returns the program if kept."""
    version = _lock_draft(version)
    program = version.program
    version.items.all().delete()
    version.delete()
    if not program.versions.exists():
        program.delete()
        return None
    return program


# --- Templates ---------------------------------------------------------------------------------


@transaction.atomic
def template_create_from_version(
    *, version: ProgramVersion, created_by: User, name: str, description: str = ""
) -> ProgramTemplate:
    clinic_id = version.program.patient.clinic_id
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    if ProgramTemplate.objects.filter(clinic_id=clinic_id, name__iexact=name).exists():
        raise ValidationError({"name": "Your clinic already has a template with this name."})
    items = list(version.items.all())
    if not items:
        raise ValidationError("A template needs at least one exercise.")
    template = ProgramTemplate(
        clinic_id=clinic_id,
        name=name,
        description=description.strip(),
        weekdays=version.weekdays,
        sessions_per_week=version.sessions_per_week,
        created_by=created_by,
    )
    template.full_clean()
    template.save()
    _copy_items(items, TemplateExercise, template=template)
    return template


# --- Check-ins ---------------------------------------------------------------------------------

REPORT_FIELDS = ("session_date", "max_pain", "pain_now", "sharp_pain", *rules.WARNING_SYMPTOM_FIELDS, "note")


def _check_report(
    *, patient: Patient, version: ProgramVersion, outcomes: dict[int, str], values: dict, correcting: bool = False
) -> None:
    errors: dict[str, str] = {}
    # No query when the version's items were prefetched (selectors.checkin_items, as the check-in page does);
    # only draft versions can change their items, so those the page listed are the ones in force.
    item_ids = {item.pk for item in version.items.all()}
    answered = {pk for pk, outcome in outcomes.items() if outcome in ExerciseOutcome.values}
    if not answered & item_ids:
        errors["exercises"] = "Say how the exercises went: done, partly or skipped."
    elif item_ids - answered:
        errors["exercises"] = "Say how each exercise went (done, partly or skipped)."
    elif answered - item_ids:
        errors["exercises"] = "These exercises are not in your program."
    for field in ("max_pain", "pain_now"):
        value = values.get(field)
        if value is None or not 0 <= value <= 5:
            errors[field] = "Choose a number from 0 (no pain) to 5 (worst pain)."
    if len(values.get("note") or "") > rules.REPORT_NOTE_MAX:
        errors["note"] = f"Keep the note under {rules.REPORT_NOTE_MAX} characters."
    if not correcting:
        date_error = rules.session_date_error(
            session_date=values["session_date"],
            today=patient.clinic.local_today(),
            program_start=version_program_start(version),
        )
        if date_error:
            errors["session_date"] = date_error
    if errors:
        raise ValidationError(errors)


def _queue_evaluation(report_id: int) -> None:
    # robust=True: a broker that is down must not turn a saved report into an error page. The
    # periodic sweep evaluates every report whose evaluated_at is still empty.
    from .tasks import evaluate_report

    transaction.on_commit(lambda: evaluate_report.delay(report_id), robust=True)


@transaction.atomic
def report_submit(
    *,
    patient: Patient,
    version: ProgramVersion,
    idempotency_key,
    outcomes: dict[int, str],
    session_date: date,
    max_pain: int,
    pain_now: int,
    sharp_pain: bool,
    bladder_bowel: bool = False,
    saddle_numbness: bool = False,
    leg_weakness: bool = False,
    note: str = "",
) -> tuple[SessionReport, bool]:
    """Save a check-in once. The same idempotency key again returns the stored report: (report, created)."""
    existing = SessionReport.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.patient_id != patient.pk:
            raise ValidationError("This form has already been used. Please open the check-in again.")
        return existing, False
    if version.program.patient_id != patient.pk or version.status != ProgramVersion.Status.ACTIVE:
        raise ValidationError("This is not your current program. Please open the check-in again.")
    values = {
        "session_date": session_date,
        "max_pain": max_pain,
        "pain_now": pain_now,
        "sharp_pain": sharp_pain,
        "bladder_bowel": bladder_bowel,
        "saddle_numbness": saddle_numbness,
        "leg_weakness": leg_weakness,
        "note": (note or "").strip(),
    }
    _check_report(patient=patient, version=version, outcomes=outcomes, values=values)
    report = SessionReport(patient=patient, version=version, idempotency_key=idempotency_key, **values)
    # _check_report has checked the ranges with the patient's own words and the database's CHECK constraints
    # enforce them again, so Django's constraint checks (a query each) and foreign-key lookups are skipped.
    report.full_clean(exclude=["patient", "version"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # The same form submitted twice at the same moment: the other request stored it.
        return SessionReport.objects.get(idempotency_key=idempotency_key), False
    ExerciseResult.objects.bulk_create(
        ExerciseResult(report=report, item_id=pk, outcome=outcome) for pk, outcome in sorted(outcomes.items())
    )
    _queue_evaluation(report.pk)
    return report, True


def _snapshot(report: SessionReport) -> dict:
    data = {field: getattr(report, field) for field in REPORT_FIELDS}
    data["session_date"] = report.session_date.isoformat()
    data["outcomes"] = {str(r.item_id): r.outcome for r in report.results.all()}
    return data


@transaction.atomic
def report_correct(
    *,
    report: SessionReport,
    outcomes: dict[int, str],
    max_pain: int,
    pain_now: int,
    sharp_pain: bool,
    bladder_bowel: bool = False,
    saddle_numbness: bool = False,
    leg_weakness: bool = False,
    note: str = "",
) -> SessionReport:
    """Correct a report within 24 hours of sending it. The values it had are kept for staff to see."""
    report = SessionReport.objects.select_for_update().select_related("patient__clinic", "version").get(pk=report.pk)
    now = timezone.now()
    if not rules.can_correct(submitted_at=report.submitted_at, now=now):
        raise ValidationError("A report can be corrected only within 24 hours of sending it.")
    values = {
        "session_date": report.session_date,
        "max_pain": max_pain,
        "pain_now": pain_now,
        "sharp_pain": sharp_pain,
        "bladder_bowel": bladder_bowel,
        "saddle_numbness": saddle_numbness,
        "leg_weakness": leg_weakness,
        "note": (note or "").strip(),
    }
    _check_report(patient=report.patient, version=report.version, outcomes=outcomes, values=values, correcting=True)
    previous = _snapshot(report)
    ReportCorrection.objects.create(report=report, previous=previous, corrected_at=now)
    for field, value in values.items():
        setattr(report, field, value)
    report.corrected_at = now
    report.evaluated_at = None  # the flag rules look at it again
    report.full_clean(validate_unique=False)
    report.save()
    for result in report.results.all():
        new = outcomes.get(result.item_id)
        if new and new != result.outcome:
            result.outcome = new
            result.save(update_fields=["outcome"])
    told = patient_services.flags_note_correction(
        patient=report.patient,
        report_id=report.pk,
        explanation=rules.correction_explanation(previous=previous, current=values),
        values={
            "max_pain": max_pain,
            "pain_now": pain_now,
            "sharp_pain": sharp_pain,
            "symptoms": [name for name in rules.WARNING_SYMPTOM_FIELDS if values[name]],
        },
        new_symptoms=any(values[name] and not previous.get(name) for name in rules.WARNING_SYMPTOM_FIELDS),
        now=now,
    )
    for flag in told:
        if flag.notified_at is None and flag.reason in rules.IMMEDIATE_REASONS:
            _queue_alert(flag.pk)
    _queue_evaluation(report.pk)
    return report


# --- Flag evaluation (rules 3-7) ---------------------------------------------------------------

UNEVALUATED_GRACE = timedelta(minutes=2)  # reports younger than this are left to their queued task
UNEVALUATED_BATCH = 500
EVALUATE_CHUNK = 100  # reports evaluated in one transaction by the sweep


def _queue_alert(flag_id: int) -> None:
    from .tasks import send_flag_alert

    transaction.on_commit(lambda: send_flag_alert.delay(flag_id), robust=True)


def _record_findings(report: SessionReport, *, recent_pains: list[int], now) -> list:
    """Rules 3-6 on one report: raise flags or add the report as evidence to the open ones."""
    patient = report.patient
    findings = rules.report_findings(
        max_pain=report.max_pain,
        sharp_pain=report.sharp_pain,
        symptoms={name: getattr(report, name) for name in rules.WARNING_SYMPTOM_FIELDS},
        threshold=patient.pain_threshold,
        recent_pains=recent_pains,
        session_date=report.session_date,
    )
    # A corrected report is evaluated again. Where staff already resolved the flag it raised, it is flagged
    # again only if the correction made it worse.
    handled = {}
    if report.corrected_at is not None:
        handled = dict(  # per reason, the values of the latest resolved flag this report raised or added to
            FlagEvent.objects.filter(
                report_id=report.pk,
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
        flag, _created = patient_services.flag_record(
            patient=patient,
            reason=finding.reason,
            urgent=finding.urgent,
            rule=finding.rule,
            explanation=finding.explanation,
            values=finding.values,
            report_id=report.pk,
            now=now,
        )
        if finding.reason in rules.IMMEDIATE_REASONS and flag.notified_at is None:
            _queue_alert(flag.pk)
        flags.append(flag)
    return flags


@transaction.atomic
def report_evaluate(*, report_id: int, now=None) -> list:
    """Apply rules 3-6 to one report, raise or update flags, close an open rest flag. Idempotent."""
    now = now or timezone.now()
    report = (
        SessionReport.objects.select_for_update(of=("self",))
        .select_related("patient__clinic")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return []
    earlier_or_same = Q(session_date__lt=report.session_date) | Q(
        session_date=report.session_date, submitted_at__lte=report.submitted_at
    )
    recent = list(
        SessionReport.objects.filter(earlier_or_same, patient_id=report.patient_id)
        .order_by("-session_date", "-submitted_at")
        .values_list("max_pain", flat=True)[: rules.WORSENING_RUN]
    )[::-1]
    flags = _record_findings(report, recent_pains=recent, now=now)
    patient_services.flag_close_rest(patient=report.patient, report_id=report.pk, session_date=report.session_date)
    report.evaluated_at = now
    report.save(update_fields=["evaluated_at"])
    return flags


@transaction.atomic
def reports_evaluate(*, report_ids: list[int], now=None) -> int:
    """report_evaluate for many reports at once, in a fixed number of queries plus one per flag it touches.

    Reports another worker is evaluating right now (locked) or has evaluated already are skipped. Should a
    live evaluation lock the same patient's flags in the other order, PostgreSQL aborts one of the two;
    flags_evaluate_missed then evaluates the batch one report at a time.
    """
    now = now or timezone.now()
    reports = list(
        SessionReport.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("patient__clinic")
        .filter(pk__in=report_ids, evaluated_at__isnull=True)
        .order_by("submitted_at", "pk")  # the order their own tasks would have run in
    )
    if not reports:
        return 0
    patient_ids = {report.patient_id for report in reports}
    history = defaultdict(list)  # patient -> [((session date, submitted at), max pain)], oldest first
    for patient_id, session_date, submitted_at, max_pain in (
        SessionReport.objects.filter(patient_id__in=patient_ids)
        .order_by("patient_id", "session_date", "submitted_at")
        .values_list("patient_id", "session_date", "submitted_at", "max_pain")
    ):
        history[patient_id].append(((session_date, submitted_at), max_pain))
    open_rest = set(
        Flag.objects.filter(patient_id__in=patient_ids, reason=FlagReason.REST)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("patient_id", flat=True)
    )
    ends_rest = {}  # patient -> their first report here, which ends their open rest flag
    for report in reports:
        upto = (report.session_date, report.submitted_at)
        recent = [pain for key, pain in history[report.patient_id] if key <= upto][-rules.WORSENING_RUN :]
        _record_findings(report, recent_pains=recent, now=now)
        if report.patient_id in open_rest:
            ends_rest.setdefault(report.patient_id, (report.pk, report.session_date))
    if ends_rest:
        patient_services.flags_close_rest(ends_rest=ends_rest, now=now)
    SessionReport.objects.filter(pk__in=[report.pk for report in reports]).update(evaluated_at=now)
    return len(reports)


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
    today = Case(
        *[When(clinic__time_zone=time_zone, then=Value(day)) for time_zone, day in todays.items()],
        output_field=DateField(),
    )
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
    # The newest report through the (patient, session date) index: one index entry, not every report.
    last_report = (
        SessionReport.objects.filter(patient=OuterRef("pk")).order_by("-session_date").values("session_date")[:1]
    )
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
    open_rest_flag = Flag.objects.filter(patient=OuterRef("pk"), reason=FlagReason.REST).exclude(
        status=FlagStatus.RESOLVED
    )
    # A rest flag staff resolved after the cutoff day counts like a session: they have been in touch, so the
    # patient is flagged again only if the rest goes on for more than the allowed days after that. A flag a
    # report closed does not: the report's own session date already counts, however late it was sent.
    resolved_lately = Flag.objects.filter(
        patient=OuterRef("pk"),
        reason=FlagReason.REST,
        resolved_at__gte=OuterRef("after_cutoff"),
        resolved_by__isnull=False,
    )
    never = Value(date.min)  # stands in for "no report" or "no pause": GREATEST ignores it on every database
    return (
        Patient.objects.order_by()
        .annotate(today=today, cutoff=cutoff, after_cutoff=after_cutoff)
        .filter(Exists(active_program), ~Exists(open_rest_flag), ~Exists(paused_today))
        # The last session is the latest of the last report, the end of the last pause and the program's start
        # (reports and pauses of an older program do not count). It is on or before the cutoff when each of
        # the three is: tested one by one, the cheapest first, most patients (who reported recently) are ruled
        # out by the report alone. A program with no start, or one not started yet, never passes: the cutoff
        # is before today.
        .alias(
            last_report=Coalesce(Subquery(last_report), never),
            last_pause=Coalesce(Subquery(last_pause), never),
            start=Subquery(program_start),
        )
        .filter(last_report__lte=F("cutoff"), last_pause__lte=F("cutoff"), start__lte=F("cutoff"))
        .annotate(last_session=Greatest("last_report", "last_pause", "start", output_field=DateField()))
        .filter(~Exists(resolved_lately))
        .values_list("pk", "last_session", "today", "clinic__rest_days_allowed", "clinic__ack_hours")
    )


def flags_sweep_rest(*, now=None) -> int:
    """Rule 7 for every clinic, set-based: a fixed number of queries, whatever the clinics and patients."""
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


def flags_evaluate_missed(*, now=None) -> int:
    """Evaluate reports whose queued evaluation never ran (broker down, worker lost)."""
    now = now or timezone.now()
    ids = list(
        SessionReport.objects.filter(evaluated_at__isnull=True, submitted_at__lte=now - UNEVALUATED_GRACE)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:UNEVALUATED_BATCH]
    )
    done = 0
    for chunk in id_slices(ids, EVALUATE_CHUNK):
        try:
            done += reports_evaluate(report_ids=chunk, now=now)
            continue
        except Exception:
            logger.exception("Could not evaluate reports %s together; trying them one at a time", chunk)
        for report_id in chunk:  # one bad report must not hold back the others
            try:
                report_evaluate(report_id=report_id, now=now)
                done += 1
            except Exception:
                logger.exception("Could not evaluate report %s; the next sweep tries again", report_id)
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
            sent += patient_services.flag_send_alert(flag_id=flag_id)
        except Exception:
            logger.exception("Could not send the alert for flag %s; the next sweep tries again", flag_id)
    return sent


def flags_sweep(*, now=None) -> dict[str, int]:
    """The periodic sweep: missed evaluations first (they may close rest flags), then rule 7, then any
    alert that never went out."""
    now = now or timezone.now()
    evaluated = flags_evaluate_missed(now=now)
    rest = flags_sweep_rest(now=now)
    return {"evaluated": evaluated, "rest_flags": rest, "alerts": flags_send_missed_alerts(now=now)}
