"""A patient's programs: the program page, a new program, pauses, a version read-only, the printable
handout, revising the program in force, and the clinic's templates."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from patients import services as patient_services
from patients.models import Patient
from patients.selectors import open_episode, own_patient, patient_detail, pauses_visible_to
from rehab.forms import run_service
from rehab.models import User
from rehab.permissions import physio_required, role_required, staff_required

from .. import rules, selectors, services
from ..forms import NewProgramForm, PauseForm
from ..models import Program, ProgramVersion
from .common import or_404


def version_notes(request, versions) -> dict[int, str]:
    """What higher apps say beside each version (the flag a version was made after, settings.PROGRAM_VERSION_NOTES):
    version id -> HTML."""
    notes: dict[int, list[str]] = {}
    for path in settings.PROGRAM_VERSION_NOTES:
        for version_id, html in import_string(path)(request=request, versions=versions).items():
            notes.setdefault(version_id, []).append(html)
    return {version_id: format_html_join(" ", "{}", ((html,) for html in parts)) for version_id, parts in notes.items()}


def _patient(request, patient_pk: int) -> Patient:
    return or_404(lambda: patient_detail(user=request.user, pk=patient_pk))


def _program_page_context(request, patient: Patient, **extra):
    today = patient.clinic.local_today()
    programs = selectors.patient_programs(patient=patient)
    active = next((p for p in programs if p.status == Program.Status.ACTIVE), None)
    active_version = None
    if active is not None:
        active_version = next(v for v in active.versions.all() if v.status == ProgramVersion.Status.ACTIVE)
    drafts = {v.kind: v for p in programs for v in p.versions.all() if v.status == ProgramVersion.Status.DRAFT}
    pauses = list(patient.pauses.select_related("created_by", "resumed_by"))
    flare_ups = selectors.patient_flare_ups(patient=patient)
    context = {
        "patient": patient,
        "programs": programs,
        "active": active,
        "active_version": active_version,
        "active_items": selectors.version_items(active_version) if active_version else [],
        "draft": drafts.get(ProgramVersion.Kind.PROGRAM),
        "flare_draft": drafts.get(ProgramVersion.Kind.FLARE_UP),
        "kept_plan": next((v for v in active.versions.all() if v.status == ProgramVersion.Status.ASIDE), None)
        if active
        else None,
        "flare_ups": flare_ups,
        "flare_up_now": next((f for f in flare_ups if f.covers(today)), None),
        "version_notes": version_notes(request, [v for p in programs for v in p.versions.all()]),
        "current_pause": next((p for p in pauses if p.covers(today)), None),
        "pauses": pauses,
        "today": today,
        "new_form": NewProgramForm(
            templates=selectors.templates_visible_to(request.user),
            initial={"start_date": today, "weekdays": [0, 2, 4]},
        ),
        "pause_form": PauseForm(initial={"starts_on": today}, max_weeks=patient.clinic.max_pause_weeks),
        "in_care": open_episode(patient) is not None,
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
    form = PauseForm(request.POST or None, max_weeks=patient.clinic.max_pause_weeks)
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
    pause = or_404(lambda: pauses_visible_to(request.user).select_related("patient").get(pk=pk))
    try:
        patient_services.pause_resume(pause=pause, resumed_by=request.user)
        messages.success(request, "The program is back on from today.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("programs:patient", patient_pk=pause.patient_id)


@staff_required
def version_detail(request, pk: int):
    version = or_404(lambda: selectors.versions_visible_to(request.user).get(pk=pk))
    items = selectors.version_items(version)
    return render(
        request,
        "programs/version_detail.html",
        {
            "version": version,
            "items": items,
            "patient": version.program.patient,
            "progression": selectors.progression_for(version, items),
            "version_notes": version_notes(request, [version]),
        },
    )


@role_required(User.Role.PHYSIO, User.Role.CLINIC_ADMIN, User.Role.PATIENT)
def handout(request, pk: int):
    versions = selectors.versions_visible_to(request.user)
    if request.user.is_patient:  # patients see what is in force, not drafts or old versions...
        patient = own_patient(request.user)
        if patient is None:
            shown = None
        elif open_episode(patient) is None:  # ...or, once discharged, the last one, which they carry on with alone
            shown = selectors.last_version_for(patient)
        else:  # the program's version, or the flare-up plan while a flare-up lasts
            shown, _flare_up = selectors.version_in_force(patient, today=patient.clinic.local_today())
        versions = versions.filter(pk=shown.pk if shown else None)
    version = or_404(lambda: versions.get(pk=pk))
    return render(
        request,
        "programs/handout.html",
        {"version": version, "items": selectors.version_items(version), "patient": version.program.patient},
    )


@require_POST
@physio_required
def program_revise(request, pk: int):
    program = or_404(lambda: selectors.programs_visible_to(request.user).get(pk=pk))
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
