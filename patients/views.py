from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.models import User
from rehab.permissions import clinic_admin_required, physio_required, staff_required

from . import rules, selectors, services
from .forms import (
    BulkResolveForm,
    FlagFilterForm,
    PatientFilterForm,
    PatientForm,
    ReassignForm,
    ResolveForm,
    ThresholdForm,
)
from .models import Flag, FlagReason, FlagStatus, Patient

PAGE_SIZE = 25


def _get_patient(request, pk: int) -> Patient:
    try:
        return selectors.patient_detail(user=request.user, pk=pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc


@staff_required
def patient_list(request):
    clinic = request.user.clinic
    form = PatientFilterForm(request.GET or None, clinic=clinic)
    filters = {}
    if form.is_bound and form.is_valid():
        physio = form.cleaned_data["physiotherapist"]
        filters = {
            "search": form.cleaned_data["q"],
            "phase": form.cleaned_data["phase"],
            "physiotherapist_id": physio.pk if physio else None,
        }
    patients = selectors.patient_list(user=request.user, **filters)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clinic.local_today()
    rows = [(p, rules.condition_phase(p.onset_date, today)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "filtered": bool(filters)},
    )


@physio_required
def patient_create(request):
    clinic = request.user.clinic
    form = PatientForm(request.POST or None, clinic=clinic, initial={"physiotherapist": request.user})
    if request.method == "POST" and form.is_valid():
        patient = run_service(
            form, services.patient_register, clinic=clinic, registered_by=request.user, **form.cleaned_data
        )
        if patient is not None:
            messages.success(
                request,
                f"{patient.full_name} is registered. We have emailed {patient.user.email} a link to set a password.",
            )
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"})


@physio_required
def patient_edit(request, pk: int):
    patient = _get_patient(request, pk)
    initial = {
        "first_name": patient.user.first_name,
        "last_name": patient.user.last_name,
        "email": patient.user.email,
        "date_of_birth": patient.date_of_birth,
        "onset_date": patient.onset_date,
        "condition": patient.condition,
        "physiotherapist": patient.physiotherapist,
    }
    form = PatientForm(request.POST or None, clinic=patient.clinic, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.patient_update, patient=patient, **form.cleaned_data) is not None
    ):
        messages.success(request, "The patient's details are saved.")
        return redirect("patients:detail", pk=patient.pk)
    return render(
        request, "patients/form.html", {"form": form, "title": f"Edit {patient.full_name}", "patient": patient}
    )


@staff_required
def patient_detail(request, pk: int):
    patient = _get_patient(request, pk)
    today = patient.clinic.local_today()
    context = {
        "patient": patient,
        "today": today,
        "phase": rules.condition_phase(patient.onset_date, today),
        "threshold_words": rules.PAIN_WORDS[patient.pain_threshold],
        "history": selectors.threshold_history(patient=patient),
        "threshold_form": ThresholdForm(initial={"value": patient.pain_threshold}),
        "flags": selectors.patient_flags(patient=patient),
        "panels": [import_string(path)(request=request, patient=patient) for path in settings.PATIENT_DETAIL_PANELS],
    }
    return render(request, "patients/detail.html", context)


@physio_required
def patient_threshold(request, pk: int):
    patient = _get_patient(request, pk)
    form = ThresholdForm(request.POST or None, initial={"value": patient.pain_threshold})
    if request.method == "POST" and form.is_valid():
        change = run_service(
            form,
            services.patient_change_threshold,
            patient=patient,
            changed_by=request.user,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
        if change is not None:
            messages.success(request, f"The pain threshold is now {change.value} ({rules.PAIN_WORDS[change.value]}).")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/threshold_form.html", {"form": form, "patient": patient})


# --- Flags ---------------------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 25


def _get_flag(request, pk: int) -> Flag:
    try:
        return selectors.flag_detail(user=request.user, pk=pk)
    except Flag.DoesNotExist as exc:
        raise Http404("No such flag.") from exc


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _wants_row(request) -> bool:
    """An htmx action from a row of the queue or the dashboard (the detail page swaps itself whole)."""
    return bool(request.htmx) and request.POST.get("view") in ("row", "dash")


def _row_response(request, flag: Flag, *, error: str = "", resolve_form=None):
    """The queue row of one flag after an htmx action, with the counts at the top refreshed too."""
    flag = selectors.flag_detail(user=request.user, pk=flag.pk)
    now = timezone.now()
    in_queue = request.POST.get("view") == "row"  # only the queue shows the counts
    context = {
        "flag": flag,
        "now": now,
        "row_error": error,
        "resolve_form": resolve_form or ResolveForm(),
        "counts": selectors.flag_counts(user=request.user, now=now) if in_queue else None,
        "oob": in_queue,
        "next": request.POST.get("next", ""),
        "show_checkbox": request.POST.get("view") == "row",
    }
    response = render(request, "patients/_flag_row_response.html", context)
    return mark_refused(response) if error or (resolve_form is not None and resolve_form.errors) else response


@clinic_admin_required
def flag_queue(request):
    clinic = request.user.clinic
    form = FlagFilterForm(request.GET or None, clinic=clinic)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "search": data["q"],
            "reason": data["reason"],
            "status": data["status"],
            "physiotherapist_id": data["physiotherapist"].pk if data["physiotherapist"] else None,
            "escalated": data["escalated"],
            "opened_from": data["opened_from"],
            "opened_to": data["opened_to"],
        }
    page = Paginator(selectors.flag_queue(user=request.user, **filters), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/flag_queue.html",
        {
            "form": form,
            "page": page,
            "now": now,
            "counts": selectors.flag_counts(user=request.user, now=now),
            "query": query.urlencode(),
            "filtered": any(v not in ("", None) for v in filters.values()),
            "resolve_form": ResolveForm(),
            "bulk_form": ResolveForm(prefix="bulk"),
            "show_checkbox": True,
            "next": request.get_full_path(),
        },
    )


def _flag_page(request, flag: Flag, *, resolve_form=None):
    patient = flag.patient
    return render(
        request,
        "patients/flag_detail.html",
        {
            "flag": flag,
            "patient": patient,
            "phase": rules.condition_phase(patient.onset_date, patient.clinic.local_today()),
            "now": timezone.now(),
            "resolve_form": resolve_form or ResolveForm(),
            "reassign_form": ReassignForm(clinic=patient.clinic),
            "panels": [import_string(path)(request=request, flag=flag) for path in settings.FLAG_DETAIL_PANELS],
        },
    )


@staff_required
def flag_detail(request, pk: int):
    return _flag_page(request, _get_flag(request, pk))


@require_POST
@staff_required
def flag_acknowledge(request, pk: int):
    flag = _get_flag(request, pk)
    try:
        services.flag_acknowledge(flag=flag, by=request.user)
    except ValidationError as exc:
        if _wants_row(request):
            return _row_response(request, flag, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return _back(request, reverse("patients:flag_detail", args=[flag.pk]))
    if _wants_row(request):
        return _row_response(request, flag)
    messages.success(request, "Flag acknowledged.")
    return _back(request, reverse("patients:flag_detail", args=[flag.pk]))


@require_POST
@staff_required
def flag_resolve(request, pk: int):
    flag = _get_flag(request, pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        resolved = run_service(
            form,
            services.flag_resolve,
            flag=flag,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        if resolved is not None:
            if _wants_row(request):
                return _row_response(request, flag)
            messages.success(request, f"Flag resolved: {resolved.get_outcome_display().lower()}.")
            return _back(request, reverse("patients:flag_detail", args=[flag.pk]))
    if _wants_row(request):
        return _row_response(request, flag, resolve_form=form)
    return _flag_page(request, flag, resolve_form=form)


@require_POST
@clinic_admin_required
def flag_bulk_resolve(request):
    rest_flags = (
        selectors.flags_visible_to(request.user).filter(reason=FlagReason.REST).exclude(status=FlagStatus.RESOLVED)
    )
    # The checkboxes sit in the queue's rows, outside the prefixed form: read them by their own name.
    data = request.POST.copy()
    data.setlist("bulk-flags", request.POST.getlist("flags"))
    form = BulkResolveForm(data, prefix="bulk", flag_ids=list(rest_flags.values_list("pk", flat=True)))
    if form.is_valid():
        resolved = run_service(
            form,
            services.flag_bulk_resolve,
            flag_ids=form.cleaned_data["flags"],
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        if resolved is not None:
            messages.success(request, f"{len(resolved)} rest flag{'s' if len(resolved) != 1 else ''} resolved.")
            return _back(request, reverse("patients:flag_queue"))
    errors = [e for field_errors in form.errors.values() for e in field_errors]
    messages.error(request, "Nothing was resolved: " + " ".join(errors))
    return _back(request, reverse("patients:flag_queue"))


@require_POST
@staff_required
def flag_reassign(request, pk: int):
    flag = _get_flag(request, pk)
    form = ReassignForm(request.POST, clinic=flag.patient.clinic)
    if form.is_valid():
        patient = run_service(
            form,
            services.patient_reassign,
            patient=flag.patient,
            physiotherapist=form.cleaned_data["physiotherapist"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
        if patient is not None:
            messages.success(
                request, f"{patient.full_name} is now looked after by {patient.physiotherapist.get_full_name()}."
            )
            return redirect("patients:flag_detail", pk=flag.pk)
    messages.error(request, "Not reassigned: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("patients:flag_detail", pk=flag.pk)


@require_POST
@clinic_admin_required
def reassign_all(request, physio_pk: int):
    """Give every patient of one physiotherapist to another (a departing or deactivated one, usually)."""
    clinic = request.user.clinic
    try:
        departing = selectors.clinic_physio(user=request.user, pk=physio_pk)
    except User.DoesNotExist as exc:
        raise Http404("No such physiotherapist in your clinic.") from exc
    form = ReassignForm(request.POST, clinic=clinic)
    if form.is_valid():
        try:
            moved = services.patients_reassign_all(
                from_physio=departing, to_physio=form.cleaned_data["physiotherapist"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            target = form.cleaned_data["physiotherapist"].get_full_name()
            messages.success(request, f"{moved} patient{'s' if moved != 1 else ''} moved to {target}.")
    else:
        messages.error(request, "Not reassigned: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("staff_list")


AUDIT_PAGE_SIZE = 50


@clinic_admin_required
def audit_trail(request, pk: int):
    """Who looked at or changed this patient's data. Read-only: nobody can edit the trail."""
    patient = _get_patient(request, pk)
    events = selectors.audit_events(user=request.user, patient=patient)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/audit.html", {"patient": patient, "page": page})
