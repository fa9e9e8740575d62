"""The clinic admin's flag queue: one row per patient (every open flag on it) or one per flag, filters, and the
actions that act on every flag a patient's row lists, or on many rest flags at once."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients import selectors as patient_selectors
from patients.models import Patient
from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.pagination import CountedPaginator
from rehab.permissions import clinic_admin_required

from .. import selectors, services
from ..forms import BulkResolveForm, FlagFilterForm, ResolveForm
from ..models import Flag, FlagReason, FlagStatus
from .common import back, next_query, posted_ids

QUEUE_PAGE_SIZE = 25


def _queue_filters(form: FlagFilterForm) -> dict:
    data = form.cleaned_data
    return {
        "search": data["q"],
        "reason": data["reason"],
        "status": data["status"],
        "physiotherapist_id": data["physiotherapist"].pk if data["physiotherapist"] else None,
        "escalated": data["escalated"],
        "opened_from": data["opened_from"],
        "opened_to": data["opened_to"],
    }


def _queue_page(request, params, *, bulk_form=None, selected=()):
    """The queue under the filters in `params` (a QueryDict): one row per patient, or per flag (`rows=flag`).

    Filters that do not make sense (a range that ends before it starts) list nothing, and say why beside the field:
    a half-applied filter would list flags the admin did not ask for as if they had."""
    clinic = request.user.clinic
    form = FlagFilterForm(params or None, clinic=clinic)
    invalid = form.is_bound and not form.is_valid()
    filters = _queue_filters(form) if form.is_bound and not invalid else {}
    per_flag = form.is_bound and params.get("rows") == "flag"
    now = timezone.now()
    if invalid:
        page = Paginator([], QUEUE_PAGE_SIZE).get_page(1)
    elif per_flag:
        page = CountedPaginator(selectors.flag_queue(user=request.user, **filters), QUEUE_PAGE_SIZE).get_page(
            params.get("page")
        )
    else:
        page = selectors.queue_patients_paginator(
            user=request.user, now=now, per_page=QUEUE_PAGE_SIZE, **filters
        ).get_page(params.get("page"))
    patient_rows = []
    if not invalid and not per_flag:
        patient_ids = [row["patient_id"] for row in page.object_list]
        patient_rows = selectors.page_patient_rows(user=request.user, patient_ids=patient_ids, now=now, **filters)
    query = params.copy()
    query.pop("page", None)
    others = params.copy()
    for name in ("page", "rows"):
        others.pop(name, None)
    response = render(
        request,
        "flags/queue.html",
        {
            "form": form,
            "invalid": invalid,
            "per_flag": per_flag,
            "page": page,
            "patient_rows": patient_rows,
            "now": now,
            "counts": selectors.flag_counts(user=request.user, now=now),
            "query": query.urlencode(),
            "other_filters": others.urlencode(),
            "filtered": selectors.is_filtered(filters),
            "resolve_form": ResolveForm(),
            "bulk_form": bulk_form or ResolveForm(prefix="bulk"),
            "selected": set(selected),
            "show_checkbox": True,
            "next": request.path + ("?" + params.urlencode() if params else ""),
        },
    )
    return mark_refused(response) if bulk_form is not None else response


@clinic_admin_required
def flag_queue(request):
    return _queue_page(request, request.GET)


# --- One patient's row of the queue: its actions act on every flag the row lists ----------------------


def _row_patient(request, patient_pk: int) -> Patient:
    try:
        return patient_selectors.patients_visible_to(request.user).get(pk=patient_pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc


def _patient_row_response(request, patient: Patient, flag_ids, *, error: str = "", resolve_form=None):
    """The queue row of one patient after an htmx action: the flags it acted on and the patient's other unresolved
    flags, with the counts at the top refreshed too."""
    now = timezone.now()
    flags = selectors.flags_visible_to(request.user).filter(
        Q(pk__in=flag_ids) | ~Q(status=FlagStatus.RESOLVED), patient=patient
    )
    rows = selectors.queue_patient_rows(flags=flags, patient_ids=[patient.pk], now=now)
    response = render(
        request,
        "flags/_patient_row_response.html",
        {
            "row": rows[0] if rows else None,
            "patient": patient,
            "now": now,
            "row_error": error,
            "resolve_form": resolve_form or ResolveForm(),
            "counts": selectors.flag_counts(user=request.user, now=now),
            "next": request.POST.get("next", ""),
            "show_checkbox": True,
        },
    )
    return mark_refused(response) if error or (resolve_form is not None and resolve_form.errors) else response


def _acted(flags: list[Flag], verb: str) -> str:
    reasons = ", ".join(
        flag.get_reason_display().lower() for flag in selectors.flags_worst_first(flags, timezone.now())
    )
    return f"{len(flags)} flag{pluralize(len(flags))} {verb}: {reasons}."


@require_POST
@clinic_admin_required
def patient_flags_acknowledge(request, patient_pk: int):
    patient = _row_patient(request, patient_pk)
    flag_ids = posted_ids(request)
    try:
        flags = services.patient_flags_acknowledge(patient=patient, flag_ids=flag_ids, by=request.user)
    except ValidationError as exc:
        if request.htmx:
            return _patient_row_response(request, patient, flag_ids, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return back(request, reverse("flags:queue"))
    if request.htmx:
        return _patient_row_response(request, patient, flag_ids)
    messages.success(request, _acted(flags, "acknowledged"))
    return back(request, reverse("flags:queue"))


@require_POST
@clinic_admin_required
def patient_flags_resolve(request, patient_pk: int):
    patient = _row_patient(request, patient_pk)
    flag_ids = posted_ids(request)
    form = ResolveForm(request.POST)
    flags = None
    if form.is_valid():
        flags = run_service(
            form,
            services.patient_flags_resolve,
            patient=patient,
            flag_ids=flag_ids,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    if request.htmx:
        error = " ".join(form.non_field_errors())
        return _patient_row_response(request, patient, flag_ids, error=error, resolve_form=None if flags else form)
    if flags:
        messages.success(request, _acted(flags, "resolved"))
    else:
        messages.error(request, "Nothing was resolved: " + " ".join(e for errs in form.errors.values() for e in errs))
    return back(request, reverse("flags:queue"))


@require_POST
@clinic_admin_required
def flag_bulk_resolve(request):
    rest_flags = (
        selectors.flags_visible_to(request.user).filter(reason=FlagReason.REST).exclude(status=FlagStatus.RESOLVED)
    )
    # The checkboxes sit in the queue's rows, outside the prefixed form: read them by their own name.
    data = request.POST.copy()
    data.setlist("bulk-flags", request.POST.getlist("flags"))
    # Only the ticked ones are read: a ticked id not among them is refused by the form as not one to resolve here.
    allowed = list(rest_flags.filter(pk__in=posted_ids(request)).values_list("pk", flat=True))
    form = BulkResolveForm(data, prefix="bulk", flag_ids=allowed)
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
            return back(request, reverse("flags:queue"))
    # Shown again, under the filters it was sent from, with the boxes still ticked and the errors beside the fields.
    errors = [e for name, field_errors in form.errors.items() if name != "outcome" for e in field_errors]
    messages.error(request, "Nothing was resolved. " + " ".join(errors))
    selected = set(allowed)
    return _queue_page(request, next_query(request), bulk_form=form, selected=selected)
