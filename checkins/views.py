"""The patient's pages (today's program, the check-in, their history) and the staff's list of a patient's
check-ins. Thin: parse, call a service or a selector, render."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from patients.models import Patient
from patients.rules import PAIN_WORDS
from patients.selectors import latest_episode, own_patient, patient_detail
from programs import rules as program_rules
from programs import selectors as program_selectors
from programs import services as program_services
from rehab.forms import run_service
from rehab.permissions import patient_required, staff_required

from . import rules, selectors, services
from .forms import NONE_OF_THESE, CheckInForm, FlareUpAnswerForm, SymptomReportForm
from .models import CheckIn, SymptomReport

PAGE_SIZE = 20


def _own_patient(request) -> Patient:
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record for this account.")
    return patient


def _own_checkin(request, pk: int) -> CheckIn:
    try:
        return selectors.checkins_visible_to(request.user).select_related("patient__clinic").get(pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _discharged(patient):
    """The patient's last course of care if it has ended (they are discharged), else None."""
    episode = latest_episode(patient)
    return episode if episode is not None and not episode.is_open else None


@patient_required
def today(request):
    patient = _own_patient(request)
    return render(request, "checkins/today.html", _today_context(request, patient))


def _today_context(request, patient: Patient, **extra) -> dict:
    day = patient.clinic.local_today()
    version, flare_up = program_selectors.version_in_force(patient, today=day)
    discharged = _discharged(patient) if version is None else None
    if discharged is not None:  # the last program, to carry on with alone, and the advice that goes with it
        version = program_selectors.last_version_for(patient)
    items = program_selectors.version_items(version) if version else []
    pause = patient.pauses.filter(starts_on__lte=day, ends_on__gte=day, resumed_on__isnull=True).first()
    progress = _own_progress(patient, version, day) if version and not discharged else None
    ask = program_selectors.flare_up_to_ask_about(patient, today=day) if flare_up is None else None
    return {
        "discharged": discharged,
        "panels": [import_string(path)(request=request, patient=patient) for path in settings.PATIENT_TODAY_PANELS],
        "patient": patient,
        "today": day,
        "version": version,
        "items": items,
        "pause": pause,
        "flare_up": flare_up,
        "on_flare_plan": version is not None and version.is_flare_up_plan,
        "planned_today": program_rules.is_planned_day(day, weekdays=version.weekdays) if version else None,
        # A revision may start later; the program itself started with its first version.
        "not_started": version is not None and (program_selectors.version_program_start(version) or day) > day,
        "reported_today": progress is not None and progress["reported_today"],
        "threshold_words": PAIN_WORDS[patient.pain_threshold],
        "progress": progress,
        "ask": ask,
        "answer_form": FlareUpAnswerForm() if ask is not None else None,
        **extra,
    }


def _own_progress(patient: Patient, version, day) -> dict:
    """The progress panel: whether they reported today, this week's sessions, the pain trend and the patient's
    adherence, in words: one read of their recent check-ins."""
    progress = selectors.own_progress(patient=patient, version=version, today=day)
    figures = progress["adherence_figures"]
    start = program_selectors.version_program_start(version) or version.start_date
    recent_start = start if start > day - timedelta(days=rules.ADHERENCE_WINDOW_DAYS - 1) else None
    progress["adherence"] = rules.adherence_words(
        reported=figures["reported"], planned=figures["planned"], percent=figures["percent"], since=recent_start
    )
    return progress


@require_POST
@patient_required
def flare_up_start(request):
    """ "I'm having a flare-up", from Today: a plain form, no JavaScript needed. A second tap changes nothing."""
    patient = _own_patient(request)
    try:
        flare_up, created = program_services.flare_up_start(patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("checkins:today")
    if not created:
        messages.info(request, "Your flare-up is already noted: nothing more to do. Your clinic has been told.")
    elif flare_up.plan_id:
        messages.success(
            request,
            f"Your flare-up plan is on until {flare_up.last_day:%A} {flare_up.last_day.day} {flare_up.last_day:%B}. "
            "Your physiotherapist has been told.",
        )
    else:
        messages.success(request, "Your physiotherapist has been told about your flare-up.")
    return redirect("checkins:today")


@require_POST
@patient_required
def flare_up_end(request, pk: int):
    """The patient feels ready to go back to their usual program before the flare-up plan's last day."""
    patient = _own_patient(request)
    flare_up = _own_flare_up(request, patient, pk)
    try:
        program_services.flare_up_end(flare_up=flare_up, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your usual program is back from today.")
    return redirect("checkins:today")


@require_POST
@patient_required
def flare_up_answer(request, pk: int):
    patient = _own_patient(request)
    flare_up = _own_flare_up(request, patient, pk)
    form = FlareUpAnswerForm(request.POST)
    if form.is_valid() and run_service(form, program_services.flare_up_answer, flare_up=flare_up, **form.cleaned_data):
        messages.success(request, "Thank you: your physiotherapist can read how it went.")
        return redirect("checkins:today")
    return render(request, "checkins/today.html", _today_context(request, patient, answer_form=form), status=200)


def _own_flare_up(request, patient: Patient, pk: int):
    try:
        return program_selectors.flare_ups_visible_to(request.user).get(pk=pk, patient=patient)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _posted_version(request, version):
    """The version a check-in form was opened on, if the patient may see it (None otherwise)."""
    posted = request.POST.get("version", "")
    if posted == str(version.pk):
        return version
    if not (posted.isascii() and posted.isdecimal() and len(posted) <= 18):
        return None
    return program_selectors.versions_visible_to(request.user).select_related("program").filter(pk=int(posted)).first()


@patient_required
def checkin_create(request):
    patient = _own_patient(request)
    day = patient.clinic.local_today()
    version, _flare_up = program_selectors.version_in_force(patient, today=day)
    if version is None:
        if _discharged(patient) is not None:
            messages.info(request, services.DISCHARGED)
        else:
            messages.info(request, "You have no program to report on yet.")
        return redirect("checkins:today")
    # The usual case: the form was opened on the version still in force. A form opened on another (kept on the phone
    # offline, or left open while the program changed) is read with that version's exercises, so that the service
    # can say why it is refused rather than the form asking about exercises the patient was never shown.
    posted_version = _posted_version(request, version) if request.method == "POST" else version
    form = CheckInForm(
        request.POST or None,
        items=selectors.checkin_items(posted_version or version),
        initial={"idempotency_key": uuid.uuid4(), "version": version.pk, "session_date": day},
    )
    if request.method == "POST" and form.is_valid():
        if posted_version is None:
            form.add_error(None, "This is not your current program. Please open the check-in again.")
        else:
            result = run_service(
                form,
                services.checkin_submit,
                patient=patient,
                version=posted_version,
                idempotency_key=form.cleaned_data["idempotency_key"],
                **form.service_kwargs(),
            )
            if result is not None:
                checkin, _created = result
                return redirect("checkins:detail", pk=checkin.pk)
    return render(
        request,
        "checkins/form.html",
        {
            "form": form,
            "patient": patient,
            "version": version,
            "urgent_report": _hear_warning_symptoms(request, form, patient) if request.method == "POST" else None,
            "min_date": day - timedelta(days=rules.MAX_DAYS_BACK),
            "max_date": day,
            "reported_today": request.method == "GET" and selectors.reported_on(patient=patient, day=day),
        },
    )


def _hear_warning_symptoms(request, form: CheckInForm, patient: Patient, key=None) -> SymptomReport | None:
    """A check-in form sent back for another look with a warning symptom ticked: the clinic is told at once, through
    a symptom report of this form, and the form comes back with the urgent advice on top (rule 14). The symptoms
    are read as posted, so that a contradictory answer ("None of these" too) is heard all the same."""
    if key is None and hasattr(form, "cleaned_data"):
        key = form.cleaned_data.get("idempotency_key")
    if key is None:  # a form whose hidden key was lost: heard once more rather than not at all
        key = uuid.uuid4()
    report, _created = services.symptom_report_from_checkin_form(
        patient=patient, form_key=key, symptoms=request.POST.getlist("symptoms"), note=request.POST.get("note", "")
    )
    return report


@patient_required
def checkin_detail(request, pk: int):
    checkin = _own_checkin(request, pk)
    return render(request, "checkins/detail.html", {"checkin": checkin, "patient": checkin.patient})


@patient_required
def checkin_correct(request, pk: int):
    checkin = _own_checkin(request, pk)
    if not rules.can_correct(submitted_at=checkin.submitted_at, now=timezone.now()):
        messages.error(request, "A report can be corrected only within 24 hours of sending it.")
        return redirect("checkins:history")
    if _discharged(checkin.patient) is not None:
        messages.error(request, services.CARE_ENDED_CORRECTION)
        return redirect("checkins:history")
    items = [r.item for r in checkin.results.select_related("item__exercise")]
    initial = {
        "idempotency_key": checkin.idempotency_key,
        "version": checkin.version_id,
        "max_pain": checkin.max_pain,
        "pain_now": checkin.pain_now,
        "sharp_pain": "yes" if checkin.sharp_pain else "no",
        "symptoms": [n for n in rules.WARNING_SYMPTOM_FIELDS if getattr(checkin, n)] or [NONE_OF_THESE],
        "note": checkin.note,
        **{CheckInForm.item_field(r.item): r.outcome for r in checkin.results.all()},
    }
    form = CheckInForm(request.POST or None, items=items, with_date=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        corrected = run_service(form, services.checkin_correct, checkin=checkin, **form.service_kwargs())
        if corrected is not None:
            messages.success(request, "Your report is corrected. Your physiotherapist can see both versions.")
            return redirect("checkins:detail", pk=checkin.pk)
    context = {"form": form, "patient": checkin.patient, "checkin": checkin}
    if request.method == "POST":  # heard as a report of the check-in's own form (its idempotency key)
        context["urgent_report"] = _hear_warning_symptoms(request, form, checkin.patient, key=checkin.idempotency_key)
    return render(request, "checkins/form.html", context)


@patient_required
def symptom_report_create(request):
    """Tell the clinic about a new symptom, without a session: from every patient page, without JavaScript. After a
    discharge the page says where to go instead."""
    patient = _own_patient(request)
    if _discharged(patient) is not None:
        return render(request, "checkins/symptom_report_discharged.html", {"patient": patient})
    form = SymptomReportForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        result = run_service(
            form,
            services.symptom_report_create,
            patient=patient,
            idempotency_key=form.cleaned_data["idempotency_key"],
            **form.service_kwargs(),
        )
        if result is not None:
            report, _created = result
            return redirect("checkins:symptom_report_detail", pk=report.pk)
    return render(request, "checkins/symptom_report_form.html", {"form": form, "patient": patient})


@patient_required
def symptom_report_detail(request, pk: int):
    try:
        report = selectors.symptom_reports_visible_to(request.user).select_related("patient__clinic").get(pk=pk)
    except SymptomReport.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "checkins/symptom_report_detail.html", {"report": report, "patient": report.patient})


@patient_required
def history(request):
    patient = _own_patient(request)
    page = Paginator(selectors.checkin_list(patient=patient), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "checkins/history.html",
        {
            "patient": patient,
            "page": page,
            "series": selectors.pain_series(patient=patient),
            "correctable": set()
            if _discharged(patient) is not None
            else {c.pk for c in page.object_list if rules.can_correct(submitted_at=c.submitted_at, now=now)},
        },
    )


@staff_required
def patient_checkins(request, patient_pk: int):
    try:
        patient = patient_detail(user=request.user, pk=patient_pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc
    page = Paginator(selectors.checkin_list(patient=patient), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "checkins/patient_checkins.html",
        {"patient": patient, "page": page, "series": selectors.pain_series(patient=patient)},
    )
