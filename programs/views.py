"""Exercise library, program builder, versions, templates, pauses and the printable handout.

Builder actions are plain POST forms that work without JavaScript (they redirect back to the builder);
with htmx they swap only the builder's content in place.
"""

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from patients import services as patient_services
from patients.forms import ResolveForm
from patients.models import Patient
from patients.rules import PAIN_WORDS
from patients.selectors import own_patient, patient_detail, pauses_visible_to
from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.models import User
from rehab.permissions import patient_required, physio_required, role_required, staff_required

from . import rules, selectors, services
from .forms import (
    NONE_OF_THESE,
    ActivateForm,
    CheckInForm,
    ExerciseFilterForm,
    ExerciseForm,
    ItemForm,
    NewProgramForm,
    PauseForm,
    ScheduleForm,
    TemplateForm,
)
from .models import MuscleGroup, Program, ProgramExercise, ProgramVersion, SessionReport

LIBRARY_PAGE_SIZE = 20
REPORTS_PAGE_SIZE = 20
PICKER_LIMIT = 12


def _or_404(queryset_get):
    """Run a scoped lookup; anything the user may not see, or that does not exist, is a 404."""
    try:
        return queryset_get()
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


# --- Exercise library --------------------------------------------------------------------------


@staff_required
def exercise_list(request):
    form = ExerciseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    exercises = selectors.exercise_library(
        user=request.user,
        search=filters.get("q", ""),
        group=filters.get("group", ""),
        category=filters.get("category", ""),
        difficulty=filters.get("difficulty"),
        equipment=filters.get("equipment", ""),
    )
    page = Paginator(exercises, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/exercise_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(filters and any(filters.values()))},
    )


@staff_required
def exercise_detail(request, pk: int):
    exercise = _or_404(lambda: selectors.exercise_detail(user=request.user, pk=pk))
    return render(request, "programs/exercise_detail.html", {"exercise": exercise})


@staff_required
def exercise_create(request):
    form = ExerciseForm(
        request.POST or None,
        exercises=selectors.exercises_visible_to(request.user).order_by("name"),
        initial={"sets": 2, "reps": 10, "rest_seconds": 30, "equipment": "none", "difficulty": 1},
    )
    if request.method == "POST" and form.is_valid():
        exercise = run_service(
            form, services.exercise_create, clinic=request.user.clinic, created_by=request.user, **form.cleaned_data
        )
        if exercise is not None:
            messages.success(request, f"{exercise.name} is in your clinic's library.")
            return redirect("programs:exercise_detail", pk=exercise.pk)
    return render(request, "programs/exercise_form.html", {"form": form})


# --- A patient's programs ----------------------------------------------------------------------


def _patient(request, patient_pk: int) -> Patient:
    return _or_404(lambda: patient_detail(user=request.user, pk=patient_pk))


def _program_page_context(request, patient: Patient, **extra):
    today = patient.clinic.local_today()
    programs = selectors.patient_programs(patient=patient)
    active = next((p for p in programs if p.status == Program.Status.ACTIVE), None)
    active_version = None
    if active is not None:
        active_version = next(v for v in active.versions.all() if v.status == ProgramVersion.Status.ACTIVE)
    draft = next((v for p in programs for v in p.versions.all() if v.status == ProgramVersion.Status.DRAFT), None)
    pauses = list(patient.pauses.select_related("created_by", "resumed_by"))
    context = {
        "patient": patient,
        "programs": programs,
        "active": active,
        "active_version": active_version,
        "active_items": selectors.version_items(active_version) if active_version else [],
        "draft": draft,
        "current_pause": next((p for p in pauses if p.covers(today)), None),
        "pauses": pauses,
        "today": today,
        "new_form": NewProgramForm(
            templates=selectors.templates_visible_to(request.user),
            initial={"start_date": today, "weekdays": [0, 2, 4]},
        ),
        "pause_form": PauseForm(initial={"starts_on": today}),
    }
    context.update(extra)
    return context


@staff_required
def patient_program(request, patient_pk: int):
    patient = _patient(request, patient_pk)
    return render(request, "programs/patient_program.html", _program_page_context(request, patient))


@physio_required
def program_new(request, patient_pk: int):
    patient = _patient(request, patient_pk)
    form = NewProgramForm(request.POST or None, templates=selectors.templates_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        program = run_service(
            form, services.program_create, patient=patient, created_by=request.user, **form.cleaned_data
        )
        if program is not None:
            return redirect("programs:builder", pk=program.versions.get().pk)
    return render(request, "programs/patient_program.html", _program_page_context(request, patient, new_form=form))


@physio_required
def pause_create(request, patient_pk: int):
    patient = _patient(request, patient_pk)
    form = PauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pause = run_service(
            form, patient_services.pause_create, patient=patient, created_by=request.user, **form.cleaned_data
        )
        if pause is not None:
            messages.success(request, f"The program pauses from {pause.starts_on:%d %b} to {pause.ends_on:%d %b %Y}.")
            return redirect("programs:patient", patient_pk=patient.pk)
    return render(request, "programs/patient_program.html", _program_page_context(request, patient, pause_form=form))


@require_POST
@physio_required
def pause_resume(request, pk: int):
    pause = _or_404(lambda: pauses_visible_to(request.user).select_related("patient").get(pk=pk))
    try:
        patient_services.pause_resume(pause=pause, resumed_by=request.user)
        messages.success(request, "The program is back on from today.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("programs:patient", patient_pk=pause.patient_id)


# --- Versions: read-only view and handout ------------------------------------------------------


@staff_required
def version_detail(request, pk: int):
    version = _or_404(lambda: selectors.versions_visible_to(request.user).get(pk=pk))
    items = selectors.version_items(version)
    return render(
        request,
        "programs/version_detail.html",
        {
            "version": version,
            "items": items,
            "patient": version.program.patient,
            "progression": selectors.progression_for(version, items),
        },
    )


@role_required(User.Role.PHYSIO, User.Role.CLINIC_ADMIN, User.Role.PATIENT)
def handout(request, pk: int):
    versions = selectors.versions_visible_to(request.user)
    if request.user.is_patient:  # patients see the program in force, not drafts or old versions
        versions = versions.filter(status=ProgramVersion.Status.ACTIVE)
    version = _or_404(lambda: versions.get(pk=pk))
    return render(
        request,
        "programs/handout.html",
        {"version": version, "items": selectors.version_items(version), "patient": version.program.patient},
    )


# --- The builder -------------------------------------------------------------------------------


def _draft(request, pk: int) -> ProgramVersion:
    version = _or_404(lambda: selectors.versions_visible_to(request.user).get(pk=pk))
    if version.status != ProgramVersion.Status.DRAFT:
        raise Http404("This version is not being built.")
    return version


def _item(request, pk: int) -> ProgramExercise:
    item = _or_404(lambda: selectors.items_visible_to(request.user).get(pk=pk))
    if item.version.status != ProgramVersion.Status.DRAFT:
        raise Http404("This version is not being built.")
    return item


def _picker_results(request):
    """The library search beside the builder: its first matches, whether there are more, and the search.
    An Add posts the search along, so that the list the physiotherapist was looking at stays."""
    params = request.GET if request.method == "GET" else request.POST
    q = params.get("q", "").strip()[:100]
    group = params.get("group", "")
    if group not in MuscleGroup.values:
        group = ""
    found = list(selectors.exercise_library(user=request.user, search=q, group=group)[: PICKER_LIMIT + 1])
    return found[:PICKER_LIMIT], len(found) > PICKER_LIMIT, q, group


def _builder_context(request, version: ProgramVersion, *, item_errors=None, **forms):
    items = selectors.version_items(version)
    counts = selectors.balance_for(items)
    missing = [group for group, count in counts.items() if count == 0]
    item_errors = item_errors or {}
    item_rows = [
        (
            item,
            item_errors.get(item.pk)
            or ItemForm(
                prefix=f"item-{item.pk}",
                initial={
                    "sets": item.sets,
                    "reps": item.reps,
                    "hold_seconds": item.hold_seconds,
                    "rest_seconds": item.rest_seconds,
                    "notes": item.notes,
                },
            ),
        )
        for item in items
    ]
    results, more_results, q, group = _picker_results(request)
    labels = dict(MuscleGroup.choices)
    context = {
        "version": version,
        "program": version.program,
        "patient": version.program.patient,
        "item_rows": item_rows,
        "balance": [(labels[g], count) for g, count in counts.items()],
        "missing": [labels[g] for g in missing],
        "frequency_warning": version.frequency_warning,
        "start_warning": version.past_start_error,
        "progression": selectors.progression_for(version, items),
        "weekly_volume": selectors.weekly_volume_of(version, items),
        "results": results,
        "more_results": more_results,
        "in_program": {item.exercise_id for item in items},
        "picker_q": q,
        "picker_group": group,
        "muscle_groups": MuscleGroup.choices,
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(
            initial={
                "title": version.program.title,
                "start_date": version.start_date,
                "weekdays": version.weekdays,
                "sessions_per_week": version.sessions_per_week,
            }
        ),
        "activate_form": forms.get("activate_form") or ActivateForm(),
        "template_form": forms.get("template_form") or TemplateForm(),
        "action_error": forms.get("action_error"),
    }
    return context


def _builder_response(request, version: ProgramVersion, *, ok: bool, **forms):
    """After a builder action: htmx gets the builder fragment, a plain form post a redirect (or the errors)."""
    if request.htmx:
        response = render(request, "programs/_builder.html", _builder_context(request, version, **forms))
        return response if ok else mark_refused(response)
    if ok:
        search = {key: request.POST[key] for key in ("q", "group") if request.POST.get(key)}
        url = reverse("programs:builder", args=[version.pk])
        return redirect(f"{url}?{urlencode(search)}" if search else url)
    return render(request, "programs/builder.html", _builder_context(request, version, **forms), status=200)


def _builder_action(request, draft: ProgramVersion, service, /, **kwargs):
    """Run one builder action; a refusal (say the draft was activated a moment ago) is shown, not a 500."""
    try:
        service(**kwargs)
    except ValidationError as exc:
        return _builder_response(request, draft, ok=False, action_error=" ".join(exc.messages))
    return _builder_response(request, draft, ok=True)


@physio_required
def builder(request, pk: int):
    version = _draft(request, pk)
    template = "programs/_picker.html" if request.htmx and request.GET.get("picker") else "programs/builder.html"
    return render(request, template, _builder_context(request, version))


@require_POST
@physio_required
def builder_schedule(request, pk: int):
    version = _draft(request, pk)
    form = ScheduleForm(request.POST)
    ok = form.is_valid() and run_service(form, services.program_set_schedule, version=version, **form.cleaned_data)
    return _builder_response(request, version, ok=bool(ok), schedule_form=None if ok else form)


@require_POST
@physio_required
def builder_add(request, pk: int):
    version = _draft(request, pk)
    exercise_id = request.POST.get("exercise", "")
    if not exercise_id.isdigit():
        raise Http404("Choose an exercise from the library.")
    exercise = _or_404(lambda: selectors.exercises_visible_to(request.user).get(pk=int(exercise_id)))
    return _builder_action(request, version, services.program_add_exercise, version=version, exercise=exercise)


@require_POST
@physio_required
def item_update(request, pk: int):
    item = _item(request, pk)
    form = ItemForm(request.POST, prefix=f"item-{item.pk}")
    ok = form.is_valid() and run_service(form, services.program_update_item, item=item, **form.cleaned_data)
    return _builder_response(request, item.version, ok=bool(ok), item_errors=None if ok else {item.pk: form})


@require_POST
@physio_required
def item_move(request, pk: int, direction: str):
    if direction not in ("up", "down"):
        raise Http404
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_move_item, item=item, direction=direction)


@require_POST
@physio_required
def item_swap(request, pk: int, direction: str):
    if direction not in ("easier", "harder"):
        raise Http404
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_swap_variant, item=item, direction=direction)


@require_POST
@physio_required
def item_remove(request, pk: int):
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_remove_item, item=item)


@require_POST
@physio_required
def builder_activate(request, pk: int):
    version = _draft(request, pk)
    form = ActivateForm(request.POST)
    activated = form.is_valid() and run_service(
        form, services.program_activate, version=version, activated_by=request.user, **form.cleaned_data
    )
    if activated:
        messages.success(request, f"Version {version.number} of the program is now in force.")
        target = reverse("programs:patient", kwargs={"patient_pk": version.program.patient_id})
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    return _builder_response(request, version, ok=False, activate_form=form)


@require_POST
@physio_required
def builder_discard(request, pk: int):
    version = _draft(request, pk)
    patient_pk = version.program.patient_id
    try:
        services.program_discard_draft(version=version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programs:patient", patient_pk=patient_pk)
    messages.success(request, "The draft is discarded.")
    return redirect("programs:patient", patient_pk=patient_pk)


@require_POST
@physio_required
def builder_save_template(request, pk: int):
    version = _draft(request, pk)
    form = TemplateForm(request.POST)
    template = form.is_valid() and run_service(
        form, services.template_create_from_version, version=version, created_by=request.user, **form.cleaned_data
    )
    if template:
        messages.success(request, f"Saved as the clinic template '{template.name}'.")
    return _builder_response(request, version, ok=bool(template), template_form=None if template else form)


@require_POST
@physio_required
def program_revise(request, pk: int):
    program = _or_404(lambda: selectors.programs_visible_to(request.user).get(pk=pk))
    try:
        draft = services.program_revise(program=program, created_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programs:patient", patient_pk=program.patient_id)
    return redirect("programs:builder", pk=draft.pk)


@staff_required
def template_list(request):
    templates = (
        selectors.templates_visible_to(request.user)
        .select_related("created_by")
        .prefetch_related("items__exercise")
        .order_by("name")
    )
    return render(request, "programs/template_list.html", {"templates": templates, "rules": rules})


# --- Patients: today's program, check-in, history --------------------------------------------


def _own_patient(request) -> Patient:
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record for this account.")
    return patient


@patient_required
def today(request):
    patient = _own_patient(request)
    day = patient.clinic.local_today()
    version = selectors.active_version_for(patient)
    items = selectors.version_items(version) if version else []
    pause = patient.pauses.filter(starts_on__lte=day, ends_on__gte=day, resumed_on__isnull=True).first()
    reported_today = version is not None and selectors.reported_on(patient=patient, day=day)
    context = {
        "patient": patient,
        "today": day,
        "version": version,
        "items": items,
        "pause": pause,
        "planned_today": rules.is_planned_day(day, weekdays=version.weekdays) if version else None,
        # A revision may start later; the program itself started with its first version.
        "not_started": version is not None and (selectors.version_program_start(version) or day) > day,
        "reported_today": reported_today,
        "threshold_words": PAIN_WORDS[patient.pain_threshold],
    }
    return render(request, "programs/today.html", context)


def _checkin_form(request, patient, version, items, data=None):
    day = patient.clinic.local_today()
    return CheckInForm(
        data,
        items=items,
        initial={"idempotency_key": uuid.uuid4(), "version": version.pk, "session_date": day},
    )


@patient_required
def checkin(request):
    patient = _own_patient(request)
    version = selectors.active_version_for(patient)
    if version is None:
        messages.info(request, "You have no program to report on yet.")
        return redirect("programs:today")
    items = selectors.checkin_items(version)
    form = _checkin_form(request, patient, version, items, request.POST or None)
    if request.method == "POST" and form.is_valid():
        posted = form.cleaned_data["version"]
        posted_version = (
            version  # the usual case: the form was opened on the version still in force
            if posted == version.pk
            else selectors.versions_visible_to(request.user).filter(pk=posted).first()
        )
        if posted_version is None:
            form.add_error(None, "This is not your current program. Please open the check-in again.")
        else:
            result = run_service(
                form,
                services.report_submit,
                patient=patient,
                version=posted_version,
                idempotency_key=form.cleaned_data["idempotency_key"],
                **form.service_kwargs(),
            )
            if result is not None:
                report, _created = result
                return redirect("programs:report_done", pk=report.pk)
    day = patient.clinic.local_today()
    return render(
        request,
        "programs/checkin.html",
        {
            "form": form,
            "patient": patient,
            "version": version,
            "min_date": day - timedelta(days=rules.REPORT_MAX_DAYS_BACK),
            "max_date": day,
            "reported_today": request.method == "GET" and selectors.reported_on(patient=patient, day=day),
        },
    )


def _own_report(request, pk: int) -> SessionReport:
    return _or_404(lambda: selectors.reports_visible_to(request.user).select_related("patient__clinic").get(pk=pk))


@patient_required
def report_done(request, pk: int):
    report = _own_report(request, pk)
    return render(request, "programs/report_done.html", {"report": report, "patient": report.patient})


@patient_required
def report_correct(request, pk: int):
    report = _own_report(request, pk)
    if not rules.can_correct(submitted_at=report.submitted_at, now=timezone.now()):
        messages.error(request, "A report can be corrected only within 24 hours of sending it.")
        return redirect("programs:history")
    items = [r.item for r in report.results.select_related("item__exercise")]
    initial = {
        "idempotency_key": report.idempotency_key,
        "version": report.version_id,
        "max_pain": report.max_pain,
        "pain_now": report.pain_now,
        "sharp_pain": "yes" if report.sharp_pain else "no",
        "symptoms": [n for n in rules.WARNING_SYMPTOM_FIELDS if getattr(report, n)] or [NONE_OF_THESE],
        "note": report.note,
        **{CheckInForm.item_field(r.item): r.outcome for r in report.results.all()},
    }
    form = CheckInForm(request.POST or None, items=items, with_date=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        corrected = run_service(form, services.report_correct, report=report, **form.service_kwargs())
        if corrected is not None:
            messages.success(request, "Your report is corrected. Your physiotherapist can see both versions.")
            return redirect("programs:report_done", pk=report.pk)
    return render(request, "programs/checkin.html", {"form": form, "patient": report.patient, "report": report})


@patient_required
def history(request):
    patient = _own_patient(request)
    page = Paginator(selectors.report_list(patient=patient), REPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/history.html",
        {
            "patient": patient,
            "page": page,
            "series": selectors.pain_series(patient=patient),
            "correctable": {
                r.pk for r in page.object_list if rules.can_correct(submitted_at=r.submitted_at, now=timezone.now())
            },
        },
    )


@staff_required
def patient_reports(request, patient_pk: int):
    patient = _patient(request, patient_pk)
    page = Paginator(selectors.report_list(patient=patient), REPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/patient_reports.html",
        {"patient": patient, "page": page, "series": selectors.pain_series(patient=patient)},
    )


DASHBOARD_PAGE_SIZE = 25


@physio_required
def dashboard(request):
    physio = request.user
    today_ = physio.clinic.local_today()
    page = Paginator(selectors.caseload(physio=physio), DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    patients = list(page.object_list)
    return render(
        request,
        "programs/dashboard.html",
        {
            "page": page,
            "rows": selectors.caseload_rows(patients=patients, today=today_),
            "flags": list(selectors.own_open_flags(physio=physio)),
            "without_program": selectors.caseload_without_program(physio=physio),
            "resolve_form": ResolveForm(),
            "now": timezone.now(),
            "next": request.get_full_path(),
            "today": today_,
        },
    )
