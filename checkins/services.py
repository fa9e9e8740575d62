"""Writes about check-ins (sending one, correcting it) and symptom reports sent without a session. Keyword-only,
validated, one transaction each.

The flag rules look at every check-in and symptom report once it is saved: the flags app's task is queued by name
on commit, and the flags app, not this one, says on the patient's flags what a correction changed.
"""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient
from patients.selectors import open_episode
from programs.models import ProgramVersion
from programs.selectors import flare_up_in_force, plan_in_force, version_program_start
from rehab.enqueue import enqueue_on_commit

from . import rules
from .models import CheckIn, CheckInCorrection, ExerciseOutcome, ExerciseResult, SymptomReport

EVALUATE_TASK = "flags.tasks.evaluate_checkin"
EVALUATE_SYMPTOMS_TASK = "flags.tasks.evaluate_symptom_report"
DISCHARGED = (
    "Your course of care has ended, so there are no more sessions to report. Keep exercising on your own: your "
    "program and your physiotherapist's advice are on your Today page."
)
CARE_ENDED_CORRECTION = "Your course of care has ended, so your reports can no longer be corrected."
# After a discharge nobody follows a patient's reports here (no flag is raised or escalated): they are told where to go.
DISCHARGED_SYMPTOMS = (
    "Your course of care has ended, so the clinic no longer follows reports sent here. If you have new problems "
    "controlling your bladder or bowel, numbness between your legs or new weakness in both legs, get urgent medical "
    "help now: go to an emergency department or call your local emergency number. For anything else, call the clinic."
)
FIELDS = ("session_date", "max_pain", "pain_now", "sharp_pain", *rules.WARNING_SYMPTOM_FIELDS, "note")


def _check(
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
    if len(values.get("note") or "") > rules.NOTE_MAX:
        errors["note"] = f"Keep the note under {rules.NOTE_MAX} characters."
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


def _in_force(patient: Patient, version: ProgramVersion) -> bool:
    """A check-in is on the version in force: the program's, or the flare-up plan while a flare-up lasts (rule 18)."""
    if version.status == ProgramVersion.Status.ACTIVE:
        return True
    plan = plan_in_force(flare_up_in_force(patient, today=patient.clinic.local_today()))
    return plan is not None and plan.pk == version.pk


ALREADY_USED = "This form has already been used. Please open the check-in again."


def _stored_by_form(*, idempotency_key, patient: Patient) -> CheckIn | None:
    """The check-in this form has stored already (the same form sent twice, or again by a phone that lost the answer),
    if it has; refused if the form stored another patient's."""
    existing = CheckIn.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.patient_id != patient.pk:
        raise ValidationError(ALREADY_USED)
    return existing


def checkin_submit(
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
) -> tuple[CheckIn, bool]:
    """Save a check-in once, with its exercises, in one transaction. The same idempotency key again returns the
    stored check-in: (check-in, created).

    The key is looked up only when the form cannot be stored as it is: when it is refused (it may have been stored
    before the program changed) or when the database refuses a second check-in with its key. Sending a report
    reads nothing before writing it."""
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
    checkin = CheckIn(patient=patient, version=version, idempotency_key=idempotency_key, **values)
    try:
        if version.program.patient_id != patient.pk or not _in_force(patient, version):
            # A version in force belongs to a patient in a course of care (a discharge ends the program, and no
            # program is put in force without one), so only a refused check-in asks whether the patient is discharged.
            if version.program.patient_id == patient.pk and open_episode(patient) is None:
                raise ValidationError(DISCHARGED)
            raise ValidationError("This is not your current program. Please open the check-in again.")
        _check(patient=patient, version=version, outcomes=outcomes, values=values)
        # _check has checked the ranges with the patient's own words and the database's CHECK constraints enforce
        # them again, so Django's constraint checks (a query each) and foreign-key lookups are skipped.
        checkin.full_clean(exclude=["patient", "version"], validate_unique=False, validate_constraints=False)
    except ValidationError:
        stored = _stored_by_form(idempotency_key=idempotency_key, patient=patient)
        if stored is not None:
            return stored, False
        raise
    try:
        # A savepoint inside the request's transaction: a key the database refuses leaves the rest of it usable.
        with transaction.atomic():
            checkin.save()
            ExerciseResult.objects.bulk_create(
                ExerciseResult(checkin=checkin, item_id=pk, outcome=outcome) for pk, outcome in sorted(outcomes.items())
            )
    except IntegrityError:
        # Stored already, perhaps a moment ago by the same form sent twice at once (the unique key waits for it).
        stored = _stored_by_form(idempotency_key=idempotency_key, patient=patient)
        if stored is None:
            raise
        return stored, False
    enqueue_on_commit(EVALUATE_TASK, checkin.pk)
    return checkin, True


def snapshot(checkin: CheckIn) -> dict:
    """A check-in's values as a correction keeps them."""
    data = {field: getattr(checkin, field) for field in FIELDS}
    data["session_date"] = checkin.session_date.isoformat()
    data["outcomes"] = {str(r.item_id): r.outcome for r in checkin.results.all()}
    return data


@transaction.atomic
def checkin_correct(
    *,
    checkin: CheckIn,
    outcomes: dict[int, str],
    max_pain: int,
    pain_now: int,
    sharp_pain: bool,
    bladder_bowel: bool = False,
    saddle_numbness: bool = False,
    leg_weakness: bool = False,
    note: str = "",
) -> CheckIn:
    """Correct a check-in within 24 hours of sending it. The values it had are kept for staff to see, and the
    flag rules look at it again."""
    checkin = CheckIn.objects.select_for_update().select_related("patient__clinic", "version").get(pk=checkin.pk)
    now = timezone.now()
    if not rules.can_correct(submitted_at=checkin.submitted_at, now=now):
        raise ValidationError("A report can be corrected only within 24 hours of sending it.")
    if open_episode(checkin.patient) is None:
        raise ValidationError(CARE_ENDED_CORRECTION)
    values = {
        "session_date": checkin.session_date,
        "max_pain": max_pain,
        "pain_now": pain_now,
        "sharp_pain": sharp_pain,
        "bladder_bowel": bladder_bowel,
        "saddle_numbness": saddle_numbness,
        "leg_weakness": leg_weakness,
        "note": (note or "").strip(),
    }
    _check(patient=checkin.patient, version=checkin.version, outcomes=outcomes, values=values, correcting=True)
    CheckInCorrection.objects.create(checkin=checkin, previous=snapshot(checkin), corrected_at=now)
    for field, value in values.items():
        setattr(checkin, field, value)
    checkin.corrected_at = now
    checkin.evaluated_at = None  # the flag rules look at it again
    checkin.full_clean(validate_unique=False)
    checkin.save()
    for result in checkin.results.all():
        new = outcomes.get(result.item_id)
        if new and new != result.outcome:
            result.outcome = new
            result.save(update_fields=["outcome"])
    enqueue_on_commit(EVALUATE_TASK, checkin.pk)
    return checkin


@transaction.atomic
def symptom_report_create(
    *,
    patient: Patient,
    idempotency_key,
    bladder_bowel: bool = False,
    saddle_numbness: bool = False,
    leg_weakness: bool = False,
    sharp_pain: bool = False,
    note: str = "",
    form_key=None,
) -> tuple[SymptomReport, bool]:
    """Tell the clinic about warning symptoms or a flare of sharp pain without a session (rule 14). Saved once
    per form: the same idempotency key again returns the stored report, (report, created). A discharged patient is
    told where to go instead (DISCHARGED_SYMPTOMS): the clinic no longer follows their reports."""
    existing = SymptomReport.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.patient_id != patient.pk:
            raise ValidationError("This form has already been used. Please open it again.")
        return existing, False
    if open_episode(patient) is None:
        raise ValidationError(DISCHARGED_SYMPTOMS)
    note = (note or "").strip()
    symptoms = {"bladder_bowel": bladder_bowel, "saddle_numbness": saddle_numbness, "leg_weakness": leg_weakness}
    errors = {}
    if not any(symptoms.values()) and not sharp_pain and not note:
        errors["symptoms"] = rules.EMPTY_SYMPTOM_REPORT
    if len(note) > rules.NOTE_MAX:
        errors["note"] = f"Keep the note under {rules.NOTE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    report = SymptomReport(
        patient=patient,
        idempotency_key=idempotency_key,
        form_key=form_key,
        sharp_pain=sharp_pain,
        note=note,
        **symptoms,
    )
    # Checked above in the patient's own words; the CHECK constraints hold them again in the database.
    report.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # The same form sent twice at the same moment: the other request stored it.
        return SymptomReport.objects.get(idempotency_key=idempotency_key), False
    enqueue_on_commit(EVALUATE_SYMPTOMS_TASK, report.pk)
    return report, True


def symptom_report_from_checkin_form(
    *, patient: Patient, form_key, symptoms, note: str = ""
) -> tuple[SymptomReport | None, bool]:
    """Warning symptoms ticked in a check-in form whose other answers still need another look are heard at once
    (rule 14): saved as a symptom report of that form, (report, created); (None, False) when none is ticked.

    Once per form and set of symptoms: sending the form again tells nothing twice, and only a symptom the form had
    not told yet makes a new report. The check-in the form finally sends alerts nobody again for what its reports
    told (flags.services.evaluation)."""
    ticked = rules.ticked_symptoms(symptoms)
    if not ticked:
        return None, False
    told: set[str] = set()
    reports = list(SymptomReport.objects.filter(form_key=form_key, patient=patient).order_by("pk"))
    for report in reports:
        told.update(name for name, yes in report.symptoms.items() if yes)
    if set(ticked) <= told:
        return reports[-1], False
    return symptom_report_create(
        patient=patient,
        idempotency_key=uuid.uuid5(form_key, ",".join(ticked)),
        form_key=form_key,
        note=note if len((note or "").strip()) <= rules.NOTE_MAX else "",
        **dict.fromkeys(ticked, True),
    )
